/// Where a sealed value belongs: its table, column and row. It is the seal's associated data, so
/// a ciphertext copied into another row or column does not open there.
public struct FieldBinding: Sendable, Hashable, CustomStringConvertible {
    public var table: String
    public var column: String
    public var row: String

    public init(table: String, column: String, row: String) {
        self.table = table
        self.column = column
        self.row = row
    }

    /// Length-prefixed parts, so `("a|b", "c")` and `("a", "b|c")` differ.
    var associatedData: [UInt8] {
        var bytes: [UInt8] = Array("booking-field/1".utf8)
        for part in [table, column, row] {
            let utf8 = Array(part.utf8)
            bytes += withUnsafeBytes(of: UInt32(utf8.count).bigEndian, Array.init) + utf8
        }
        return bytes
    }

    public var description: String { "\(table).\(column) of \(row)" }
}
