import Foundation

/// What a client consented to on the booking form: the processing of their personal data
/// (required to book) and, apart from it, marketing (optional, never required).
public enum ConsentPurpose: String, Sendable, Hashable, Codable, CaseIterable {
    case processing
    case marketing
}

/// One consent as the operator must be able to show it (152-FZ art. 9, GDPR art. 7(1)): which
/// version of the processing notice was accepted, when, and from which address, masked as the
/// page recorded it. Each purpose is its own record, so marketing consent is kept apart and can
/// be withdrawn without touching the other.
public struct ConsentRecord: Sendable, Hashable {
    public static let noticeLength = 1...200
    public static let addressLength = 1...64

    public var purpose: ConsentPurpose
    public var notice: String
    public var givenAt: Date
    /// The client's IP address masked by webd (`203.0.113.x`, `2001:db8:1234::/48`); nil when
    /// the booking did not come through a page.
    public var address: String?

    public init(purpose: ConsentPurpose, notice: String, givenAt: Date, address: String?) {
        self.purpose = purpose
        self.notice = notice
        self.givenAt = givenAt
        self.address = address
    }

    /// The records of one booking form: processing always, marketing only when ticked. The
    /// notice is one printable line; the address holds only what a masked address holds
    /// (hex digits, `.`, `:`, `/`, `x`), so a whole address cannot be passed off as masked.
    public static func validated(notice: String, givenAt: Date, address: String?, marketing: Bool) throws(ConsentError) -> [ConsentRecord] {
        // Checked before trimming, which would quietly drop a zero-width space at an end.
        let hidden = notice.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }
        let notice = notice.trimmingCharacters(in: .whitespaces)
        guard noticeLength.contains(notice.count), !hidden else {
            throw ConsentError(field: "consent.notice", message: "the notice version is one line of \(noticeLength.lowerBound) to \(noticeLength.upperBound) printable characters")
        }
        if let address {
            let allowed = Set("0123456789abcdefABCDEF.:/x")
            guard addressLength.contains(address.count), address.allSatisfy(allowed.contains), isMasked(address) else {
                throw ConsentError(field: "consent.address", message: "the address is masked (203.0.113.x or 2001:db8:1234::/48), never whole")
            }
        }
        let processing = ConsentRecord(purpose: .processing, notice: notice, givenAt: givenAt, address: address)
        return marketing ? [processing, ConsentRecord(purpose: .marketing, notice: notice, givenAt: givenAt, address: address)] : [processing]
    }

    /// An IPv4 address with its last octet hidden, or an IPv6 prefix of at most 64 bits.
    static func isMasked(_ address: String) -> Bool {
        if address.hasSuffix(".x") { return address.split(separator: ".").count == 4 }
        let parts = address.split(separator: "/")
        guard parts.count == 2, let length = Int(parts[1]) else { return false }
        return address.contains(":") && (0...64).contains(length)
    }
}

/// A consent that cannot be recorded as given: `field` names it as the wire does.
public struct ConsentError: Error, Sendable, Hashable, CustomStringConvertible {
    public let field: String
    public let message: String

    public var description: String { "\(field): \(message)" }
}
