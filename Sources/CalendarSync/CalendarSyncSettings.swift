import DaemonKit
import Foundation
import SuiteCalendar

/// booking.yaml's `calendars:` section (all optional) and what calsyncd takes from `calendar:`.
public struct CalendarSyncSettings: Sendable, Equatable {
    /// Between two syncs of every connection.
    public var interval: Duration
    /// A connection without a successful sync for this long is stale: the busy time in force is old.
    public var staleAfter: Duration
    /// How long one request to a calendar server may take.
    public var requestTimeout: Duration
    /// How far ahead busy time is read: the booking horizon and two days more (a consultant in a
    /// zone ahead of the business's, an all-day event across the horizon's end).
    public var daysAhead: Int
    /// notifyd's `notifications.manage_url`: the manage link a booking's event carries.
    public var manageURL: String?

    public static func load(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> CalendarSyncSettings {
        let raw = try configuration.section("calendars", as: RawCalendars.self)
        let horizon = try CalendarSettings.load(configuration).policy.horizonDays
        func seconds(_ value: Int?, _ key: String, default fallback: Int, within range: ClosedRange<Int>) throws(ConfigurationError) -> Duration {
            let value = value ?? fallback
            guard range.contains(value) else {
                throw ConfigurationError(file: configuration.file, key: "calendars.\(key)", problem: "must be between \(range.lowerBound) and \(range.upperBound) seconds")
            }
            return .seconds(value)
        }
        return CalendarSyncSettings(
            interval: try seconds(raw?.syncIntervalSeconds, "sync_interval_seconds", default: 60, within: 1...86_400),
            staleAfter: try seconds(raw?.staleAfterSeconds, "stale_after_seconds", default: 600, within: 1...604_800),
            requestTimeout: try seconds(raw?.requestTimeoutSeconds, "request_timeout_seconds", default: 20, within: 1...300),
            daysAhead: horizon + 2,
            manageURL: configuration.scalar("notifications", "manage_url")
        )
    }
}

private struct RawCalendars: Decodable {
    var syncIntervalSeconds: Int?
    var staleAfterSeconds: Int?
    var requestTimeoutSeconds: Int?
    enum CodingKeys: String, CodingKey {
        case syncIntervalSeconds = "sync_interval_seconds", staleAfterSeconds = "stale_after_seconds", requestTimeoutSeconds = "request_timeout_seconds"
    }
}
