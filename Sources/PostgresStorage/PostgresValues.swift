import Foundation
import NIOCore
import PostgresNIO
import StoreSQL

/// The five kinds of `SQLValue` as PostgreSQL's types: int8, float8, text, bytea and null
/// (whose type the server infers from where it stands).
enum PostgresValues {
    static func bindings(_ values: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case let .integer(integer): bindings.append(integer)
            case let .real(real): bindings.append(real)
            case let .text(text): bindings.append(text)
            case let .blob(bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return bindings
    }

    /// The rows of a result, their column names shared.
    static func rows(_ rows: [PostgresRow]) throws(SQLFailure) -> [SQLRow] {
        guard let first = rows.first else { return [] }
        let columns = SQLColumns(first.map(\.columnName))
        var decoded: [SQLRow] = []
        decoded.reserveCapacity(rows.count)
        for row in rows {
            var values: [SQLValue] = []
            values.reserveCapacity(columns.names.count)
            for cell in row {
                values.append(try value(cell))
            }
            decoded.append(SQLRow(columns: columns, values: values))
        }
        return decoded
    }

    /// postgres-nio asks for every column in binary form.
    static func value(_ cell: PostgresCell) throws(SQLFailure) -> SQLValue {
        guard var bytes = cell.bytes else { return .null }
        guard cell.format == .binary else {
            throw .statement(problem: "the column \(cell.columnName) came as text, not binary")
        }
        let value: SQLValue?
        switch cell.dataType {
        case .int8: value = bytes.readInteger(as: Int64.self).map { .integer($0) }
        case .int4: value = bytes.readInteger(as: Int32.self).map { .integer(Int64($0)) }
        case .int2: value = bytes.readInteger(as: Int16.self).map { .integer(Int64($0)) }
        case .float8: value = bytes.readInteger(as: UInt64.self).map { .real(Double(bitPattern: $0)) }
        case .float4: value = bytes.readInteger(as: UInt32.self).map { .real(Double(Float(bitPattern: $0))) }
        case .text, .varchar, .name, .bpchar: value = bytes.readString(length: bytes.readableBytes).map { .text($0) }
        case .bytea: value = .blob(bytes.readBytes(length: bytes.readableBytes) ?? [])
        // A flag is 0 or 1 in the stores; a boolean the SQL computed (EXISTS, a comparison) reads the same.
        case .bool: value = bytes.readInteger(as: UInt8.self).map { .integer($0 == 0 ? 0 : 1) }
        // What `sum` of integers gives: whole when it is, which is what a store adds up.
        case .numeric: value = numeric(cell)
        // A function that returns nothing (pg_advisory_xact_lock).
        case .void: value = .null
        default:
            throw .statement(problem: "the column \(cell.columnName) has a type (oid \(cell.dataType.rawValue)) the stores do not read: cast it to bigint, double precision, text or bytea")
        }
        guard let value else { throw .statement(problem: "the column \(cell.columnName) holds a value of the wrong length for its type") }
        return value
    }

    private static func numeric(_ cell: PostgresCell) -> SQLValue? {
        guard let decimal = try? cell.decode(Decimal.self) else { return nil }
        var rounded = decimal
        var whole = Decimal()
        NSDecimalRound(&whole, &rounded, 0, .plain)
        if whole == decimal, let integer = Int64(exactly: NSDecimalNumber(decimal: decimal).int64Value),
           Decimal(integer) == decimal {
            return .integer(integer)
        }
        return .real(NSDecimalNumber(decimal: decimal).doubleValue)
    }
}
