import Foundation

/// JSON as it is on the wire: snake_case keys, ISO 8601 instants in UTC with milliseconds.
/// Decoding accepts instants with or without fractional seconds and with any offset.
public enum WireJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try encoder.encode(value))
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

    public static func pretty<T: Encodable>(_ value: T) -> String {
        let encoder = makeEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
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
        return civil(seconds) + "." + pad(fraction, 3) + "Z"
    }

    /// Accepts `2026-12-01T10:00:00+03:00`, `...Z`, with or without fractional seconds.
    public static func parseInstant(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}

extension WireJSON {
    /// `2026-12-01T10:00:00+03:00`: an instant as the wall-clock time of `zone`, with its offset.
    /// Done by arithmetic rather than a formatter because slot lists format hundreds of these
    /// per query.
    public static func formatLocal(_ date: Date, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let offsetMinutes = Int64(abs(offset) / 60)
        return civil(Int64(date.timeIntervalSince1970.rounded(.down)) + Int64(offset)) + "\(sign)\(pad(offsetMinutes / 60, 2)):\(pad(offsetMinutes % 60, 2))"
    }

    /// `YYYY-MM-DDTHH:MM:SS` of a count of seconds since 1970-01-01T00:00:00.
    private static func civil(_ seconds: Int64) -> String {
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3600, 2)):\(pad(rest % 3600 / 60, 2)):\(pad(rest % 60, 2))"
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

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
