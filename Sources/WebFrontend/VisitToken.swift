import BookingProtocol
import Crypto
import Foundation

/// One visit to the booking page, as the funnel counts it: a random id, when it began and where
/// it came from. Nothing in it names or tracks a person.
public struct Visit: Sendable, Equatable {
    /// 16 random bytes in hex: what bookingd keeps the visit's steps under.
    public var id: String
    public var issuedAt: Date
    public var source: LeadSourceBody?

    public init(id: String, issuedAt: Date, source: LeadSourceBody?) {
        self.id = id
        self.issuedAt = issuedAt
        self.source = source
    }
}

/// The signed form of a visit that the page's links and forms carry (`visit=`), never a cookie:
/// a visit ends with the tab that holds its links, and the browser keeps nothing that could
/// recognise the visitor on their next visit.
///
/// `<id>.<issued, unix seconds>.<source: base64url of its JSON, or empty>.<HMAC-SHA256, base64url>`,
/// keyed by a key derived from webd's secret for this use alone.
public struct VisitToken: Sendable {
    private let key: SymmetricKey

    /// A visit longer than a day is taken for a new one: a link kept or shared that long is not
    /// the same sitting.
    public static let lifetime: TimeInterval = 24 * 3600
    /// How far ahead of webd's clock an issue time may be (another webd behind a balancer).
    static let clockSkew: TimeInterval = 60

    public init(siteKey: SymmetricKey) {
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: siteKey, info: Array("webd visit token v1".utf8), outputByteCount: 32)
    }

    public func issue(_ visit: Visit) -> String {
        let source = visit.source.flatMap { try? WireJSON.encode($0) }.map(Self.base64url) ?? ""
        let signed = "\(visit.id).\(Int(visit.issuedAt.timeIntervalSince1970)).\(source)"
        return signed + "." + Self.base64url(Array(HMAC<SHA256>.authenticationCode(for: Array(signed.utf8), using: key)))
    }

    /// The visit a token carries, or nil for one that is malformed, forged or too old.
    public func verify(_ token: String?, now: Date) -> Visit? {
        guard let token, token.utf8.count <= 4096 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, let mac = Self.bytes(base64url: String(parts[3])) else { return nil }
        let signed = parts[0...2].joined(separator: ".")
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array(signed.utf8), using: key) else { return nil }
        guard let seconds = Int(parts[1]) else { return nil }
        let issuedAt = Date(timeIntervalSince1970: TimeInterval(seconds))
        let age = now.timeIntervalSince(issuedAt)
        guard age <= Self.lifetime, age >= -Self.clockSkew else { return nil }
        var source: LeadSourceBody?
        if !parts[2].isEmpty {
            guard let json = Self.bytes(base64url: String(parts[2])), let decoded = try? WireJSON.decode(LeadSourceBody.self, from: json) else { return nil }
            source = decoded
        }
        return Visit(id: String(parts[0]), issuedAt: issuedAt, source: source)
    }

    /// A new visit's id.
    static func newID() -> String { BookingWebsite.randomHex(16) }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func bytes(base64url text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard).map(Array.init)
    }
}
