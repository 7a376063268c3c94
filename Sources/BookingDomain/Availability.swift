import CivilTime
import Foundation

/// A consultant's absence (leave, sickness, a training); no slot overlapping it is offered with them.
public struct TimeOff: Sendable, Hashable, Codable {
    public var consultantId: String
    public var range: DateTimeRange
    public var reason: String

    public init(consultantId: String, range: DateTimeRange, reason: String) {
        self.consultantId = consultantId
        self.range = range
        self.reason = reason
    }
}

/// A consultant's slot taken by an active appointment, identified by its start.
public struct BookedSlot: Sendable, Hashable, Codable {
    public var consultantId: String
    public var start: Date

    public init(consultantId: String, start: Date) {
        self.consultantId = consultantId
        self.start = start
    }
}

/// Which days a client asks about. `from` and `days` are read in the client's `timeZone`, which
/// changes which slots fall on which day but never the slots themselves.
public struct SlotQuery: Sendable, Hashable {
    /// Default: today in `timeZone`.
    public var from: LocalDate?
    public var days: Int
    public var timeZone: TimeZone
    /// Only slots in which this consultant is free.
    public var consultantId: String?

    public init(from: LocalDate? = nil, days: Int = 14, timeZone: TimeZone = CalendarPolicy.moscowTimeZone, consultantId: String? = nil) {
        self.from = from
        self.days = days
        self.timeZone = timeZone
        self.consultantId = consultantId
    }
}

public struct AvailableSlot: Sendable, Hashable, Codable {
    public var range: DateTimeRange
    /// Sorted by id; never empty.
    public var freeConsultants: [String]

    public init(range: DateTimeRange, freeConsultants: [String]) {
        self.range = range
        self.freeConsultants = freeConsultants
    }
}

/// Who is free when: the calendar's slots less consultants' time off and booked slots.
/// Every consultant works the calendar's hours.
public struct Availability: Sendable {
    public let calendar: WorkCalendar
    public let consultants: [Consultant]
    public let timeOff: [TimeOff]

    /// Distinct ids in id order, the order every answer uses.
    public let consultantIds: [String]
    private let timeOffByConsultant: [String: [DateTimeRange]]

    public init(calendar: WorkCalendar, consultants: [Consultant], timeOff: [TimeOff] = []) {
        self.calendar = calendar
        self.consultants = consultants
        self.timeOff = timeOff
        consultantIds = Set(consultants.map(\.id)).sorted()
        timeOffByConsultant = Dictionary(grouping: timeOff, by: \.consultantId).mapValues { $0.map(\.range) }
    }

    public func consultant(id: String) -> Consultant? {
        consultants.first { $0.id == id }
    }

    /// Bookable slots on the asked client-zone days, clamped to the booking window, each with the
    /// consultants free in it; slots with nobody free (or without the asked consultant) are left
    /// out, and so is everything when the asked consultant is unknown.
    public func slots(for query: SlotQuery, booked: Set<BookedSlot>, now: Date) -> [AvailableSlot] {
        guard query.days > 0 else { return [] }
        let candidates: [String]
        if let asked = query.consultantId {
            guard consultantIds.contains(asked) else { return [] }
            candidates = [asked]
        } else {
            candidates = consultantIds
        }
        guard !candidates.isEmpty else { return [] }

        let window = calendar.bookingWindow(now: now)
        let firstDay = query.from ?? LocalDate.containing(now, in: query.timeZone)
        let queryStart = firstDay.start(in: query.timeZone)
        // Days past the window cannot add slots; the cap only keeps absurd requests cheap.
        let dayCount = min(query.days, max(0, firstDay.days(until: LocalDate.containing(window.end, in: query.timeZone))) + 2)
        let queryEnd = firstDay.adding(days: dayCount).start(in: query.timeZone)
        let lower = max(queryStart, window.start)
        let upper = min(queryEnd, window.end)
        guard lower < upper else { return [] }
        let searched = try! DateTimeRange(start: lower, end: upper)

        // Bookings in time order, walked alongside the (also ordered) slots, and only the
        // consultants with time off nearby: per slot this costs no hashing and no allocation
        // unless someone is busy.
        let index = candidates.count > 8 ? Dictionary(uniqueKeysWithValues: candidates.enumerated().map { ($1, $0) }) : [:]
        var bookings: [(start: Date, position: Int)] = []
        for slot in booked where searched.contains(slot.start) {
            let position = candidates.count > 8 ? index[slot.consultantId] : candidates.firstIndex(of: slot.consultantId)
            if let position { bookings.append((slot.start, position)) }
        }
        bookings.sort { $0.start < $1.start }
        var nextBooking = 0
        let absences: [(position: Int, ranges: [DateTimeRange])] = candidates.indices.compactMap { position in
            let ranges = (timeOffByConsultant[candidates[position]] ?? []).filter { $0.overlaps(searched) }
            return ranges.isEmpty ? nil : (position, ranges)
        }

        var result: [AvailableSlot] = []
        var isBusy = [Bool](repeating: false, count: candidates.count)
        let zone = calendar.policy.timeZone
        var date = LocalDate.containing(lower, in: zone)
        let lastDate = LocalDate.containing(upper.addingTimeInterval(-0.001), in: zone)
        while date <= lastDate {
            for slot in calendar.slotGrid(on: date) where slot.start >= lower && slot.start < upper && slot.end <= window.end {
                var anyBusy = false
                while nextBooking < bookings.count, bookings[nextBooking].start <= slot.start {
                    if bookings[nextBooking].start == slot.start {
                        isBusy[bookings[nextBooking].position] = true
                        anyBusy = true
                    }
                    nextBooking += 1
                }
                for (position, ranges) in absences where ranges.contains(where: { $0.overlaps(slot) }) {
                    isBusy[position] = true
                    anyBusy = true
                }
                guard anyBusy else {
                    result.append(AvailableSlot(range: slot, freeConsultants: candidates))
                    continue
                }
                var free: [String] = []
                free.reserveCapacity(candidates.count)
                for position in candidates.indices {
                    if isBusy[position] { isBusy[position] = false } else { free.append(candidates[position]) }
                }
                if !free.isEmpty { result.append(AvailableSlot(range: slot, freeConsultants: free)) }
            }
            date = date.adding(days: 1)
        }
        return result
    }

    /// The consultants (in id order) who can take the slot starting at `start`: the calendar's
    /// rules first, then time off and bookings. With `consultantId`, just that one or an error.
    /// A refusal offers the next free times, leaving out `offering` (default: `booked`).
    public func freeConsultants(at start: Date, consultantId: String? = nil, booked: Set<BookedSlot>,
                                offering: Set<BookedSlot>? = nil, now: Date) throws(SlotRuleViolation) -> [String] {
        let slot = try calendar.check(start: start, now: now)
        func isFree(_ id: String) -> Bool {
            !booked.contains(BookedSlot(consultantId: id, start: start))
                && !(timeOffByConsultant[id] ?? []).contains { $0.overlaps(slot) }
        }
        if let asked = consultantId {
            guard consultantIds.contains(asked) else { throw .unknownConsultant(asked) }
            guard isFree(asked) else {
                throw .consultantUnavailable(asked, nextFree: nextFree(after: start, consultantId: asked, booked: offering ?? booked, now: now), zone: calendar.policy.timeZone)
            }
            return [asked]
        }
        let free = consultantIds.filter(isFree)
        guard !free.isEmpty else {
            throw .noConsultantFree(nextFree: nextFree(after: start, consultantId: nil, booked: offering ?? booked, now: now), zone: calendar.policy.timeZone)
        }
        return free
    }

    /// The next (at most three) free starts after `start`, within the booking horizon: what a
    /// refusal offers instead.
    func nextFree(after start: Date, consultantId: String?, booked: Set<BookedSlot>, now: Date) -> [Date] {
        let zone = calendar.policy.timeZone
        let query = SlotQuery(from: LocalDate.containing(start, in: zone), days: calendar.policy.horizonDays, timeZone: zone, consultantId: consultantId)
        return Array(slots(for: query, booked: booked, now: now).lazy.map(\.range.start).filter { $0 > start }.prefix(3))
    }
}

/// Spreads bookings evenly: the candidate with the fewest bookings in the horizon, the smallest
/// id among equals, so that the same inputs always give the same consultant.
public enum ConsultantAssignment {
    public static func choose(from candidates: [String], bookingsInHorizon: [String: Int]) -> String? {
        candidates.min { a, b in
            let countA = bookingsInHorizon[a, default: 0], countB = bookingsInHorizon[b, default: 0]
            return countA != countB ? countA < countB : a < b
        }
    }
}
