import Foundation

/// The development mail transport: each message becomes a file in a directory, named so that a
/// newcomer finds a message by looking: `<reference>.<purpose>.<recipient>.<id>.eml`, e.g.
/// `BK-7Q2M-X9TD-4KHN-ZP3CK.confirmation.client@example.com.3f9a61c2.eml`. The reference and the
/// purpose come from the `X-Booking-Reference` and `X-Booking-Purpose` headers, the recipient
/// from the envelope, and `<id>` from the Message-ID, so the same message written twice is the
/// same file and two messages of one purpose do not overwrite each other. Written atomically.
public struct MailDirectoryTransport: MailTransport {
    public let drop: FileDrop

    public init(directory: String) {
        drop = FileDrop(directory: directory)
    }

    public func send(_ message: [UInt8], from: String, to: [String]) async throws(DeliveryFailure) {
        try EnvelopeValidation.check(from: from, to: to)
        try drop.write(name: Self.fileName(for: message, to: to), contents: message)
    }

    static func fileName(for message: [UInt8], to recipients: [String]) -> String {
        // The Message-ID names the message (the bytes, when it has none): same message, same file.
        FileDrop.fileName(
            describing: [MessageHeaders.value(of: "X-Booking-Reference", in: message), MessageHeaders.value(of: "X-Booking-Purpose", in: message),
                         recipients.first],
            identity: MessageHeaders.value(of: "Message-ID", in: message).map { Array($0.utf8) } ?? message, suffix: "eml"
        )
    }
}

/// Reading one header field out of RFC 5322 bytes (header section only, folded lines joined).
enum MessageHeaders {
    static func value(of name: String, in message: [UInt8]) -> String? {
        let wanted = name.lowercased()
        var current: String? = nil
        var result: String? = nil
        func finish() {
            guard result == nil, let field = current, let colon = field.firstIndex(of: ":") else { return }
            if field[..<colon].trimmingCharacters(in: [" ", "\t"]).lowercased() == wanted {
                result = field[field.index(after: colon)...].trimmingCharacters(in: [" ", "\t"])
            }
        }
        var lineStart = 0
        var index = 0
        while index <= message.count {
            let atEnd = index == message.count
            if atEnd || message[index] == UInt8(ascii: "\n") {
                var end = index
                if end > lineStart && message[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: message[lineStart..<end], as: UTF8.self)
                if line.isEmpty { break }  // end of the header section
                if line.first == " " || line.first == "\t" {
                    current = (current ?? "") + line
                } else {
                    finish()
                    current = line
                }
                lineStart = index + 1
                if atEnd { break }
            }
            index += 1
        }
        finish()
        return result
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
