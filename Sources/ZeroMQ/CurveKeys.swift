import CZeroMQ
import NIOConcurrencyHelpers

/// A CURVE key (RFC 26): 32 bytes, written as 40 characters of Z85 (RFC 32) in files and in the
/// configuration.
public struct CurveKey: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public static let byteCount = 32
    public static let textLength = 40

    /// Why a text is no key, in words that can follow "the key ...".
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var problem: String
        public var description: String { problem }
    }

    public init(bytes: [UInt8]) throws(Invalid) {
        guard bytes.count == Self.byteCount else { throw Invalid(problem: "has \(bytes.count) bytes; a CURVE key has 32") }
        self.bytes = bytes
    }

    /// A key from its Z85 text (white space around it ignored, as a file's final line break).
    public init(z85 text: String) throws(Invalid) {
        let text = Self.trimmed(text)
        guard text.utf8.count == Self.textLength else {
            throw Invalid(problem: "is \(text.utf8.count) characters long; a CURVE key in Z85 is 40")
        }
        if let bad = text.unicodeScalars.first(where: { !Self.z85Alphabet.contains($0) }) {
            throw Invalid(problem: "has '\(bad.escaped(asASCII: true))', which is not a Z85 character")
        }
        var decoded = [UInt8](repeating: 0, count: Self.byteCount)
        guard decoded.withUnsafeMutableBufferPointer({ zmq_z85_decode($0.baseAddress, text) }) != nil else {
            throw Invalid(problem: "is not valid Z85")
        }
        bytes = decoded
    }

    /// A key libzmq wrote as Z85, NUL-terminated (always valid).
    init(libzmqText text: [CChar]) {
        try! self.init(z85: String(decoding: text.prefix(Self.textLength).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// The 40 characters of Z85.
    public var z85: String {
        var text = [CChar](repeating: 0, count: Self.textLength + 1)
        _ = bytes.withUnsafeBufferPointer { zmq_z85_encode(&text, $0.baseAddress, $0.count) }
        return String(decoding: text.prefix(Self.textLength).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Z85, so that a key in a log line or an error is the text an operator has in their files.
    public var description: String { z85 }

    private static func trimmed(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        return String(text.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }

    private static let z85Alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".unicodeScalars)
}

/// A CURVE key pair: a public key others are told, and its secret key.
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: CurveKey
    public let secretKey: CurveKey

    /// A new random pair (libsodium, through zmq_curve_keypair).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: CurveKey.textLength + 1)
        var secretText = [CChar](repeating: 0, count: CurveKey.textLength + 1)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: CurveKey(libzmqText: publicText), secretKey: CurveKey(libzmqText: secretText))
    }

    /// The pair of a secret key: its public key is derived from it (zmq_curve_public), so a file
    /// or credential holds the secret key alone.
    public init(secretKey: CurveKey) throws(ZMQError) {
        var publicText = [CChar](repeating: 0, count: CurveKey.textLength + 1)
        guard zmq_curve_public(&publicText, secretKey.z85) == 0 else { throw ZMQError.last("zmq_curve_public") }
        self.init(publicKey: CurveKey(libzmqText: publicText), secretKey: secretKey)
    }

    init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}

/// The client keys a CURVE server admits, each by the name its messages will carry
/// (`ZMQPeer.curveKey`). Shared with the context's ZAP handler, which reads it for every new
/// connection: `replace` takes effect for the next one, so keys can be admitted or withdrawn
/// while the server runs.
public final class CurveAdmissions: Sendable {
    private let names: NIOLockedValueBox<[CurveKey: String]>

    public init(_ names: [CurveKey: String]) {
        self.names = NIOLockedValueBox(names)
    }

    public func replace(with names: [CurveKey: String]) {
        self.names.withLockedValue { $0 = names }
    }

    /// The admitted key's name; nil for a key not admitted.
    public func name(of key: CurveKey) -> String? {
        names.withLockedValue { $0[key] }
    }
}

/// CURVE on a socket: set before its bind or connect, so no byte crosses the network in clear.
public enum CurveSecurity: Sendable {
    /// A socket that binds and is connected to: it proves it holds `keyPair`'s secret key, and
    /// the context's ZAP handler admits only the clients in `admissions`, refusing every other key.
    case server(keyPair: CurveKeyPair, admissions: CurveAdmissions)
    /// A socket that connects: it holds `keyPair`, and talks only to the server holding the
    /// secret key of `serverKey`.
    case client(keyPair: CurveKeyPair, serverKey: CurveKey)
}
