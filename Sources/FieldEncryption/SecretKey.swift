import Crypto
import Foundation

/// 256 bits of key material: a master key, a client's data key or the blind index's key.
public struct SecretKey: Sendable, Equatable {
    public static let byteCount = 32

    let symmetric: SymmetricKey

    /// Exactly 32 bytes; anything else is refused rather than stretched or cut.
    public init(bytes: some Collection<UInt8>) throws(KeyError) {
        guard bytes.count == Self.byteCount else { throw .wrongLength(bytes.count) }
        symmetric = SymmetricKey(data: Array(bytes))
    }

    /// A fresh key from the system's random source.
    public static func random() -> SecretKey {
        SecretKey(symmetric: SymmetricKey(size: .bits256))
    }

    private init(symmetric: SymmetricKey) {
        self.symmetric = symmetric
    }

    public var bytes: [UInt8] { symmetric.withUnsafeBytes { Array($0) } }

    /// The key as a key file holds it: base64, one line.
    public var base64: String { Data(bytes).base64EncodedString() }

    /// A key file's content: base64 text (what `systemd-creds encrypt` is usually given) or the
    /// 32 raw bytes; surrounding white space is ignored.
    public init(keyFile content: [UInt8]) throws(KeyError) {
        if content.count == Self.byteCount {
            try self.init(bytes: content)
            return
        }
        let text = String(decoding: content, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let decoded = Data(base64Encoded: text) else { throw .notBase64 }
        try self.init(bytes: decoded)
    }

    public static func == (lhs: SecretKey, rhs: SecretKey) -> Bool {
        lhs.symmetric == rhs.symmetric
    }
}

public enum KeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case wrongLength(Int)
    case notBase64

    public var description: String {
        switch self {
        case .wrongLength(let count): "a key is \(SecretKey.byteCount) bytes, this one is \(count)"
        case .notBase64: "a key file holds \(SecretKey.byteCount) bytes, raw or in base64, and this one holds neither"
        }
    }
}
