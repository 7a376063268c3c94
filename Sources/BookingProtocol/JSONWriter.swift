import CivilTime
import Foundation

/// A body that writes its own JSON. Only for large replies on hot paths (a slot list is a few
/// hundred objects, and `JSONEncoder` spends most of a query's time converting key names); the
/// tests check that the output decodes to the same value as the `Codable` form.
public protocol JSONWritable: Encodable {
    func writeJSON(to writer: inout JSONWriter)
}

/// Appends JSON tokens to a byte buffer.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: text.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case UInt8(ascii: "\r"): raw("\\r")
            case UInt8(ascii: "\t"): raw("\\t")
            case 0..<0x20:
                raw("\\u00")
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0xF)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func instant(_ date: Date) {
        string(ISO8601.instant(date))
    }

    public mutating func integer<I: BinaryInteger>(_ value: I) {
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func bool(_ value: Bool) {
        raw(value ? "true" : "false")
    }

    public mutating func append(_ other: [UInt8]) {
        bytes.append(contentsOf: other)
    }

    public mutating func strings(_ values: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private static let hex = Array("0123456789abcdef".utf8)
}

extension SlotsReply: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.raw("{\"time_zone\":")
        writer.string(timeZone)
        writer.raw(",\"slots\":[")
        for (index, slot) in slots.enumerated() {
            writer.raw(index == 0 ? "{\"start\":" : ",{\"start\":")
            writer.instant(slot.start)
            writer.raw(",\"end\":")
            writer.instant(slot.end)
            writer.raw(",\"local_start\":")
            writer.string(slot.localStart)
            writer.raw(",\"local_end\":")
            writer.string(slot.localEnd)
            writer.raw(",\"free\":")
            writer.integer(slot.free)
            writer.raw("}")
        }
        writer.raw("],\"warnings\":")
        writer.strings(warnings)
        writer.raw("}")
    }
}

// Every change's reply and event carry an appointment: written by hand for the same reason.
// Optional fields that are nil are left out, as `JSONEncoder` does.

extension ContactBody: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.raw("{\"name\":")
        writer.string(name)
        writer.raw(",\"email\":")
        writer.string(email)
        writer.raw(",\"phone\":")
        writer.string(phone)
        if let company {
            writer.raw(",\"company\":")
            writer.string(company)
        }
        writer.raw("}")
    }
}

extension AppointmentBody: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.raw("{\"reference\":")
        writer.string(reference)
        writer.raw(",\"id\":")
        writer.string(id)
        writer.raw(",\"client_id\":")
        writer.string(clientId)
        writer.raw(",\"consultant_id\":")
        writer.string(consultantId)
        writer.raw(",\"start\":")
        writer.instant(start)
        writer.raw(",\"end\":")
        writer.instant(end)
        writer.raw(",\"status\":")
        writer.string(status)
        writer.raw(",\"contact\":")
        contact.writeJSON(to: &writer)
        writer.raw(",\"time_zone\":")
        writer.string(timeZone)
        writer.raw(",\"locale\":")
        writer.string(locale)
        writer.raw(",\"created_at\":")
        writer.instant(createdAt)
        writer.raw(",\"updated_at\":")
        writer.instant(updatedAt)
        writer.raw(",\"reminder_sent\":")
        writer.bool(reminderSent)
        writer.raw(",\"revision\":")
        writer.integer(revision)
        if let meeting {
            writer.raw(",\"meeting\":")
            meeting.writeJSON(to: &writer)
        }
        if let topic {
            writer.raw(",\"topic\":")
            writer.string(topic)
        }
        if let holdExpiresAt {
            writer.raw(",\"hold_expires_at\":")
            writer.instant(holdExpiresAt)
        }
        if let erasedAt {
            writer.raw(",\"erased_at\":")
            writer.instant(erasedAt)
        }
        if let source {
            writer.raw(",\"source\":")
            source.writeJSON(to: &writer)
        }
        writer.raw("}")
    }
}

extension LeadSourceBody: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        var first = true
        func field(_ key: StaticString, _ value: String?, _ writer: inout JSONWriter) {
            guard let value else { return }
            writer.raw(first ? "{" : ",")
            writer.raw(key)
            writer.string(value)
            first = false
        }
        field("\"utm_source\":", utmSource, &writer)
        field("\"utm_medium\":", utmMedium, &writer)
        field("\"utm_campaign\":", utmCampaign, &writer)
        field("\"referrer\":", referrer, &writer)
        writer.raw(first ? "{}" : "}")
    }
}

extension MeetingBody: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.raw("{\"format\":")
        writer.string(format)
        if let link {
            writer.raw(",\"link\":")
            writer.string(link)
        }
        if let address {
            writer.raw(",\"address\":")
            writer.string(address)
        }
        writer.raw("}")
    }
}

extension EventBody: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.raw("{\"sequence\":")
        writer.integer(sequence)
        writer.raw(",\"id\":")
        writer.string(id)
        writer.raw(",\"kind\":")
        writer.string(kind.rawValue)
        writer.raw(",\"occurred_at\":")
        writer.instant(occurredAt)
        writer.raw(",\"appointment\":")
        appointment.writeJSON(to: &writer)
        if let previous {
            writer.raw(",\"previous\":{\"consultant_id\":")
            writer.string(previous.consultantId)
            writer.raw(",\"start\":")
            writer.instant(previous.start)
            writer.raw("}")
        }
        writer.raw(",\"actor\":")
        writer.string(actor)
        if let reason {
            writer.raw(",\"reason\":")
            writer.string(reason)
        }
        if let clientMessage {
            writer.raw(",\"client_message\":")
            writer.string(clientMessage)
        }
        if let correlationId {
            writer.raw(",\"correlation_id\":")
            writer.string(correlationId)
        }
        if let confirmation {
            writer.raw(",\"confirmation\":{\"token\":")
            writer.string(confirmation.token)
            writer.raw(",\"code\":")
            writer.string(confirmation.code)
            writer.raw("}")
        }
        writer.raw("}")
    }
}

extension MessageHeader: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.raw("{\"id\":")
        writer.string(id)
        if let correlationId {
            writer.raw(",\"correlation_id\":")
            writer.string(correlationId)
        }
        if let idempotencyKey {
            writer.raw(",\"idempotency_key\":")
            writer.string(idempotencyKey)
        }
        writer.raw(",\"sent_at\":")
        writer.instant(sentAt)
        if let deadline {
            writer.raw(",\"deadline\":")
            writer.instant(deadline)
        }
        if let user {
            writer.raw(",\"user\":")
            writer.string(user)
        }
        if let sequence {
            writer.raw(",\"sequence\":")
            writer.integer(sequence)
        }
        if let epoch {
            writer.raw(",\"epoch\":")
            writer.string(epoch)
        }
        writer.raw("}")
    }
}
