/// SMS length as carriers count it. A text of GSM 03.38 characters goes as 7-bit septets: 160
/// in one message, 153 per part when split (the rest carries the concatenation header); the
/// extension characters (`€ [ ] { } \ ^ ~ |` and form feed) take two septets. Any other
/// character makes the whole text UCS-2: 70 UTF-16 units, 67 per part. A part never splits a
/// character, so packing is counted character by character.
public enum SMSText {
    public enum Encoding: Sendable, Equatable { case gsm7, ucs2 }

    public static func encoding(of text: String) -> Encoding {
        text.unicodeScalars.allSatisfy { gsmBasic.contains($0) || gsmExtension.contains($0) } ? .gsm7 : .ucs2
    }

    /// How many messages `text` is sent as (1 for an empty text).
    public static func segments(_ text: String) -> Int {
        let encoding = encoding(of: text)
        let costs = text.map { cost($0, encoding) }
        let single = encoding == .gsm7 ? 160 : 70
        if costs.reduce(0, +) <= single { return 1 }
        return pack(costs, capacity: encoding == .gsm7 ? 153 : 67)
    }

    /// `text` unchanged when it fits `maxSegments`; otherwise cut after the last whole word that
    /// fits and ended with an ellipsis. A GSM-7 text ends with "..." rather than "…", because "…"
    /// is not in the GSM alphabet and would turn the text into UCS-2, under half the room.
    public static func fit(_ text: String, maxSegments: Int) -> String {
        let limit = max(1, maxSegments)
        if segments(text) <= limit { return text }
        let ellipsis = encoding(of: text) == .gsm7 ? "..." : "…"
        let characters = Array(text)

        // The longest prefix that fits with the ellipsis (monotone in length, so bisect).
        var low = 0, high = characters.count
        while low < high {
            let mid = (low + high + 1) / 2
            if segments(String(characters[..<mid]) + ellipsis) <= limit { low = mid } else { high = mid - 1 }
        }
        var cut = low
        // Back to a word boundary unless the prefix is one long word.
        if cut < characters.count, !characters[cut].isWhitespace,
           let space = characters[..<cut].lastIndex(where: \.isWhitespace), space > 0 {
            cut = space
        }
        var kept = characters[..<cut]
        while let last = kept.last, last.isWhitespace || ",;:-–—".contains(last) { kept.removeLast() }
        return String(kept) + ellipsis
    }

    private static func cost(_ character: Character, _ encoding: Encoding) -> Int {
        switch encoding {
        case .gsm7: character.unicodeScalars.reduce(0) { $0 + (gsmExtension.contains($1) ? 2 : 1) }
        case .ucs2: character.utf16.count
        }
    }

    private static func pack(_ costs: [Int], capacity: Int) -> Int {
        var parts = 1, used = 0
        for cost in costs {
            if used + cost > capacity {
                parts += 1
                used = 0
            }
            used += cost
        }
        return parts
    }

    private static let gsmBasic: Set<Unicode.Scalar> = Set((
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà").unicodeScalars)

    private static let gsmExtension: Set<Unicode.Scalar> = Set("\u{0C}^{}\\[~]|€".unicodeScalars)
}
