import BookingDomain
import DaemonKit

/// The `privacy:` section (optional): how long personal data is kept after an appointment's
/// purpose was achieved.
public struct PrivacySettings: Sendable, Equatable {
    public var retention: RetentionRule

    public init(retention: RetentionRule = RetentionRule()) {
        self.retention = retention
    }

    public static func load(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> PrivacySettings {
        let raw = try configuration.section("privacy", as: RawPrivacy.self)
        let days = raw?.retentionDays ?? RetentionRule.defaultDays
        // 152-FZ allows at most 30 days once the purpose is achieved; 0 erases at once.
        guard (0...30).contains(days) else {
            throw ConfigurationError(file: configuration.file, key: "privacy.retention_days",
                                     problem: "must be between 0 and 30 (152-FZ art. 21 part 4 allows no more), got \(days)")
        }
        return PrivacySettings(retention: RetentionRule(days: days))
    }

    static func defaultApplied(_ configuration: SuiteConfiguration) -> String? {
        configuration.defaultApplied("privacy", "clients' personal data is erased \(RetentionRule.defaultDays) days after their appointment")
    }
}

private struct RawPrivacy: Decodable {
    var retentionDays: Int?
    enum CodingKeys: String, CodingKey { case retentionDays = "retention_days" }
}
