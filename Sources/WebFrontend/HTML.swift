import Foundation

/// Text made safe for HTML element content and quoted attribute values.
public func escapeHTML(_ text: String) -> String {
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

/// A query string from pairs, percent-encoded; pairs with a nil value are left out.
func query(_ pairs: [(String, String?)]) -> String {
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
    let parts = pairs.compactMap { key, value -> String? in
        guard let value else { return nil }
        return key + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
    }
    return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
}
