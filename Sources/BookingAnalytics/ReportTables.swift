import CivilTime
import Foundation

/// The period's appointments counted. `made`, `rescheduled` and `cancelled*` count the bookings
/// made in the period (their fate as of the report's `now`); `held` and the outcomes count the
/// consultations whose slot starts in the period.
public struct BookingCounts: Codable, Sendable, Hashable {
    public var made = 0
    /// Bookings moved at least once (each counted once).
    public var rescheduled = 0
    /// Every move of those bookings (a booking moved twice counts twice).
    public var moves = 0
    public var cancelled = 0
    public var cancelledByClient = 0
    public var cancelledByAdmin = 0
    /// Holds released unconfirmed, and any cancellation the system made.
    public var cancelledBySystem = 0
    /// Not cancelled, slot starting in the period.
    public var held = 0
    public var attended = 0
    public var noShow = 0
    /// Ended more than `unmarkedAfter` before `now`, still confirmed: reported, never guessed.
    public var unmarked = 0
    /// Not over yet, or over too recently to expect a mark, or a hold still waiting.
    public var pending = 0

    public init() {}
}

/// The booking page's funnel: each step counts the visits that reached it or a later one, so a
/// step never counts more than the one before it.
public struct FunnelCounts: Codable, Sendable, Hashable {
    public var viewed = 0
    public var slots = 0
    public var chose = 0
    public var sent = 0
    public var booked = 0

    public init(viewed: Int = 0, slots: Int = 0, chose: Int = 0, sent: Int = 0, booked: Int = 0) {
        self.viewed = viewed
        self.slots = slots
        self.chose = chose
        self.sent = sent
        self.booked = booked
    }

    public var steps: [(name: String, count: Int)] {
        [("Viewed the page", viewed), ("Saw the slots", slots), ("Chose a slot", chose), ("Sent the form", sent), ("Got a reference", booked)]
    }
}

/// An average and a median over `count` durations (nil: none to measure).
public struct DurationStats: Codable, Sendable, Hashable {
    public var count: Int
    public var averageSeconds: Double?
    public var medianSeconds: Double?

    public init(_ seconds: [Double]) {
        count = seconds.count
        guard !seconds.isEmpty else { return }
        let sorted = seconds.sorted()
        averageSeconds = sorted.reduce(0, +) / Double(sorted.count)
        let middle = sorted.count / 2
        medianSeconds = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Bookings made on a weekday (by the time they were made) and consultations held on it (by
/// their slot's start), in the report's zone.
public struct WeekdayCount: Codable, Sendable, Hashable {
    /// ISO: 1 = Monday ... 7 = Sunday.
    public var weekday: Int
    public var name: String
    public var bookings: Int
    public var consultations: Int
}

/// The same by the hour of the day (0...23) in the report's zone.
public struct HourCount: Codable, Sendable, Hashable {
    public var hour: Int
    public var bookings: Int
    public var consultations: Int
}

/// One consultant's share: bookings made and cancelled by the booking's time, the rest by the
/// slot's. A booking moved to another consultant counts where it is now.
public struct ConsultantLoad: Codable, Sendable, Hashable {
    public var consultantId: String
    public var made = 0
    public var cancelled = 0
    public var held = 0
    public var attended = 0
    public var noShow = 0
    public var unmarked = 0
}

/// Bookings made in the period from one source (all four values alike; all nil: a direct visit).
public struct SourceCount: Codable, Sendable, Hashable {
    public var utmSource: String?
    public var utmMedium: String?
    public var utmCampaign: String?
    public var referrer: String?
    public var made = 0
    public var cancelled = 0
    public var attended = 0
}

/// The bookings made on one day (in the report's zone), by what became of them.
public struct DayOutcomes: Codable, Sendable, Hashable {
    public var date: LocalDate
    public var attended = 0
    public var noShow = 0
    public var unmarked = 0
    public var pending = 0
    public var cancelled = 0

    public var made: Int { attended + noShow + unmarked + pending + cancelled }
}

public enum RateInterval: String, Codable, Sendable, Hashable {
    case day
    /// Monday to Sunday, cut at the period's ends.
    case week
}

/// The rates over one day or week, each from the same cohorts as the headline figures.
public struct RatePoint: Codable, Sendable, Hashable {
    public var from: LocalDate
    public var to: LocalDate
    public var completion: Double?
    public var conversion: Double?
    public var cancellation: Double?
    public var rescheduling: Double?
    public var attendance: Double?
    public var noShow: Double?
}
