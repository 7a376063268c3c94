import Crypto
import Foundation

/// Finds rows by an email or a phone without storing either: an HMAC-SHA256 of the normalised
/// value under a key of its own, so equal contacts index equally and the index alone reveals
/// nothing to someone without the key.
public struct BlindIndex: Sendable {
    private let key: SecretKey

    public init(key: SecretKey) {
        self.key = key
    }

    /// Emails compare without regard to case, as the per-contact limit always compared them.
    public func email(_ email: String) -> [UInt8] {
        entry("email", email.lowercased())
    }

    /// Phones are stored in E.164 already, their one form.
    public func phone(_ phone: String) -> [UInt8] {
        entry("phone", phone)
    }

    private func entry(_ kind: String, _ value: String) -> [UInt8] {
        // The kind is part of the input: an email and a phone never share an entry.
        Array(HMAC<SHA256>.authenticationCode(for: Array("\(kind):\(value)".utf8), using: key.symmetric))
    }
}
