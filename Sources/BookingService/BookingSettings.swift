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

    public static let defaultMaxFutureBookingsPerContact = 2

    public var businessZone: TimeZone { TimeZone(identifier: defaultTimeZone) ?? TimeZone(secondsFromGMT: 0)! }

    public static func load(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> BookingSettings {
        let raw = try configuration.section("bookings", as: RawBookings.self) ?? RawBookings()
        let limit = raw.maxFutureBookingsPerContact ?? defaultMaxFutureBookingsPerContact
        guard (1...1000).contains(limit) else {
            throw ConfigurationError(file: configuration.file, key: "bookings.max_future_bookings_per_contact",
                                     problem: "must be between 1 and 1000, got \(limit)")
        }
        return BookingSettings(defaultTimeZone: try CalendarSettings.businessZone(configuration).identifier,
                               maxFutureBookingsPerContact: limit)
    }
}

private struct RawBookings: Decodable {
    var maxFutureBookingsPerContact: Int?
    enum CodingKeys: String, CodingKey { case maxFutureBookingsPerContact = "max_future_bookings_per_contact" }
}
