/// Sends one email: one call is one attempt; retrying is the caller's decision.
public protocol MailTransport: Sendable {
    /// One attempt. `from` is the envelope sender, `to` the envelope recipients, `message` the full
    /// RFC 5322 bytes (CRLF).
    func send(_ message: [UInt8], from: String, to: [String]) async throws(DeliveryFailure)
}

/// Checks shared by the mail transports: bad input is refused before anything is sent.
enum EnvelopeValidation {
    static func check(from: String, to: [String]) throws(DeliveryFailure) {
        if to.isEmpty { throw .permanent("no envelope recipients") }
        for address in [from] + to {
            // Scalars, not Characters: "\r\n" is one Character equal to neither "\r" nor "\n".
            if address.unicodeScalars.contains(where: { "\r\n\0<>".unicodeScalars.contains($0) }) {
                throw .permanent("invalid envelope address \(address.debugDescription)")
            }
        }
        for address in to where address.isEmpty || !address.contains("@") {
            throw .permanent("invalid envelope recipient \(address.debugDescription)")
        }
    }
}
