import Foundation

/// Text made safe for HTML and SVG content and quoted attribute values: UTM values, referrers
/// and ids reach the page as a visitor's link or an admin's input wrote them.
enum HTMLText {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// An SVG coordinate: one decimal is finer than a printed dot.
    static func coordinate(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
