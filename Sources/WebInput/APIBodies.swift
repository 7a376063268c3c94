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
    /// Where the lead came from, as the client's own page knew it.
    public var source: SourceBody?
}

/// A booking's `source` as an API client sends it: the `utm_*` parameters and the referring
/// host. A key it does not know is refused (`source.<key>`), unlike elsewhere in the API: a
/// misspelt parameter would otherwise be lost without a word, and nothing else can go here.
public struct SourceBody: Decodable, Sendable {
    public var utmSource: String?
    public var utmMedium: String?
    public var utmCampaign: String?
    public var referrer: String?

    private enum CodingKeys: String, CodingKey {
        case utmSource, utmMedium, utmCampaign, referrer
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let given = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = given.allKeys.first(where: { CodingKeys(stringValue: $0.stringValue) == nil }) {
            throw DecodingError.dataCorruptedError(forKey: unknown, in: given,
                                                   debugDescription: "source has utm_source, utm_medium, utm_campaign and referrer only")
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        utmSource = try container.decodeIfPresent(String.self, forKey: .utmSource)
        utmMedium = try container.decodeIfPresent(String.self, forKey: .utmMedium)
        utmCampaign = try container.decodeIfPresent(String.self, forKey: .utmCampaign)
        referrer = try container.decodeIfPresent(String.self, forKey: .referrer)
    }
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
