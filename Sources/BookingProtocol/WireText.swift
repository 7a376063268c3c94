import Foundation

/// What text on the wire may be. JSON is UTF-8 only (RFC 8259 §8.1): a body in UTF-16 or UTF-32
/// would otherwise be read by `JSONDecoder`, which guesses encodings. Control characters (C0,
/// DEL, C1, line and paragraph separators) are refused in every string a request carries, so
/// none reaches a log line, a terminal or a message: they are never part of an id, a name, an
/// address or a reference. People's own words (`multilineFields`) may hold line breaks and tabs.
public enum WireText {
    /// The fields (by their last key) whose values are free text over several lines.
    public static let multilineFields: Set<String> = ["reason", "client_message", "topic"]

    /// The encoding of a JSON text that is not UTF-8, by its byte order mark or by the NUL bytes
    /// the first ASCII characters have in UTF-16 and UTF-32; nil for UTF-8.
    public static func foreignEncoding<Bytes: Collection<UInt8>>(of text: Bytes) -> String? {
        let head = Array(text.prefix(4))
        func starts(_ pattern: [UInt8?]) -> Bool {
            head.count >= pattern.count && zip(head, pattern).allSatisfy { byte, expected in expected.map { $0 == byte } ?? (byte != 0) }
        }
        if starts([0x00, 0x00, 0xFE, 0xFF]) || starts([0x00, 0x00, 0x00, nil]) { return "UTF-32BE" }
        if starts([0xFF, 0xFE, 0x00, 0x00]) || starts([nil, 0x00, 0x00, 0x00]) { return "UTF-32LE" }
        if starts([0xFE, 0xFF]) || starts([0x00, nil]) { return "UTF-16BE" }
        if starts([0xFF, 0xFE]) || starts([nil, 0x00]) { return "UTF-16LE" }
        return nil
    }

    /// Whether `scalar` is a control character a value must not hold; line breaks and tabs are
    /// allowed where `multiline`.
    public static func isRefusedControl(_ scalar: Unicode.Scalar, multiline: Bool = false) -> Bool {
        if isPrintableASCII(scalar.value) { return false }
        if multiline, scalar == "\n" || scalar == "\r" || scalar == "\t" { return false }
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// Text as a log line or a terminal shows it: control characters, and the invisible format
    /// characters that reorder or hide text (bidi overrides, zero-width spaces), written as
    /// escapes (`\n`, `\u{1B}`, `\u{202E}`). A value can then neither end its line and forge
    /// the next one nor drive the terminal it is read on. A backslash stays as it is.
    public static func escaped(_ text: String) -> String {
        // Nearly every logged value is printable ASCII: one pass over its bytes settles it
        // without looking up a scalar's properties (which was most of a log line's cost).
        if text.utf8.allSatisfy({ isPrintableASCII(UInt32($0)) }) { return text }
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where needsEscape(scalar): out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isPrintableASCII(_ value: UInt32) -> Bool {
        value >= 0x20 && value < 0x7F
    }

    /// What `escaped` escapes: a control character, a line or paragraph separator, or an
    /// invisible format character (Cf).
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        if isPrintableASCII(scalar.value) { return false }
        return isRefusedControl(scalar) || scalar.properties.generalCategory == .format
    }

    /// The wire path (e.g. `contact.name`, `days.0`) of the first string in a JSON text that
    /// holds a control character it may not, or nil.
    public static func fieldWithControlCharacter<Bytes: Collection<UInt8>>(inJSON text: Bytes) -> String? {
        // JSON escapes C0 characters (`\n`, `\u001b`) and may carry DEL and C1 raw: text with
        // neither is clean without being parsed.
        var before: UInt8 = 0, previous: UInt8 = 0
        let suspicious = text.contains { byte in
            defer { (before, previous) = (previous, byte) }
            return byte == UInt8(ascii: "\\") || byte == 0x7F || (previous == 0xC2 && (0x80...0x9F).contains(byte))
                || (before == 0xE2 && previous == 0x80 && (byte == 0xA8 || byte == 0xA9))
        }
        guard suspicious, let value = try? JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed]) else { return nil }
        return firstRefused(in: value, path: [])
    }

    private static func firstRefused(in value: Any, path: [String]) -> String? {
        switch value {
        case let text as String:
            let multiline = path.last.map(multilineFields.contains) ?? false
            return text.unicodeScalars.contains { isRefusedControl($0, multiline: multiline) } ? path.joined(separator: ".") : nil
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                if let found = firstRefused(in: object[key]!, path: path + [key]) { return found }
            }
            return nil
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let found = firstRefused(in: element, path: path + [String(index)]) { return found }
            }
            return nil
        default:
            return nil
        }
    }
}

extension Envelope {
    /// A request's text, checked once before any handler reads it: the body is UTF-8, and no
    /// header field or body string holds a control character (see `WireText`).
    public func checkRequestText() throws(ProtocolError) {
        // First: a UTF-16 body's NUL bytes are not control characters of a field.
        try requireUTF8Body()
        let headerFields = [("id", header.id), ("correlation_id", header.correlationId), ("idempotency_key", header.idempotencyKey), ("user", header.user)]
        for case let (name, value?) in headerFields where value.unicodeScalars.contains(where: { WireText.isRefusedControl($0) }) {
            throw ProtocolError(.validationFailed, "header.\(name) must not contain control characters (line breaks, tabs, escape sequences)",
                                field: "header.\(name)")
        }
        if let field = WireText.fieldWithControlCharacter(inJSON: body) {
            let allowed = WireText.multilineFields.contains(String(field.split(separator: ".").last ?? ""))
                ? "control characters other than line breaks and tabs" : "control characters (line breaks, tabs, escape sequences)"
            throw ProtocolError(.validationFailed, "\(field) must not contain \(allowed)", field: field)
        }
    }
}
