import Foundation

/// A row read with the one policy for a row that cannot be read: a typed error naming the table
/// and the row, never a skipped row or a default value.
public struct StoredRow {
    public let row: SQLRow
    public let table: String
    /// How the error names the row (its primary key), for the operator who must look at it.
    public let key: String

    public init(_ row: SQLRow, table: String, key: String) {
        self.row = row
        self.table = table
        self.key = key
    }

    /// The row named by its key column, read as text whatever it holds ("?" when it holds none).
    public init(_ row: SQLRow, table: String, keyColumn: String) {
        self.init(row, table: table, key: row[keyColumn].map(Self.text) ?? "?")
    }

    private static func text(_ value: SQLValue) -> String {
        switch value {
        case .null: "?"
        case let .integer(integer): String(integer)
        case let .real(real): String(real)
        case let .text(text): text
        case let .blob(bytes): "\(bytes.count) bytes"
        }
    }

    public func value<Value: SQLValueConvertible>(_ column: String, as type: Value.Type = Value.self) throws(StoreError) -> Value {
        guard let stored = row[column] else { throw unreadable("column \(column): no such column") }
        guard let value = Value(sqlValue: stored) else {
            throw unreadable("column \(column): \(Self.kind(of: stored)) is not a valid \(Value.self)")
        }
        return value
    }

    private static func kind(of value: SQLValue) -> String {
        switch value {
        case .null: "NULL"
        case .integer: "an integer"
        case .real: "a real"
        case .text: "text"
        case .blob: "a blob"
        }
    }

    public func instant(_ column: String) throws(StoreError) -> Date {
        Millis.date(try value(column, as: Int64.self))
    }

    public func optionalInstant(_ column: String) throws(StoreError) -> Date? {
        Millis.date(try value(column, as: Int64?.self))
    }

    public func bytes(_ column: String) throws(StoreError) -> [UInt8] {
        try value(column, as: [UInt8].self)
    }

    /// A text column parsed into a domain value (an enumeration's raw value, a reference, a date).
    public func parsed<Value>(_ column: String, _ parse: (String) throws -> Value?) throws(StoreError) -> Value {
        let text = try value(column, as: String.self)
        let parsed: Value?
        do {
            parsed = try parse(text)
        } catch {
            throw unreadable("column \(column) '\(text)': \(error)")
        }
        guard let parsed else { throw unreadable("column \(column) holds '\(text)', which is not a valid \(Value.self)") }
        return parsed
    }

    /// A row valid column by column but not as a whole.
    public func unreadable(_ problem: String) -> StoreError {
        .unreadableRow(table: table, key: key, problem: problem)
    }
}
