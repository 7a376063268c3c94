import Crypto
import Foundation

/// Seals and opens single values with AES-256-GCM under one key. A sealed value is
/// `version (1) | nonce (12) | ciphertext | tag (16)`; the nonce is random for every seal, so
/// equal values never look equal at rest.
public struct FieldCipher: Sendable {
    static let version: UInt8 = 1
    static let overhead = 1 + 12 + 16

    let key: SecretKey

    public init(key: SecretKey) {
        self.key = key
    }

    public func seal(_ plaintext: some DataProtocol, binding: FieldBinding) -> [UInt8] {
        seal(plaintext, binding: binding, nonce: AES.GCM.Nonce())
    }

    /// With a chosen nonce: for known-answer tests only, a nonce must never repeat under a key.
    func seal(_ plaintext: some DataProtocol, binding: FieldBinding, nonce: AES.GCM.Nonce) -> [UInt8] {
        // AES-GCM fails only for a nonce or key of the wrong size, which these types rule out.
        let box = try! AES.GCM.seal(plaintext, using: key.symmetric, nonce: nonce, authenticating: binding.associatedData)
        return [Self.version] + Array(box.combined!)
    }

    public func open(_ sealed: some Collection<UInt8>, binding: FieldBinding) throws(SealError) -> [UInt8] {
        let bytes = Array(sealed)
        guard bytes.count >= Self.overhead else { throw .truncated(binding) }
        guard bytes[0] == Self.version else { throw .unknownVersion(bytes[0], binding) }
        do {
            let box = try AES.GCM.SealedBox(combined: bytes[1...])
            return Array(try AES.GCM.open(box, using: key.symmetric, authenticating: binding.associatedData))
        } catch {
            throw .doesNotOpen(binding)
        }
    }

    public func seal(_ text: String, binding: FieldBinding) -> [UInt8] {
        seal(Array(text.utf8), binding: binding)
    }

    public func openText(_ sealed: some Collection<UInt8>, binding: FieldBinding) throws(SealError) -> String {
        let bytes = try open(sealed, binding: binding)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notText(binding) }
        return text
    }
}

/// A sealed value that cannot be read: damaged, moved from another row, or sealed under another key.
public enum SealError: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated(FieldBinding)
    case unknownVersion(UInt8, FieldBinding)
    /// The tag does not match: another key, another row's value, or altered bytes.
    case doesNotOpen(FieldBinding)
    case notText(FieldBinding)

    public var description: String {
        switch self {
        case .truncated(let binding): "\(binding) is too short to be a sealed value"
        case .unknownVersion(let version, let binding): "\(binding) is sealed in an unknown format (\(version))"
        case .doesNotOpen(let binding): "\(binding) does not open: another key sealed it, it belongs to another row, or it was altered"
        case .notText(let binding): "\(binding) opens to bytes that are not UTF-8"
        }
    }
}
