import CivilTime
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

    /// The one line between the two refusals of what cannot be decoded: JSON that is not JSON, or
    /// not an object, is `malformed`; a field that is missing, null where a value is required, of
    /// the wrong type or of the wrong form is `validation_failed`, naming the field.
    public static func refusal<Bytes: Collection<UInt8>>(of error: any Error, decoding bytes: Bytes, in part: String, fieldPrefix: String = "") -> ProtocolError {
        guard let field = field(of: error) ?? unfittingNumber(in: bytes) else {
            let reason = (error as? DecodingError).map { if case .typeMismatch = $0 { "not a JSON object" } else { "not valid JSON" } } ?? describe(error)
            return ProtocolError(.malformed, "\(part) is \(reason)")
        }
        return ProtocolError(.validationFailed, "\(part) is not valid: \(describe(error))", field: fieldPrefix + field)
    }

    /// Foundation reports a number that does not fit its field (a fraction or a negative number
    /// for a whole one, one beyond 64 bits) as invalid JSON without naming it: in a JSON object,
    /// the first such number found (fractions and huge ones before negative ones) is the field.
    static func unfittingNumber<Bytes: Collection<UInt8>>(in bytes: Bytes) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        var fractional: [String] = [], negative: [String] = []
        func walk(_ value: Any, _ path: String) {
            switch value {
            case let object as [String: Any]:
                for (key, inner) in object.sorted(by: { $0.key < $1.key }) { walk(inner, path.isEmpty ? key : path + "." + key) }
            case let array as [Any]:
                for (index, inner) in array.enumerated() { walk(inner, path + ".\(index)") }
            case let number as NSNumber:
                let double = number.doubleValue
                if double != double.rounded() || abs(double) >= 9.2e18 { fractional.append(path) } else if double < 0 { negative.append(path) }
            default:
                break
            }
        }
        walk(object, "")
        return fractional.first ?? negative.first
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
            try container.encode(ISO8601.instant(date))
        }
        return encoder
    }

    private static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = ISO8601.parseInstant(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 instant with an offset, e.g. 2026-12-01T10:00:00+03:00")
            }
            return date
        }
        return decoder
    }
}
