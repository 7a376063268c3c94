import DaemonKit
import Foundation
import SuiteCalendar

/// What bookingd reads of booking.yaml: its own `bookings:` section, and the business zone.
public struct BookingSettings: Sendable, Equatable {
    /// The zone of a client who gave none: the business's (`calendar.time_zone`).
    public var defaultTimeZone: String
    /// How many future bookings one email or one phone may hold when the client books
    /// (`bookings.max_future_bookings_per_contact`); admins' bookings are not limited.
    public var maxFutureBookingsPerContact: Int
    /// Whether clients' bookings are held until their client confirms them (`bookings.confirmation`).
    public var confirmation: ConfirmationMode
    /// How long a hold waits for its confirmation (`bookings.hold_minutes`).
    public var holdDuration: TimeInterval
    /// When `automatic` mode switches holds on and off (`bookings.automatic_confirmation`).
    public var automatic: AutomaticConfirmation
    /// How long after its end an appointment may stay without a mark before the report calls it
    /// `unmarked` (`bookings.unmarked_after_hours`).
    public var unmarkedAfter: TimeInterval = TimeInterval(defaultUnmarkedAfterHours * 3600)
    /// How long after its end a consultant's marking link works (`bookings.outcome_link_days`).
    public var outcomeLinkLifetime: TimeInterval = TimeInterval(defaultOutcomeLinkDays * 86_400)

    public static let defaultMaxFutureBookingsPerContact = 2
    public static let defaultUnmarkedAfterHours = 24
    public static let defaultOutcomeLinkDays = 7
    public static let defaultHoldMinutes = 30

    public var businessZone: TimeZone { TimeZone(identifier: defaultTimeZone) ?? TimeZone(secondsFromGMT: 0)! }

    public static func load(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> BookingSettings {
        let raw = try configuration.section("bookings", as: RawBookings.self) ?? RawBookings()
        func fail(_ key: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(file: configuration.file, key: "bookings.\(key)", problem: problem)
        }
        let limit = raw.maxFutureBookingsPerContact ?? defaultMaxFutureBookingsPerContact
        guard (1...1000).contains(limit) else {
            throw fail("max_future_bookings_per_contact", "must be between 1 and 1000, got \(limit)")
        }
        var mode = ConfirmationMode.off
        if let text = raw.confirmation {
            guard let parsed = ConfirmationMode(rawValue: text) else {
                throw fail("confirmation", "must be off, on or automatic, got '\(text)'")
            }
            mode = parsed
        }
        // Fractions are for tests and demonstrations: a hold of a few seconds ends while one watches.
        let holdMinutes = raw.holdMinutes ?? Double(defaultHoldMinutes)
        guard (0.05...1440).contains(holdMinutes) else {
            throw fail("hold_minutes", "must be between 0.05 and 1440, got \(holdMinutes)")
        }
        var automatic = AutomaticConfirmation()
        if let rawAutomatic = raw.automaticConfirmation {
            if let minutes = rawAutomatic.windowMinutes {
                guard (1...1440).contains(minutes) else { throw fail("automatic_confirmation.window_minutes", "must be between 1 and 1440, got \(minutes)") }
                automatic.window = TimeInterval(minutes * 60)
            }
            if let above = rawAutomatic.onAbove {
                guard (1...100_000).contains(above) else { throw fail("automatic_confirmation.on_above", "must be between 1 and 100000, got \(above)") }
                automatic.onAbove = above
            }
            if let below = rawAutomatic.offBelow {
                guard (0...100_000).contains(below) else { throw fail("automatic_confirmation.off_below", "must be between 0 and 100000, got \(below)") }
                automatic.offBelow = below
            }
        }
        guard automatic.offBelow <= automatic.onAbove else {
            throw fail("automatic_confirmation.off_below",
                       "must not be above on_above (\(automatic.onAbove)), got \(automatic.offBelow): the mode would switch back and forth")
        }
        let unmarkedHours = raw.unmarkedAfterHours ?? Double(defaultUnmarkedAfterHours)
        guard (0...2160).contains(unmarkedHours) else {
            throw fail("unmarked_after_hours", "must be between 0 and 2160 (90 days), got \(unmarkedHours)")
        }
        let linkDays = raw.outcomeLinkDays ?? defaultOutcomeLinkDays
        guard (1...90).contains(linkDays) else {
            throw fail("outcome_link_days", "must be between 1 and 90, got \(linkDays)")
        }
        var settings = BookingSettings(defaultTimeZone: try CalendarSettings.businessZone(configuration).identifier,
                                       maxFutureBookingsPerContact: limit, confirmation: mode, holdDuration: holdMinutes * 60,
                                       automatic: automatic)
        settings.unmarkedAfter = unmarkedHours * 3600
        settings.outcomeLinkLifetime = TimeInterval(linkDays) * 86_400
        return settings
    }
}

/// `bookings.confirmation`: hold-then-confirm for clients' bookings never, always, or while
/// bookings by unknown contacts come faster than `automatic_confirmation` allows.
public enum ConfirmationMode: String, Sendable, Equatable, CaseIterable {
    case off, on, automatic
}

/// Automatic mode switches holds on when more than `onAbove` bookings by unknown contacts came in
/// the last `window`, and off again only when fewer than `offBelow` did: the gap between the
/// two keeps it from switching at every booking near one threshold.
public struct AutomaticConfirmation: Sendable, Equatable {
    public var window: TimeInterval = 600
    public var onAbove = 20
    public var offBelow = 5

    public init() {}
}

private struct RawBookings: Decodable {
    var maxFutureBookingsPerContact: Int?
    var confirmation: String?
    var holdMinutes: Double?
    var automaticConfirmation: RawAutomaticConfirmation?
    var unmarkedAfterHours: Double?
    var outcomeLinkDays: Int?
    enum CodingKeys: String, CodingKey {
        case maxFutureBookingsPerContact = "max_future_bookings_per_contact", confirmation, holdMinutes = "hold_minutes"
        case automaticConfirmation = "automatic_confirmation"
        case unmarkedAfterHours = "unmarked_after_hours", outcomeLinkDays = "outcome_link_days"
    }
}

private struct RawAutomaticConfirmation: Decodable {
    var windowMinutes: Int?
    var onAbove: Int?
    var offBelow: Int?
    enum CodingKeys: String, CodingKey { case windowMinutes = "window_minutes", onAbove = "on_above", offBelow = "off_below" }
}
