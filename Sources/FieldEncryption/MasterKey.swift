import Crypto
import Foundation

/// The key that wraps every other key of a daemon. It never seals personal data itself: it seals
/// data keys, so changing it re-wraps a few hundred bytes per client, not the data.
public struct MasterKey: Sendable {
    private let secret: SecretKey
    private let wrapping: FieldCipher
    /// Names the key without revealing it: what a database records to recognise its master key.
    public let fingerprint: String

    public init(_ key: SecretKey) {
        secret = key
        // Separate keys for separate jobs, both derived, so the key file holds one secret.
        let wrappingKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: key.symmetric, info: Array("booking-suite key wrapping/1".utf8), outputByteCount: 32)
        wrapping = FieldCipher(key: try! SecretKey(bytes: wrappingKey.withUnsafeBytes { Array($0) }))
        let check = HMAC<SHA256>.authenticationCode(for: Array("booking-suite master key fingerprint/1".utf8), using: key.symmetric)
        fingerprint = check.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Seals `key` for storage beside the data it protects, bound to where it is stored.
    public func wrap(_ key: SecretKey, binding: FieldBinding) -> [UInt8] {
        wrapping.seal(key.bytes, binding: binding)
    }

    public func unwrap(_ wrapped: some Collection<UInt8>, binding: FieldBinding) throws(SealError) -> SecretKey {
        let bytes = try wrapping.open(wrapped, binding: binding)
        guard let key = try? SecretKey(bytes: bytes) else { throw .doesNotOpen(binding) }
        return key
    }

    /// Seals another master key: while a rotation is under way each of the two keys is kept
    /// wrapped by the other, so a daemon started with either reads everything.
    public func wrap(_ other: MasterKey, binding: FieldBinding) -> [UInt8] {
        wrap(other.secret, binding: binding)
    }

    public func unwrapMaster(_ wrapped: some Collection<UInt8>, binding: FieldBinding) throws(SealError) -> MasterKey {
        MasterKey(try unwrap(wrapped, binding: binding))
    }
}
