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

/// Who is free when: the calendar's slots less each consultant's own hours, time off, busy time
/// (with their buffers around it), bookings (with their buffers between them) and daily limit.
public struct Availability: Sendable {
    public let calendar: WorkCalendar
    public let consultants: [Consultant]
    public let timeOff: [TimeOff]
    public let busy: [BusyInterval]

    /// Distinct ids in id order, the order every answer uses.
    public let consultantIds: [String]
    /// Per consultant, the time off and the busy time widened by their buffers, sorted and
    /// merged: no appointment may overlap any of it.
    private let blockedByConsultant: [String: [DateTimeRange]]
    /// Only consultants whose schedule differs from the business calendar's.
    private let rulesByConsultant: [String: ConsultantRules]

    struct ConsultantRules: Sendable {
        var schedule: ConsultantSchedule
        var zone: TimeZone
    }

    public init(calendar: WorkCalendar, consultants: [Consultant], timeOff: [TimeOff] = [], busy: [BusyInterval] = []) {
        self.calendar = calendar
        self.consultants = consultants
        self.timeOff = timeOff
        self.busy = busy
        consultantIds = Set(consultants.map(\.id)).sorted()
        var rules: [String: ConsultantRules] = [:]
        for consultant in consultants where consultant.schedule != .businessHours {
            rules[consultant.id] = ConsultantRules(schedule: consultant.schedule,
                                                   zone: TimeZone(identifier: consultant.timeZone) ?? calendar.policy.timeZone)
        }
        rulesByConsultant = rules
        var blocked = Dictionary(grouping: timeOff, by: \.consultantId).mapValues { $0.map(\.range) }
        for interval in busy {
            let schedule = rules[interval.consultantId]?.schedule ?? .businessHours
            blocked[interval.consultantId, default: []].append(schedule.blocking(interval.range))
        }
        blockedByConsultant = blocked.mapValues(BusyInterval.merged)
    }

    public func consultant(id: String) -> Consultant? {
        consultants.first { $0.id == id }
    }

    /// One consultant's rules walked along slots in time order: a cursor into their blocked
    /// time, so each slot costs a comparison or two whatever the number of busy intervals.
    private struct Timeline {
        let position: Int
        let blocked: [DateTimeRange]
        var cursor = 0
        let rules: ConsultantRules?
        /// Bookings per day (their zone), for the daily limit.
        let perDay: [LocalDate: Int]

        mutating func isTaken(_ slot: DateTimeRange) -> Bool {
            while cursor < blocked.count, blocked[cursor].end <= slot.start { cursor += 1 }
            if cursor < blocked.count, blocked[cursor].start < slot.end { return true }
            guard let rules else { return false }
            if let hours = rules.schedule.hours, !hours.contains(slot, in: rules.zone) { return true }
            if let limit = rules.schedule.dailyLimit, perDay[LocalDate.containing(slot.start, in: rules.zone), default: 0] >= limit { return true }
            return false
        }
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
        // consultants with rules or blocked time nearby: per slot this costs no hashing and no
        // allocation unless someone is busy.
        let index = candidates.count > 8 ? Dictionary(uniqueKeysWithValues: candidates.enumerated().map { ($1, $0) }) : [:]
        func position(of id: String) -> Int? { candidates.count > 8 ? index[id] : candidates.firstIndex(of: id) }
        var bookings: [(start: Date, position: Int)] = []
        for slot in booked where searched.contains(slot.start) {
            if let position = position(of: slot.consultantId) { bookings.append((slot.start, position)) }
        }
        bookings.sort { $0.start < $1.start }
        var nextBooking = 0
        var timelines = timelines(of: candidates, near: searched, booked: booked)

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
                for index in timelines.indices where timelines[index].isTaken(slot) {
                    isBusy[timelines[index].position] = true
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

    /// The timelines of the candidates that have anything beyond plain bookings in `searched`.
    /// A consultant with buffers has their bookings (widened) in their blocked time, since a
    /// booking then takes more than its own start.
    private func timelines(of candidates: [String], near searched: DateTimeRange, booked: Set<BookedSlot>) -> [Timeline] {
        let length = calendar.policy.slotLength
        var spaced: [String: [DateTimeRange]] = [:]
        var perDay: [String: [LocalDate: Int]] = [:]
        if !rulesByConsultant.isEmpty {
            for slot in booked {
                guard let rules = rulesByConsultant[slot.consultantId] else { continue }
                if rules.schedule.spacing > 0 {
                    spaced[slot.consultantId, default: []].append(rules.schedule.blocking(appointment: DateTimeRange(start: slot.start, length: length)))
                }
                if rules.schedule.dailyLimit != nil {
                    perDay[slot.consultantId, default: [:]][LocalDate.containing(slot.start, in: rules.zone), default: 0] += 1
                }
            }
        }
        return candidates.indices.compactMap { position in
            let id = candidates[position]
            let rules = rulesByConsultant[id]
            var blocked = (blockedByConsultant[id] ?? []).filter { $0.overlaps(searched) }
            if let widened = spaced[id] { blocked = BusyInterval.merged(blocked + widened) }
            guard !blocked.isEmpty || rules != nil else { return nil }
            return Timeline(position: position, blocked: blocked, rules: rules, perDay: perDay[id] ?? [:])
        }
    }

    /// Whether `id` can take `slot` by everything but the exact-start bookings the caller checks.
    private func allows(_ id: String, _ slot: DateTimeRange, booked: Set<BookedSlot>) -> Bool {
        if (blockedByConsultant[id] ?? []).contains(where: { $0.overlaps(slot) }) { return false }
        guard let rules = rulesByConsultant[id] else { return true }
        if let hours = rules.schedule.hours, !hours.contains(slot, in: rules.zone) { return false }
        let own = booked.filter { $0.consultantId == id && $0.start != slot.start }
        let length = calendar.policy.slotLength
        if rules.schedule.spacing > 0, own.contains(where: { rules.schedule.blocking(appointment: DateTimeRange(start: $0.start, length: length)).overlaps(slot) }) {
            return false
        }
        if let limit = rules.schedule.dailyLimit {
            let day = ConsultantSchedule.day(containing: slot.start, in: rules.zone)
            if own.count(where: { day.contains($0.start) }) >= limit { return false }
        }
        return true
    }

    /// The consultants (in id order) who can take the slot starting at `start`: the calendar's
    /// rules first, then each consultant's hours, time off, busy time and bookings. With
    /// `consultantId`, just that one or an error. A refusal offers the next free times, leaving
    /// out `offering` (default: `booked`).
    public func freeConsultants(at start: Date, consultantId: String? = nil, booked: Set<BookedSlot>,
                                offering: Set<BookedSlot>? = nil, now: Date) throws(SlotRuleViolation) -> [String] {
        let slot = try calendar.check(start: start, now: now)
        func isFree(_ id: String) -> Bool {
            !booked.contains(BookedSlot(consultantId: id, start: start)) && allows(id, slot, booked: booked)
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

    /// What bookingd must still check for each candidate against its own bookings: the spacing
    /// their buffers need and their daily limit on the slot's day. Nil for a consultant without
    /// either.
    public func bookingLimits(of id: String, at start: Date) -> BookingLimits? {
        guard let rules = rulesByConsultant[id], rules.schedule.spacing > 0 || rules.schedule.dailyLimit != nil else { return nil }
        return BookingLimits(spacing: rules.schedule.spacing, dailyLimit: rules.schedule.dailyLimit,
                             day: ConsultantSchedule.day(containing: start, in: rules.zone))
    }

    /// The next (at most three) free starts after `start`, within the booking horizon: what a
    /// refusal offers instead.
    func nextFree(after start: Date, consultantId: String?, booked: Set<BookedSlot>, now: Date) -> [Date] {
        let zone = calendar.policy.timeZone
        let query = SlotQuery(from: LocalDate.containing(start, in: zone), days: calendar.policy.horizonDays, timeZone: zone, consultantId: consultantId)
        return Array(slots(for: query, booked: booked, now: now).lazy.map(\.range.start).filter { $0 > start }.prefix(3))
    }
}

/// A consultant's rules that depend on their other bookings, which only bookingd's database
/// knows for certain: it checks them in the transaction that books.
public struct BookingLimits: Sendable, Hashable {
    /// Seconds that must separate another active appointment from the new one.
    public var spacing: TimeInterval
    public var dailyLimit: Int?
    /// The consultant's day (in their zone) containing the slot, for the daily limit.
    public var day: DateTimeRange

    public init(spacing: TimeInterval, dailyLimit: Int?, day: DateTimeRange) {
        self.spacing = spacing
        self.dailyLimit = dailyLimit
        self.day = day
    }

    /// Whether an appointment over `slot` fits among the consultant's `others` (their active
    /// appointments, the moved one left out).
    public func allow(_ slot: DateTimeRange, among others: [DateTimeRange]) -> Bool {
        if spacing > 0, others.contains(where: { $0.start < slot.end.addingTimeInterval(spacing) && slot.start < $0.end.addingTimeInterval(spacing) }) {
            return false
        }
        if let dailyLimit, others.count(where: { day.contains($0.start) }) >= dailyLimit { return false }
        return true
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
