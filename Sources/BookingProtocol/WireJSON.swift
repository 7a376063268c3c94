import Foundation

/// JSON as it is on the wire: snake_case keys, ISO 8601 instants in UTC with milliseconds.
/// Decoding accepts instants with or without fractional seconds and with any offset.
public enum WireJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let writable = value as? any JSONWritable {
            var writer = JSONWriter(capacity: 16 * 1024)
            writable.writeJSON(to: &writer)
            return writer.bytes
        }
        return Array(try encoder.encode(value))
    }

    /// The same value always gives the same bytes (sorted keys): for digests and comparisons.
    public static func canonical<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try canonicalEncoder.encode(value))
    }

    public static func encodeHeader(_ header: MessageHeader) -> [UInt8] {
        // A header holds only strings, numbers and dates: encoding cannot fail.
        (try? encode(header)) ?? Array("{}".utf8)
    }

    public static func decode<T: Decodable, Bytes: Collection<UInt8>>(_ type: T.Type, from bytes: Bytes) throws -> T {
        try decoder.decode(T.self, from: Data(bytes))
    }

    /// A short human reason for a decoding failure.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field '\(path(context.codingPath))' has the wrong type: \(context.debugDescription)"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "invalid JSON" }
            return "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// The wire name of the field a decoding failure is about, if any.
    public static func field(of error: any Error) -> String? {
        guard let error = error as? DecodingError else { return nil }
        switch error {
        case .keyNotFound(let key, let context):
            return path(context.codingPath + [key])
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.codingPath.isEmpty ? nil : path(context.codingPath)
        @unknown default:
            return nil
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map(String.init) ?? snakeCase($0.stringValue) }.joined(separator: ".")
    }

    private static func snakeCase(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    private static let encoder = makeEncoder()
    private static let canonicalEncoder: JSONEncoder = {
        let encoder = makeEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    private static let decoder = makeDecoder()

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatInstant(date))
        }
        return encoder
    }

    private static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseInstant(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 instant with an offset, e.g. 2026-12-01T10:00:00+03:00")
            }
            return date
        }
        return decoder
    }

    /// `2026-12-01T07:00:00.000Z`, rounded to the millisecond, so that formatting what was
    /// parsed gives the same text (a formatter that truncates drifts by 1 ms on round trips).
    public static func formatInstant(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = millis / 1000
        var fraction = millis % 1000
        if fraction < 0 {
            fraction += 1000
            seconds -= 1
        }
        return format(seconds: seconds) { bytes, end in
            bytes[end] = UInt8(ascii: ".")
            write(fraction, width: 3, into: &bytes, at: end + 1)
            bytes[end + 4] = UInt8(ascii: "Z")
            return end + 5
        }
    }

    /// Accepts `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)`, e.g. `2026-12-01T10:00:00+03:00`:
    /// ISO 8601's extended form with an offset, and nothing looser (no day rolled over into the
    /// next month). Parsed by hand: every message carries instants, and Foundation's general
    /// parser costs microseconds each.
    public static func parseInstant(_ text: String) -> Date? {
        let utf8 = text.utf8
        return utf8.withContiguousStorageIfAvailable { bytes -> Date? in
            let count = bytes.count
            guard count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
                  bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { return nil }
            func number(_ start: Int, _ length: Int) -> Int64? {
                var value: Int64 = 0
                for index in start..<(start + length) {
                    let digit = bytes[index] &- UInt8(ascii: "0")
                    guard digit < 10 else { return nil }
                    value = value * 10 + Int64(digit)
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
                  let minute = number(14, 2), let second = number(17, 2),
                  (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
            var index = 19
            var fraction = 0.0
            if index < count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                var scale = 0.1
                let start = index
                while index < count, bytes[index] &- UInt8(ascii: "0") < 10 {
                    fraction += Double(bytes[index] &- UInt8(ascii: "0")) * scale
                    scale /= 10
                    index += 1
                }
                guard index > start, index - start <= 9 else { return nil }
            }
            guard index < count else { return nil }
            var offset: Int64 = 0
            switch bytes[index] {
            case UInt8(ascii: "Z"):
                guard index + 1 == count else { return nil }
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard index + 6 == count, bytes[index + 3] == UInt8(ascii: ":"), let hours = number(index + 1, 2), let minutes = number(index + 4, 2),
                      hours < 24, minutes < 60 else { return nil }
                offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            default:
                return nil
            }
            // A day that does not exist in its month (2026-02-30) is refused, not rolled over.
            let days = daysSinceEpoch(year: year, month: month, day: day)
            guard civilDate(daysSinceEpoch: days) == (year, month, day) else { return nil }
            let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
            return Date(timeIntervalSince1970: Double(seconds) + fraction)
        } ?? nil
    }

    /// Howard Hinnant's days-from-civil algorithm (proleptic Gregorian).
    private static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension WireJSON {
    /// `2026-12-01T10:00:00+03:00`: an instant as the wall-clock time of `zone`, with its offset.
    public static func formatLocal(_ date: Date, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let offsetMinutes = Int64(abs(offset) / 60)
        return format(seconds: Int64(date.timeIntervalSince1970.rounded(.down)) + Int64(offset)) { bytes, end in
            bytes[end] = offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
            write(offsetMinutes / 60, width: 2, into: &bytes, at: end + 1)
            bytes[end + 3] = UInt8(ascii: ":")
            write(offsetMinutes % 60, width: 2, into: &bytes, at: end + 4)
            return end + 6
        }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS` of `seconds` since 1970-01-01T00:00:00, then lets `suffix`
    /// add the rest. Byte by byte, because slot lists format hundreds of instants per query and
    /// string interpolation would be most of a query's time.
    private static func format(seconds: Int64, suffix: (inout [UInt8], Int) -> Int) -> String {
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        var bytes = [UInt8](repeating: UInt8(ascii: "0"), count: 32)
        write(year, width: 4, into: &bytes, at: 0)
        bytes[4] = UInt8(ascii: "-")
        write(month, width: 2, into: &bytes, at: 5)
        bytes[7] = UInt8(ascii: "-")
        write(day, width: 2, into: &bytes, at: 8)
        bytes[10] = UInt8(ascii: "T")
        write(rest / 3600, width: 2, into: &bytes, at: 11)
        bytes[13] = UInt8(ascii: ":")
        write(rest % 3600 / 60, width: 2, into: &bytes, at: 14)
        bytes[16] = UInt8(ascii: ":")
        write(rest % 60, width: 2, into: &bytes, at: 17)
        let end = suffix(&bytes, 19)
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    private static func write(_ value: Int64, width: Int, into bytes: inout [UInt8], at start: Int) {
        var rest = value
        for index in stride(from: start + width - 1, through: start, by: -1) {
            bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
    }

    /// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
    private static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

}
