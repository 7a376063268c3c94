import CivilTime
import Foundation

/// Reads a message header: a flat JSON object of strings, whole numbers and nulls. Every message
/// has one, read on both sides of every exchange, so it is parsed by hand; anything this parser
/// does not expect (nesting, exotic numbers) returns nil and goes through `JSONDecoder`, which
/// stays the definition of what is valid.
enum HeaderParser {
    static let knownKeys: Set<String> = ["id", "correlation_id", "idempotency_key", "sent_at", "deadline", "user", "sequence", "epoch"]

    static func parse<Bytes: Collection<UInt8>>(_ input: Bytes) -> MessageHeader? {
        let bytes = Array(input)
        var index = 0
        var fields: [String: String] = [:]
        var numbers: [String: UInt64] = [:]
        var nulls: Set<String> = []

        func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }
        func string() -> String? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                // Escapes are rare in headers: leave them to JSONDecoder.
                if bytes[index] == UInt8(ascii: "\\") || bytes[index] < 0x20 { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            // Not UTF-8: JSONDecoder refuses it (String(decoding:) would repair it silently).
            return String(validating: bytes[start..<index], as: UTF8.self)
        }

        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { return nil }
        while true {
            skipSpace()
            // A repeated key is read differently by different JSON readers, and JSONDecoder reads
            // other spellings of a key too (`idempotency_kEy`, `sentAt`): JSONDecoder decides.
            guard let key = string(), knownKeys.contains(key), fields[key] == nil, numbers[key] == nil, !nulls.contains(key) else { return nil }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                guard let value = string() else { return nil }
                fields[key] = value
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                // JSON has no leading zeros (`007`): JSONDecoder refuses them.
                if bytes[index] == UInt8(ascii: "0"), index + 1 < bytes.count, bytes[index + 1] &- UInt8(ascii: "0") < 10 { return nil }
                var value: UInt64 = 0
                while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
                    // Past UInt64 (18446744073709551616 and up): JSONDecoder refuses it.
                    let (product, overflow) = value.multipliedReportingOverflow(by: 10)
                    let (sum, carry) = product.addingReportingOverflow(UInt64(bytes[index] &- UInt8(ascii: "0")))
                    guard !overflow, !carry else { return nil }
                    value = sum
                    index += 1
                }
                numbers[key] = value
            case UInt8(ascii: "n"):
                guard bytes[index...].starts(with: Array("null".utf8)) else { return nil }
                index += 4
                nulls.insert(key)
            default:
                return nil
            }
            skipSpace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { return nil }
            index += 1
            skipSpace()
            guard index == bytes.count else { return nil }
            break
        }
        // A field of the wrong kind (a number where a string belongs...) is JSONDecoder's to report.
        for key in ["id", "correlation_id", "idempotency_key", "sent_at", "deadline", "user", "epoch"] where numbers[key] != nil { return nil }
        if fields["sequence"] != nil { return nil }
        guard let id = fields["id"], let sentText = fields["sent_at"], let sentAt = ISO8601.parseInstant(sentText) else { return nil }
        var deadline: Date?
        if let text = fields["deadline"] {
            guard let parsed = ISO8601.parseInstant(text) else { return nil }
            deadline = parsed
        }
        return MessageHeader(id: id, correlationId: fields["correlation_id"], idempotencyKey: fields["idempotency_key"], sentAt: sentAt,
                             deadline: deadline, user: fields["user"], sequence: numbers["sequence"], epoch: fields["epoch"])
    }
}
