/// Text made safe for HTML (and SVG) element content and quoted attribute values: the one
/// escaping of the pages the suite writes (the booking page, the report), whose values come from
/// visitors' forms and links.
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
