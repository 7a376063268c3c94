import Foundation

/// Where a booking's visit came from: the campaign parameters of the address it began with
/// (`utm_source`, `utm_medium`, `utm_campaign`) and the referring site's host. None of it is
/// personal data, so it travels in events and reaches the CRM and the report as it is.
public struct LeadSource: Sendable, Hashable, Codable {
    public var utmSource: String?
    public var utmMedium: String?
    public var utmCampaign: String?
    /// A host name only: a referring page's path or query may carry a search or a person's id.
    public var referrer: String?

    public static let maximumCharacters = 200

    public init(utmSource: String? = nil, utmMedium: String? = nil, utmCampaign: String? = nil, referrer: String? = nil) {
        self.utmSource = utmSource
        self.utmMedium = utmMedium
        self.utmCampaign = utmCampaign
        self.referrer = referrer
    }

    public var isEmpty: Bool { utmSource == nil && utmMedium == nil && utmCampaign == nil && referrer == nil }

    /// A source as a client's visit gave it: each value trimmed, empty ones dropped; nil when
    /// nothing is left. Refused: a value longer than `maximumCharacters` or with a control or
    /// invisible character (it would reach CRM cards and CSV files), and a referrer that is not
    /// a bare host name.
    public static func validated(utmSource: String?, utmMedium: String?, utmCampaign: String?,
                                 referrer: String?) throws(LeadSourceError) -> LeadSource? {
        let source = LeadSource(
            utmSource: try value(utmSource, "utm_source"), utmMedium: try value(utmMedium, "utm_medium"),
            utmCampaign: try value(utmCampaign, "utm_campaign"), referrer: try host(referrer)
        )
        return source.isEmpty ? nil : source
    }

    /// The same rules, value by value, for a source nobody typed (a visit's address and referrer):
    /// a value `validated` would refuse is dropped on its own rather than refusing the rest.
    public static func keepingValid(utmSource: String?, utmMedium: String?, utmCampaign: String?, referrer: String?) -> LeadSource? {
        let source = LeadSource(
            utmSource: try? value(utmSource, "utm_source"), utmMedium: try? value(utmMedium, "utm_medium"),
            utmCampaign: try? value(utmCampaign, "utm_campaign"), referrer: try? host(referrer)
        )
        return source.isEmpty ? nil : source
    }

    private static func value(_ raw: String?, _ field: String) throws(LeadSourceError) -> String? {
        guard let text = raw?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard text.count <= maximumCharacters else {
            throw LeadSourceError(field: field, message: "\(field) has at most \(maximumCharacters) characters")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) else {
            throw LeadSourceError(field: field, message: "\(field) has a control or invisible character")
        }
        return text
    }

    private static func host(_ raw: String?) throws(LeadSourceError) -> String? {
        guard let text = try value(raw, "referrer")?.lowercased() else { return nil }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        let isHost = text.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        guard isHost else { throw LeadSourceError(field: "referrer", message: "referrer is a host name such as example.com, without a path") }
        return text
    }
}

public struct LeadSourceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The wire name of the value: `utm_source`, `utm_medium`, `utm_campaign` or `referrer`.
    public let field: String
    public let message: String

    public var description: String { message }
}
