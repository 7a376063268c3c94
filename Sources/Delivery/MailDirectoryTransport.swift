import Foundation
import Crypto

/// The development mail transport: each message becomes `<safe Message-ID>.eml` in a directory
/// (the same message written twice is the same file), written atomically.
public struct MailDirectoryTransport: MailTransport {
    public let drop: FileDrop

    public init(directory: String) {
        drop = FileDrop(directory: directory)
    }

    public func send(_ message: [UInt8], from: String, to: [String]) async throws(DeliveryFailure) {
        try EnvelopeValidation.check(from: from, to: to)
        try drop.write(name: Self.fileName(for: message), contents: message)
    }

    /// "<safe Message-ID>.eml", or the SHA-256 of the bytes when there is no usable Message-ID.
    static func fileName(for message: [UInt8]) -> String {
        if let id = MessageHeaders.value(of: "Message-ID", in: message) {
            let trimmed = id.trimmingCharacters(in: ["<", ">", " ", "\t"])
            let safe = String(trimmed.map { character -> Character in
                character.isASCII && (character.isLetter || character.isNumber || "@._+-=".contains(character)) ? character : "_"
            })
            if !safe.isEmpty, safe.contains(where: { $0.isLetter || $0.isNumber }), safe.utf8.count <= 200,
               !safe.hasPrefix(".") {
                return safe + ".eml"
            }
        }
        let digest = SHA256.hash(data: message)
        return digest.map { byte in String(byte, radix: 16).leftPadded(to: 2) }.joined() + ".eml"
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
