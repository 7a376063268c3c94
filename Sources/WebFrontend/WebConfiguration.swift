import BookingDomain
import BookingProtocol
import DaemonKit
import Foundation

/// The `web:` section of booking.yaml: what webd listens on, how it is reached from outside,
/// and how hard it makes abuse. Every key is checked when the file is read; a bad value stops
/// webd (or refuses a reload) with the file, the key and the problem.
public struct WebConfiguration: Sendable, Equatable {
    public var listenHost: String
    public var listenPort: Int
    /// How visitors reach the page, e.g. `https://booking.example.com` (no trailing slash):
    /// the manage link in emails is `public_url` + `/manage/<REF>`.
    public var publicURL: String
    /// Proxies whose `X-Forwarded-For` is believed.
    public var trustedProxies: [IPNetwork]
    public var ipLimit: BucketPolicy
    /// Queries of free slots per client (the API's and the page's), cached answers included.
    public var slotLimit: BucketPolicy
    public var emailLimit: BucketPolicy
    public var phoneLimit: BucketPolicy
    /// Expected attempts to solve a challenge (the search space is twice this).
    public var proofOfWorkDifficulty: Int
    /// The difficulty while bookingd holds clients' bookings (`proof_of_work.raised_difficulty`;
    /// default ten times `difficulty`): an attack that switched automatic confirmation on also
    /// pays more per booking.
    public var proofOfWorkRaisedDifficulty: Int?
    public var proofOfWorkExpiry: Duration
    /// Bookings from the form without a solved challenge (JavaScript off), across all visitors,
    /// per hour; 0 means the page's script is required to book.
    public var noScriptBookingsPerHour: Int
    /// A form sent back sooner than this after it was served is a bot's.
    public var minFillSeconds: Int
    /// HMAC key of challenges and form tokens; made (0600) on first start when missing.
    public var secretFile: String
    /// The personal-data policy: a link, or text files by language.
    public var policyURL: String?
    public var policyFiles: [String: String]
    /// The processing notice's version as the operator names it (e.g. `2026-11-01`), recorded
    /// with each consent; nil: the served file's name and SHA-256.
    public var policyVersion: String?
    /// The zones offered in the page's selector (the visitor's detected zone is added).
    public var timeZones: [String]
    /// How long the API's slot answers are reused (0: never).
    public var slotsCache: Duration
    /// The company's name, logo and colours on the page, and who may embed it.
    public var branding: Branding
    /// What the private calendar feeds show of the client (`feeds.detail`): by default nothing,
    /// since calendar services fetch them from abroad (docs/privacy.md).
    public var feedDetail: FeedDetail

    public struct BucketPolicy: Sendable, Equatable {
        public var capacity: Int
        public var refillPerMinute: Double
        public init(capacity: Int, refillPerMinute: Double) {
            self.capacity = capacity
            self.refillPerMinute = refillPerMinute
        }
    }

    public static let defaultTimeZones = [
        "Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk", "Asia/Novosibirsk",
        "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok", "Asia/Magadan", "Asia/Kamchatka",
        "Europe/Minsk", "Europe/Kyiv", "Europe/Berlin", "Europe/London", "Asia/Almaty", "Asia/Tashkent", "Asia/Tbilisi",
        "Asia/Yerevan", "Asia/Dubai", "Asia/Shanghai", "Asia/Tokyo", "America/New_York", "America/Chicago",
        "America/Los_Angeles", "UTC",
    ]

    /// The defaults of a development machine; `load` overrides them key by key.
    public init(stateDirectory: String) {
        listenHost = "127.0.0.1"
        listenPort = 8080
        publicURL = "http://127.0.0.1:8080"
        trustedProxies = []
        ipLimit = BucketPolicy(capacity: 20, refillPerMinute: 10)
        slotLimit = BucketPolicy(capacity: 60, refillPerMinute: 120)
        emailLimit = BucketPolicy(capacity: 5, refillPerMinute: 1)
        phoneLimit = BucketPolicy(capacity: 5, refillPerMinute: 1)
        proofOfWorkDifficulty = 50_000
        proofOfWorkExpiry = .seconds(600)
        noScriptBookingsPerHour = 20
        minFillSeconds = 3
        secretFile = (stateDirectory as NSString).appendingPathComponent("webd.secret")
        policyURL = nil
        policyFiles = [:]
        policyVersion = nil
        timeZones = Self.defaultTimeZones
        slotsCache = .milliseconds(1000)
        branding = Branding()
        feedDetail = .minimal
    }

    public var manageBase: String { publicURL + "/manage/" }

    /// Where a calendar application subscribes to the feed whose token bookingd signed.
    public func feedURL(token: String) -> String { publicURL + Self.feedsPath + token + Self.feedSuffix }

    /// A feed's address is `public_url` + `/feeds/<token>.ics`.
    static let feedsPath = "/feeds/"
    static let feedSuffix = ".ics"

    /// Reads and checks the `web:` section (absent: every default).
    public static func load(from suite: SuiteConfiguration) throws(ConfigurationError) -> WebConfiguration {
        var web = WebConfiguration(stateDirectory: suite.stateDirectory)
        web.branding = Branding(configurationFile: suite.file)
        guard let raw = try suite.section("web", as: RawWeb.self) else { return web }
        func fail(_ key: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(file: suite.file, key: "web.\(key)", problem: problem)
        }
        web.branding = try Branding.load(
            companyName: raw.companyName, description: raw.description, footer: raw.footer, logoFile: raw.logoFile, accentColour: raw.accentColour,
            embed: raw.embed, suite: suite, fail: fail
        )
        if let listen = raw.listen {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (1...65535).contains(port),
                  !listen[..<colon].isEmpty else {
                throw fail("listen", "'\(listen)' is not HOST:PORT, e.g. 127.0.0.1:8080")
            }
            web.listenHost = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            web.listenPort = port
            if raw.publicURL == nil { web.publicURL = "http://\(listen)" }
        }
        if let url = raw.publicURL {
            let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
            guard let parsed = URL(string: trimmed), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil,
                  parsed.query == nil, parsed.fragment == nil else {
                throw fail("public_url", "'\(url)' is not an http:// or https:// address such as https://booking.example.com")
            }
            web.publicURL = trimmed
        }
        if let proxies = raw.trustedProxies {
            web.trustedProxies = try proxies.enumerated().map { index, text throws(ConfigurationError) in
                guard let network = IPNetwork(text) else {
                    throw fail("trusted_proxies.\(index)", "'\(text)' is not an address or CIDR block such as 127.0.0.1/32 or ::1")
                }
                return network
            }
        }
        for (name, bucket) in [("ip", raw.rateLimits?.ip), ("email", raw.rateLimits?.email), ("phone", raw.rateLimits?.phone),
                               ("slots", raw.rateLimits?.slots)] {
            guard let bucket else { continue }
            var policy = switch name {
            case "ip": web.ipLimit
            case "slots": web.slotLimit
            default: web.emailLimit
            }
            if let capacity = bucket.capacity {
                guard (1...100_000).contains(capacity) else { throw fail("rate_limits.\(name).capacity", "must be between 1 and 100000, got \(capacity)") }
                policy.capacity = capacity
            }
            if let refill = bucket.refillPerMinute {
                guard refill > 0, refill <= 100_000_000 else { throw fail("rate_limits.\(name).refill_per_minute", "must be above 0 and at most 100000000, got \(refill)") }
                policy.refillPerMinute = refill
            }
            switch name {
            case "ip": web.ipLimit = policy
            case "slots": web.slotLimit = policy
            case "email": web.emailLimit = policy
            default: web.phoneLimit = policy
            }
        }
        if raw.maxFutureBookingsPerContact != nil {
            throw fail("max_future_bookings_per_contact", "moved to bookings.max_future_bookings_per_contact (bookingd holds the limit); move the key there")
        }
        if let difficulty = raw.proofOfWork?.difficulty {
            guard (1...10_000_000).contains(difficulty) else { throw fail("proof_of_work.difficulty", "must be between 1 and 10000000, got \(difficulty)") }
            web.proofOfWorkDifficulty = difficulty
        }
        if let raised = raw.proofOfWork?.raisedDifficulty {
            guard (1...100_000_000).contains(raised) else { throw fail("proof_of_work.raised_difficulty", "must be between 1 and 100000000, got \(raised)") }
            web.proofOfWorkRaisedDifficulty = raised
        }
        if let expiry = raw.proofOfWork?.expirySeconds {
            guard (10...86_400).contains(expiry) else { throw fail("proof_of_work.expiry_seconds", "must be between 10 and 86400, got \(expiry)") }
            web.proofOfWorkExpiry = .seconds(expiry)
        }
        if let perHour = raw.proofOfWork?.noScriptBookingsPerHour {
            guard (0...100_000).contains(perHour) else { throw fail("proof_of_work.no_script_bookings_per_hour", "must be between 0 and 100000, got \(perHour)") }
            web.noScriptBookingsPerHour = perHour
        }
        if let seconds = raw.minFillSeconds {
            guard (0...600).contains(seconds) else { throw fail("min_fill_seconds", "must be between 0 and 600, got \(seconds)") }
            web.minFillSeconds = seconds
        }
        if let file = raw.secretFile { web.secretFile = suite.path(file) }
        if let url = raw.policyURL {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? "") || url.hasPrefix("/") else {
                throw fail("policy_url", "'\(url)' is not an http(s):// address or a path on this site")
            }
            web.policyURL = url
        }
        if let version = raw.policyVersion {
            let trimmed = version.trimmingCharacters(in: .whitespaces)
            guard (1...200).contains(trimmed.count), !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw fail("policy_version", "one line of 1 to 200 characters, e.g. \"2026-11-01\"")
            }
            web.policyVersion = trimmed
        }
        for (language, file) in raw.policyFiles ?? [:] {
            guard SupportedLocale(rawValue: language) != nil else {
                throw fail("policy_files.\(language)", "the language must be one of \(SupportedLocale.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let path = suite.path(file)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw fail("policy_files.\(language)", "cannot read '\(path)'")
            }
            web.policyFiles[language] = path
        }
        if let milliseconds = raw.slotsCacheMilliseconds {
            guard (0...60_000).contains(milliseconds) else { throw fail("slots_cache_milliseconds", "must be between 0 and 60000, got \(milliseconds)") }
            web.slotsCache = .milliseconds(milliseconds)
        }
        if let zones = raw.timeZones {
            for (index, zone) in zones.enumerated() where TimeZone(identifier: zone) == nil {
                throw fail("time_zones.\(index)", "'\(zone)' is not an IANA time zone")
            }
            guard !zones.isEmpty else { throw fail("time_zones", "list at least one zone, or leave the key out") }
            web.timeZones = zones
        }
        if let detail = raw.feeds?.detail {
            guard let parsed = FeedDetail(rawValue: detail) else {
                throw fail("feeds.detail", "must be \(FeedDetail.allCases.map(\.rawValue).joined(separator: " or ")), got '\(detail)'")
            }
            web.feedDetail = parsed
        }
        return web
    }
}

private struct RawWeb: Decodable {
    var listen: String?
    var publicURL: String?
    var trustedProxies: [String]?
    var rateLimits: RawRateLimits?
    /// Retired: read only to refuse it with where it went.
    var maxFutureBookingsPerContact: RetiredKey?
    var proofOfWork: RawProofOfWork?
    var minFillSeconds: Int?
    var secretFile: String?
    var policyURL: String?
    var policyFiles: [String: String]?
    var policyVersion: String?
    var timeZones: [String]?
    var slotsCacheMilliseconds: Int?
    var companyName: RawLocalizedText?
    var description: RawLocalizedText?
    var footer: RawLocalizedText?
    var logoFile: String?
    var accentColour: String?
    var embed: RawEmbed?
    var feeds: RawFeeds?
    enum CodingKeys: String, CodingKey {
        case listen, publicURL = "public_url", trustedProxies = "trusted_proxies", rateLimits = "rate_limits"
        case maxFutureBookingsPerContact = "max_future_bookings_per_contact", proofOfWork = "proof_of_work"
        case minFillSeconds = "min_fill_seconds", secretFile = "secret_file", policyURL = "policy_url", policyFiles = "policy_files", policyVersion = "policy_version"
        case timeZones = "time_zones", slotsCacheMilliseconds = "slots_cache_milliseconds"
        case companyName = "company_name", description, footer, logoFile = "logo_file", accentColour = "accent_colour", embed, feeds
    }
}

private struct RawFeeds: Decodable {
    var detail: String?
}

private struct RawRateLimits: Decodable {
    var ip: RawBucket?
    var email: RawBucket?
    var phone: RawBucket?
    var slots: RawBucket?
}

private struct RawBucket: Decodable {
    var capacity: Int?
    var refillPerMinute: Double?
    enum CodingKeys: String, CodingKey { case capacity, refillPerMinute = "refill_per_minute" }
}

private struct RawProofOfWork: Decodable {
    var difficulty: Int?
    var expirySeconds: Int?
    var noScriptBookingsPerHour: Int?
    var raisedDifficulty: Int?
    enum CodingKeys: String, CodingKey {
        case difficulty, expirySeconds = "expiry_seconds", noScriptBookingsPerHour = "no_script_bookings_per_hour"
        case raisedDifficulty = "raised_difficulty"
    }
}

/// A key that is no longer read here, whatever its value.
private struct RetiredKey: Decodable {
    init(from decoder: any Decoder) throws {}
}
