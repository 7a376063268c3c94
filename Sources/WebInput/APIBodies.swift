import BookingProtocol
import Foundation

// The JSON bodies /api/v1 reads (with `WireJSON`, like the daemons' bodies).

public struct BookBody: Decodable, Sendable {
    public var start: Date
    public var contact: ContactBody
    public var timeZone: String?
    public var locale: String?
    public var consent: Bool?
    /// Consent to marketing: separate from `consent`, optional, never required to book.
    public var marketingConsent: Bool?
    public var proofOfWork: ProofOfWorkSolution?
    public var topic: String?
}

public struct RescheduleBody: Decodable, Sendable {
    public var start: Date
    public var reason: String?
}

public struct CancelBody: Decodable, Sendable {
    public var reason: String?
}

/// The link's `token` or the SMS `code`, exactly one.
public struct ConfirmBody: Decodable, Sendable {
    public var token: String?
    public var code: String?
}

/// What the client sends back: the challenge as given and the number it found.
public struct ProofOfWorkSolution: Codable, Sendable, Equatable {
    public var challenge: String
    public var salt: String
    public var signature: String
    public var number: Int

    public init(challenge: String, salt: String, signature: String, number: Int) {
        self.challenge = challenge
        self.salt = salt
        self.signature = signature
        self.number = number
    }

    /// The compact form a page's hidden field carries: `salt|number|challenge|signature`.
    public init?(field: String) {
        let parts = field.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, let number = Int(parts[1]) else { return nil }
        self.init(challenge: parts[2], salt: parts[0], signature: parts[3], number: number)
    }
}
