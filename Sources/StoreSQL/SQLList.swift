/// `(?, ?, …)` for a list of values (never empty: an empty list matches nothing).
public struct SQLList: Sendable {
    public let sql: String
    public let arguments: [SQLValue]

    public init(_ values: [String]) {
        sql = values.isEmpty ? "(NULL)" : "(" + Array(repeating: "?", count: values.count).joined(separator: ", ") + ")"
        arguments = values.map(\.sqlValue)
    }
}
