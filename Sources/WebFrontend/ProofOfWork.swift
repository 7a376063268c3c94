import Crypto
import DaemonKit
import Foundation
import NIOConcurrencyHelpers
import WebInput

/// A self-hosted proof-of-work challenge in the manner of ALTCHA: the server picks a secret
/// number below `maxNumber`, publishes `SHA-256(salt + number)` with an HMAC of it, and the
/// client finds the number by trying them all. Nothing is stored until a solution comes back;
/// the expiry is inside the signed salt, and a solved challenge is accepted once.
public struct ProofOfWorkChallenge: Codable, Sendable, Equatable {
    public var algorithm: String
    public var challenge: String
    public var maxNumber: Int
    public var salt: String
    public var signature: String

    public init(algorithm: String = "SHA-256", challenge: String, maxNumber: Int, salt: String, signature: String) {
        self.algorithm = algorithm
        self.challenge = challenge
        self.maxNumber = maxNumber
        self.salt = salt
        self.signature = signature
    }
}

public enum ProofOfWorkFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case missing, malformed, badSignature, expired, wrongNumber, alreadyUsed

    public var description: String {
        switch self {
        case .missing: "no proof-of-work solution was sent; get a challenge from /api/v1/challenge and solve it"
        case .malformed: "the proof-of-work solution is not in the expected form"
        case .badSignature: "the proof-of-work challenge was not issued by this server"
        case .expired: "the proof-of-work challenge has expired; get a new one"
        case .wrongNumber: "the proof-of-work number does not solve the challenge"
        case .alreadyUsed: "this proof-of-work challenge has already been used; get a new one"
        }
    }
}

public final class ProofOfWork: Sendable {
    private let key: SymmetricKey
    public let difficulty: Int
    /// While bookingd holds bookings (`BookingServices.holdsBookings`).
    public let raisedDifficulty: Int
    public let expiry: Duration
    /// Solved challenges until they expire, so one solution buys one booking.
    private let used: NIOLockedValueBox<[String: Date]>

    public init(key: SymmetricKey, difficulty: Int, raisedDifficulty: Int? = nil, expiry: Duration) {
        self.key = key
        self.difficulty = difficulty
        self.raisedDifficulty = raisedDifficulty ?? difficulty * 10
        self.expiry = expiry
        used = NIOLockedValueBox([:])
    }

    public func challenge(now: Date, number: Int? = nil, raised: Bool = false) -> ProofOfWorkChallenge {
        let maxNumber = max(1, (raised ? raisedDifficulty : difficulty) * 2)
        let secret = number ?? Int.random(in: 0..<maxNumber)
        var nonce = SystemRandomNumberGenerator()
        let expires = Int(now.addingTimeInterval(expiry.seconds).timeIntervalSince1970)
        let salt = "\(expires).\(String(nonce.next() as UInt64, radix: 16))"
        let challenge = Self.hash(salt + String(secret))
        return ProofOfWorkChallenge(challenge: challenge, maxNumber: maxNumber, salt: salt, signature: sign(challenge))
    }

    /// Checks a solution and, if it holds, spends it.
    public func verify(_ solution: ProofOfWorkSolution?, now: Date) throws(ProofOfWorkFailure) {
        guard let solution else { throw .missing }
        guard let dot = solution.salt.firstIndex(of: "."), let expires = Int(solution.salt[..<dot]), solution.number >= 0 else { throw .malformed }
        guard HMAC<SHA256>.isValidAuthenticationCode(Self.bytes(hex: solution.signature) ?? [], authenticating: Array(solution.challenge.utf8), using: key) else {
            throw .badSignature
        }
        let expiresAt = Date(timeIntervalSince1970: TimeInterval(expires))
        guard expiresAt > now else { throw .expired }
        guard Self.hash(solution.salt + String(solution.number)) == solution.challenge else { throw .wrongNumber }
        let fresh = used.withLockedValue { used in
            if used.count > 10_000 { used = used.filter { $0.value > now } }
            return used.updateValue(expiresAt, forKey: solution.challenge) == nil
        }
        guard fresh else { throw .alreadyUsed }
    }

    /// What the page's script and a test do: try every number.
    public static func solve(_ challenge: ProofOfWorkChallenge) -> ProofOfWorkSolution? {
        for number in 0...challenge.maxNumber where hash(challenge.salt + String(number)) == challenge.challenge {
            return ProofOfWorkSolution(challenge: challenge.challenge, salt: challenge.salt, signature: challenge.signature, number: number)
        }
        return nil
    }

    private func sign(_ text: String) -> String {
        Self.hex(Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
    }

    static func hash(_ text: String) -> String { hex(Array(SHA256.hash(data: Array(text.utf8)))) }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(hex: String) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        for index in stride(from: 0, to: utf8.count, by: 2) {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The token a page's form carries: the time it was served and an HMAC binding that time to the
/// visitor's session cookie. It is the CSRF token (another site cannot read the cookie to make
/// one) and the stopwatch for the minimum time to fill the form in.
public struct FormToken: Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    public enum Failure: Error, Sendable, Equatable {
        case missing, forged, tooFast(secondsLeft: Int), expired
    }

    public static let lifetime: TimeInterval = 2 * 3600

    public func issue(session: String, now: Date) -> String {
        let issued = Int(now.timeIntervalSince1970)
        return "\(issued).\(mac(session: session, issued: issued))"
    }

    public func verify(_ token: String?, session: String?, now: Date, minimumFill: TimeInterval) throws(Failure) {
        guard let token, let session, !session.isEmpty, let dot = token.firstIndex(of: ".") else { throw .missing }
        guard let issued = Int(token[..<dot]), let given = ProofOfWork.bytes(hex: String(token[token.index(after: dot)...])),
              HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Array("form|\(session)|\(issued)".utf8), using: key) else {
            throw .forged
        }
        let age = now.timeIntervalSince1970 - TimeInterval(issued)
        guard age <= Self.lifetime else { throw .expired }
        guard age >= minimumFill else { throw .tooFast(secondsLeft: Int((minimumFill - age).rounded(.up))) }
    }

    private func mac(session: String, issued: Int) -> String {
        ProofOfWork.hex(Array(HMAC<SHA256>.authenticationCode(for: Array("form|\(session)|\(issued)".utf8), using: key)))
    }
}

/// The HMAC key of challenges and form tokens: read from `path`, or made there (32 random
/// bytes, mode 0600) when the file does not exist yet, so restarts keep issued tokens valid.
public enum SecretKeyFile {
    public static func loadOrCreate(_ path: String) throws -> SymmetricKey {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count >= 32 else { throw SecretKeyError(message: tooShort(path, data.count)) }
            return SymmetricKey(data: data)
        }
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw SecretKeyError(message: "cannot write the key file \(path)")
        }
        return key
    }
}

extension SecretKeyFile {
    /// Why `loadOrCreate` would fail on `path`, found without making anything (for
    /// `bookctl config check`, which may run as another user than webd); nil when it would work.
    public static func problem(_ path: String) -> String? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue, let data = manager.contents(atPath: path) else { return "cannot read the key file \(path)" }
            return data.count >= 32 ? nil : tooShort(path, data.count)
        }
        var ancestor = (path as NSString).deletingLastPathComponent
        while ancestor.count > 1 && !manager.fileExists(atPath: ancestor, isDirectory: &isDirectory) {
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        guard isDirectory.boolValue, manager.isWritableFile(atPath: ancestor) else {
            return "cannot make the key file \(path): \(ancestor) is not a writable directory"
        }
        return nil
    }

    fileprivate static func tooShort(_ path: String, _ count: Int) -> String {
        "\(path) holds \(count) bytes; a key needs at least 32 (delete the file to have a new one made)"
    }
}

public struct SecretKeyError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
