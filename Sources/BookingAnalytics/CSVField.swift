/// One CSV field (RFC 4180). Text is defended against formula injection: a spreadsheet runs a
/// cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return before one), and UTM
/// values are whatever a visitor's link said, so such text gets a leading `'`, which spreadsheets
/// take as "this is text". Numbers are written by the report, never from input, and stay numbers.
enum CSVField {
    case text(String)
    case integer(Int)
    /// Nil: an empty field (no data).
    case number(Double?)

    static let formulaLeads: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    var encoded: String {
        switch self {
        case let .integer(value):
            return String(value)
        case let .number(value):
            return value.map(FigureText.number) ?? ""
        case let .text(value):
            let defended = value.first.map { Self.formulaLeads.contains($0) } == true ? "'" + value : value
            guard defended.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
                return defended
            }
            return "\"" + defended.replacingAll("\"", with: "\"\"") + "\""
        }
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for character in self {
            if character == target { out += replacement } else { out.append(character) }
        }
        return out
    }
}
