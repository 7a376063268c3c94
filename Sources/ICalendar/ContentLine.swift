/// One content line of an iCalendar text after unfolding (RFC 5545 §3.1):
/// `NAME;PARAM=VALUE,"QUOTED VALUE":value`.
public struct ContentLine: Sendable, Hashable {
    public struct Parameter: Sendable, Hashable {
        /// Upper-cased: parameter names are case-insensitive.
        public let name: String
        /// Without their quotes, with RFC 6868's `^n`, `^'` and `^^` decoded.
        public let values: [String]
    }

    /// Upper-cased: property names are case-insensitive.
    public let name: String
    public let parameters: [Parameter]
    /// As written: only TEXT values have escapes, so they are decoded by `textValue`, not here.
    public let value: String
    /// The physical line (from 1) the content line starts on.
    public let line: Int

    /// The first value of the parameter `name` (any case), if it is there.
    public func parameter(_ name: String) -> String? {
        let wanted = name.uppercased()
        return parameters.first { $0.name == wanted }?.values.first
    }

    /// The value read as TEXT (RFC 5545 §3.3.11): `\n` or `\N` is a line break, `\\`, `\;`
    /// and `\,` stand for themselves.
    public var textValue: String { Self.unescapedText(value) }

    public static func unescapedText(_ escaped: String) -> String {
        guard escaped.utf8.contains(UInt8(ascii: "\\")) else { return escaped }
        var text = String.UnicodeScalarView()
        var escaping = false
        for scalar in escaped.unicodeScalars {
            if escaping {
                // An escape RFC 5545 does not define (Outlook writes `\:`) keeps its character.
                text.append(scalar == "n" || scalar == "N" ? "\n" : scalar)
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else {
                text.append(scalar)
            }
        }
        if escaping { text.append("\\") }
        return String(text)
    }

    /// Unfolds `text` and splits every line into name, parameters and value. Lines may end in
    /// CRLF, LF or CR, the last one may lack its line break, and blank lines are skipped. Folds
    /// are undone on bytes, so a fold inside a multi-byte UTF-8 character joins it back; bytes that
    /// are still not UTF-8 read as U+FFFD.
    public static func lines(in text: String) throws(ICalendarReadError) -> [ContentLine] {
        try lines(inUTF8: Array(text.utf8))
    }

    /// The same from bytes as received: a fold that split a character can only be mended before
    /// the bytes are decoded, so a reader of network data should pass them here undecoded.
    public static func lines(inUTF8 bytes: some Collection<UInt8>) throws(ICalendarReadError) -> [ContentLine] {
        var lines: [ContentLine] = []
        for (bytes, line) in unfoldedLines(in: Array(bytes)) {
            lines.append(try ContentLine(bytes: bytes[...], line: line))
        }
        return lines
    }

    /// Reads one unfolded content line.
    public init(parsing text: String, line: Int = 1) throws(ICalendarReadError) {
        try self.init(bytes: Array(text.utf8)[...], line: line)
    }

    /// Each logical line's bytes and the physical line it starts on.
    private static func unfoldedLines(in bytes: [UInt8]) -> [([UInt8], Int)] {
        var lines: [([UInt8], Int)] = []
        var logical: [UInt8] = []
        var startLine = 1
        var physicalLine = 1
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        func finish() {
            if logical.contains(where: { $0 != ASCII.space && $0 != ASCII.tab }) { lines.append((logical, startLine)) }
            logical.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == ASCII.carriageReturn || byte == ASCII.lineFeed else {
                logical.append(byte)
                index += 1
                continue
            }
            var next = index + 1
            if byte == ASCII.carriageReturn, next < bytes.count, bytes[next] == ASCII.lineFeed { next += 1 }
            physicalLine += 1
            if next < bytes.count, bytes[next] == ASCII.space || bytes[next] == ASCII.tab {
                index = next + 1
            } else {
                finish()
                startLine = physicalLine
                index = next
            }
        }
        finish()
        return lines
    }

    private init(bytes: ArraySlice<UInt8>, line: Int) throws(ICalendarReadError) {
        var index = bytes.startIndex
        let nameEnd = Self.nameEnd(bytes, from: index)
        guard nameEnd > index else {
            throw ICalendarReadError(.malformedLine, line: line, "a content line must start with a property name")
        }
        let name = Self.upperCasedASCII(bytes[index..<nameEnd])
        index = nameEnd
        var parameters: [Parameter] = []
        while index < bytes.endIndex, bytes[index] == ASCII.semicolon {
            let (parameter, end) = try Self.parameter(bytes, from: index + 1, property: name, line: line)
            parameters.append(parameter)
            index = end
        }
        guard index < bytes.endIndex, bytes[index] == ASCII.colon else {
            throw ICalendarReadError(.malformedLine, line: line, "\(name): expected ':' and the value after the property name and its parameters")
        }
        self.name = name
        self.parameters = parameters
        value = String(decoding: bytes[(index + 1)...], as: UTF8.self)
        self.line = line
    }

    /// Reads `NAME=value,"value"` from `start`; returns where it ends (at `;` or `:`).
    private static func parameter(_ bytes: ArraySlice<UInt8>, from start: Int, property: String, line: Int)
        throws(ICalendarReadError) -> (Parameter, Int) {
        let nameEnd = nameEnd(bytes, from: start)
        guard nameEnd > start, nameEnd < bytes.endIndex, bytes[nameEnd] == ASCII.equals else {
            throw ICalendarReadError(.malformedLine, line: line, "\(property): a parameter must be NAME=VALUE")
        }
        let name = upperCasedASCII(bytes[start..<nameEnd])
        var values: [String] = []
        var index = nameEnd + 1
        while true {
            if index < bytes.endIndex, bytes[index] == ASCII.quote {
                guard let close = bytes[(index + 1)...].firstIndex(of: ASCII.quote) else {
                    throw ICalendarReadError(.malformedLine, line: line, "\(property): the quoted value of \(name) is never closed")
                }
                values.append(decodedParameterValue(bytes[(index + 1)..<close]))
                index = close + 1
                guard index < bytes.endIndex, [ASCII.comma, ASCII.semicolon, ASCII.colon].contains(bytes[index]) else {
                    throw ICalendarReadError(.malformedLine, line: line, "\(property): a quoted value of \(name) must be followed by ',', ';' or ':'")
                }
            } else {
                let end = bytes[index...].firstIndex { $0 == ASCII.comma || $0 == ASCII.semicolon || $0 == ASCII.colon } ?? bytes.endIndex
                values.append(decodedParameterValue(bytes[index..<end]))
                index = end
            }
            guard index < bytes.endIndex, bytes[index] == ASCII.comma else { break }
            index += 1
        }
        return (Parameter(name: name, values: values), index)
    }

    /// The end of the name (letters, digits, '-'; '_' too, which some producers put in X- names) starting at `start`.
    private static func nameEnd(_ bytes: ArraySlice<UInt8>, from start: Int) -> Int {
        var index = start
        while index < bytes.endIndex {
            let byte = bytes[index]
            let isNameByte = (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            guard isNameByte else { break }
            index += 1
        }
        return index
    }

    private static func upperCasedASCII(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 32 : $0 }, as: UTF8.self)
    }

    /// RFC 6868: `^n` is a line break, `^'` a double quote, `^^` a caret; any other caret stays.
    private static func decodedParameterValue(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(ASCII.caret) else { return String(decoding: bytes, as: UTF8.self) }
        var decoded: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == ASCII.caret, index + 1 < bytes.endIndex {
                switch bytes[index + 1] {
                case UInt8(ascii: "n"), UInt8(ascii: "N"): decoded.append(ASCII.lineFeed); index += 2; continue
                case UInt8(ascii: "'"): decoded.append(ASCII.quote); index += 2; continue
                case ASCII.caret: decoded.append(ASCII.caret); index += 2; continue
                default: break
                }
            }
            decoded.append(byte)
            index += 1
        }
        return String(decoding: decoded, as: UTF8.self)
    }
}

enum ASCII {
    static let tab = UInt8(ascii: "\t")
    static let lineFeed = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let quote = UInt8(ascii: "\"")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let semicolon = UInt8(ascii: ";")
    static let equals = UInt8(ascii: "=")
    static let caret = UInt8(ascii: "^")
}
