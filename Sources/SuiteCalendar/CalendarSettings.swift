import BookingDomain
import CivilTime
import DaemonKit
import Foundation

/// The `calendar:` section of booking.yaml: the business's hours, zone, slot grid and horizon,
/// and the production calendar file it names. availabilityd applies the rules; every other
/// daemon reads only the business zone from here, so that one key sets it for the whole suite.
public struct CalendarSettings: Sendable {
    public var policy: CalendarPolicy
    public var productionCalendarFile: String
    public var productionCalendar: ProductionCalendar

    public var timeZone: TimeZone { policy.timeZone }

    public static func load(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> CalendarSettings {
        let raw = try configuration.section("calendar", as: RawCalendar.self) ?? RawCalendar()
        let file = configuration.file
        var policy = CalendarPolicy()
        policy.timeZone = try zone(raw, file: file)
        if let opens = raw.opens {
            guard let time = LocalTime(opens) else { throw ConfigurationError(file: file, key: "calendar.opens", problem: "'\(opens)' is not a time HH:MM") }
            policy.opens = time
        }
        if let closes = raw.closes {
            guard let time = LocalTime(closes) else { throw ConfigurationError(file: file, key: "calendar.closes", problem: "'\(closes)' is not a time HH:MM") }
            policy.closes = time
        }
        guard policy.opens < policy.closes else {
            throw ConfigurationError(file: file, key: "calendar.closes", problem: "must be later than calendar.opens")
        }
        if let minutes = raw.slotMinutes {
            guard (5...240).contains(minutes) else { throw ConfigurationError(file: file, key: "calendar.slot_minutes", problem: "must be between 5 and 240, got \(minutes)") }
            policy.slotLength = TimeInterval(minutes * 60)
        }
        if let days = raw.horizonDays {
            guard (1...366).contains(days) else { throw ConfigurationError(file: file, key: "calendar.horizon_days", problem: "must be between 1 and 366, got \(days)") }
            policy.horizonDays = days
        }
        if let minutes = raw.minimumNoticeMinutes {
            guard (0...(60 * 24 * 30)).contains(minutes) else { throw ConfigurationError(file: file, key: "calendar.minimum_notice_minutes", problem: "must be between 0 and 43200, got \(minutes)") }
            policy.minimumNotice = TimeInterval(minutes * 60)
        }
        let productionFile = configuration.path(raw.productionCalendar ?? "production-calendar.yaml")
        return CalendarSettings(policy: policy, productionCalendarFile: productionFile, productionCalendar: try loadProductionCalendar(productionFile))
    }

    /// The business's zone alone (`calendar.time_zone`, Europe/Moscow by default), for the daemons
    /// that show or store times in it but apply no calendar rules.
    public static func businessZone(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> TimeZone {
        try zone(try configuration.section("calendar", as: RawCalendar.self) ?? RawCalendar(), file: configuration.file)
    }

    public static func loadProductionCalendar(_ path: String) throws(ConfigurationError) -> ProductionCalendar {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, problem: "cannot read the production calendar (missing or not readable)")
        }
        return try ConfigurationYAML.decode(ProductionCalendar.self, from: String(decoding: data, as: UTF8.self), file: path)
    }

    private static func zone(_ raw: RawCalendar, file: String) throws(ConfigurationError) -> TimeZone {
        guard let identifier = raw.timeZone else { return CalendarPolicy().timeZone }
        guard let zone = TimeZone(identifier: identifier) else {
            throw ConfigurationError(file: file, key: "calendar.time_zone", problem: "'\(identifier)' is not an IANA time zone")
        }
        return zone
    }
}

private struct RawCalendar: Decodable {
    var timeZone: String?
    var opens: String?
    var closes: String?
    var slotMinutes: Int?
    var horizonDays: Int?
    var minimumNoticeMinutes: Int?
    var productionCalendar: String?
    enum CodingKeys: String, CodingKey {
        case timeZone = "time_zone", opens, closes, slotMinutes = "slot_minutes", horizonDays = "horizon_days"
        case minimumNoticeMinutes = "minimum_notice_minutes", productionCalendar = "production_calendar"
    }
}
