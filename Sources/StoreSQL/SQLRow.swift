/// One row a statement returned, by column name. The names are shared by every row of one
/// result, so a row costs its values only.
public struct SQLRow: Sendable {
    public let columns: SQLColumns
    public let values: [SQLValue]

    public init(columns: SQLColumns, values: [SQLValue]) {
        precondition(columns.names.count == values.count, "a row has one value per column")
        self.columns = columns
        self.values = values
    }

    /// nil: the result has no such column (a statement's bug, not the data's).
    public subscript(column: String) -> SQLValue? {
        columns.index(of: column).map { values[$0] }
    }

    public subscript(index: Int) -> SQLValue { values[index] }
}

/// A result's column names, looked up by name in constant time.
public final class SQLColumns: Sendable {
    public let names: [String]
    private let indexes: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        var indexes: [String: Int] = [:]
        // The first of two equal names wins, as in SQLite's own lookup.
        for (index, name) in names.enumerated() where indexes[name] == nil {
            indexes[name] = index
        }
        self.indexes = indexes
    }

    public func index(of name: String) -> Int? { indexes[name] }
}
