import Foundation

/// Header field text as RFC 5322 and RFC 2047 want it: ASCII only, non-ASCII text in
/// `=?utf-8?B?…?=` encoded words of at most 75 characters that never split a character, and
/// lines folded at whitespace to at most 76 characters (the limit for lines with encoded words).
enum HeaderEncoding {
    static let lineLimit = 76
    private static let wordLimit = 75
    private static let wordOverhead = "=?utf-8?B??=".count

    /// `Name: value`, folded. `tokens` are the value's words; a fold happens only between them.
    static func field(_ name: String, _ tokens: [String]) -> String {
        var lines: [String] = []
        var line = "\(name):"
        for token in tokens {
            if line.count + 1 + token.count > lineLimit {
                lines.append(line)
                line = ""
            }
            line += " " + token
        }
        lines.append(line)
        return lines.joined(separator: "\r\n")
    }

    /// Unstructured text (a subject) as header tokens: plain words when it is printable ASCII
    /// without anything that looks like an encoded word, encoded words otherwise. `room` is what
    /// the first line has left after the field name.
    static func unstructured(_ text: String, firstLineRoom room: Int) -> [String] {
        let clean = withoutLineBreaks(text)
        if clean.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }), !clean.contains("=?") {
            return clean.split(separator: " ").map(String.init)
        }
        return encodedWords(clean, firstLineRoom: room)
    }

    /// A mailbox: `name <address>`, the name quoted when it has specials and encoded when it is
    /// not ASCII.
    static func mailbox(_ mailbox: Mailbox, firstLineRoom room: Int) -> [String] {
        let address = "<\(withoutLineBreaks(mailbox.address))>"
        guard let raw = mailbox.name, case let name = withoutLineBreaks(raw).trimmingWhitespace(), !name.isEmpty else {
            return [address]
        }
        if name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }), !name.contains("=?") {
            let atext = name.unicodeScalars.allSatisfy { atextOrSpace.contains($0) }
            if atext { return name.split(separator: " ").map(String.init) + [address] }
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return ["\"\(escaped)\"", address]
        }
        // One word when the name fits one, even if that moves it to the next line: Python's
        // parser, among others, keeps the space between encoded words inside a phrase, which
        // RFC 2047 says to drop.
        let words = encodedWords(name, firstLineRoom: wordLimit)
        return (words.count == 1 ? words : encodedWords(name, firstLineRoom: room)) + [address]
    }

    /// Base64 encoded words. Each carries whole characters (whole scalars for a character too
    /// big for one word), so every word decodes to valid UTF-8 on its own.
    static func encodedWords(_ text: String, firstLineRoom room: Int) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        var limit = maxBytes(wordLength: min(wordLimit, room))
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=")
            chunk = []
            limit = maxBytes(wordLength: wordLimit)
        }
        for character in text {
            let bytes = Array(character.utf8)
            if bytes.count <= limit {
                if chunk.count + bytes.count > limit {
                    // Break after a space where there is one: decoders that wrongly keep the
                    // whitespace between encoded words (Python's, in names) then show a doubled
                    // space rather than one inside a word.
                    if let space = chunk.lastIndex(of: 0x20), space > 0 {
                        let rest = Array(chunk[(space + 1)...])
                        chunk = Array(chunk[...space])
                        flush()
                        chunk = rest
                    }
                    if chunk.count + bytes.count > limit { flush() }
                }
                chunk += bytes
                continue
            }
            for scalar in character.unicodeScalars {
                let scalarBytes = Array(String(scalar).utf8)
                if chunk.count + scalarBytes.count > limit { flush() }
                chunk += scalarBytes
            }
        }
        flush()
        return words.isEmpty ? ["=?utf-8?B??="] : words
    }

    /// Bytes that fit a word of `wordLength` characters: base64 gives 4 characters per 3 bytes.
    private static func maxBytes(wordLength: Int) -> Int {
        max(3, (wordLength - wordOverhead) / 4 * 3)
    }

    /// A header value never carries a line break of its own: that would start a new header.
    static func withoutLineBreaks(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : $0 }))
    }

    private static let atextOrSpace = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ".unicodeScalars)
}
