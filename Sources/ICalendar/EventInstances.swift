import CivilTime
import Foundation

/// One instance of an event: where its recurrence puts it and the span it takes.
public struct EventInstance: Sendable, Hashable {
    /// Its original start: the RECURRENCE-ID an override of it would carry.
    public let start: EventTime
    public let end: Date

    public init(start: EventTime, end: Date) {
        self.start = start
        self.end = end
    }
}

/// The instances of one event in a window.
public struct EventInstances: Sendable, Equatable {
    /// Oldest first.
    public var instances: [EventInstance]
    /// An expansion stopped at its limits: instances may be missing.
    public var isTruncated: Bool
}

extension ImportedEvent {
    /// The instances that overlap `window` (a zero-length one when it starts inside), oldest first,
    /// at most `limit`: DTSTART and the starts of every RRULE and RDATE, without the EXDATEs
    /// (RFC 5545 §3.8.5.3). An EXDATE matches a start at the same instant; a DATE one, or any
    /// EXDATE of an all-day event, matches the day. Overrides are events of their own, not applied here.
    public func instances(overlapping window: Range<Date>, limit: Int = 10_000) -> EventInstances {
        guard !window.isEmpty else { return EventInstances(instances: [], isTruncated: false) }
        // An instance starting this long before the window still reaches into it.
        let longest = recurrenceDates.compactMap { $0.duration?.longestSeconds }.reduce(duration.longestSeconds, max)
        let searchStart = window.lowerBound.addingTimeInterval(-TimeInterval(longest + EventTime.secondsPerDay))
        let search = searchStart..<max(searchStart, window.upperBound)

        var candidates: [(start: EventTime, duration: EventDuration)] = []
        var isTruncated = false
        if search.contains(start.instant) { candidates.append((start, duration)) }
        for rule in recurrenceRules {
            let expansion = rule.starts(from: start, in: search, limit: limit)
            isTruncated = isTruncated || expansion.isTruncated
            candidates += expansion.starts.map { ($0, duration) }
        }
        for date in recurrenceDates {
            // A DATE among a timed event's RDATEs is that day at the event's time of day.
            let placed = date.start.isDate && !start.isDate
                ? EventTime(date: date.start.date, secondsIntoDay: start.secondsIntoDay, in: start.zone)
                : date.start
            if search.contains(placed.instant) { candidates.append((placed, date.duration ?? duration)) }
        }

        let excludedInstants = Set(exceptionDates.filter { !$0.isDate }.map(\.instant))
        var excludedDays = Set(exceptionDates.filter(\.isDate).map(\.date))
        if isAllDay {
            // Outlook excludes a day of an all-day series by a time on it (its midnight, on some clock).
            excludedDays.formUnion(exceptionDates.filter { !$0.isDate }.map { LocalDate.containing($0.instant, in: start.zone) })
        }
        var seen: Set<Date> = []
        var instances: [EventInstance] = []
        // Stable: where RDATE repeats a start the rule gave, the rule's (first) one stays.
        let ordered = candidates.enumerated().sorted { ($0.element.start.instant, $0.offset) < ($1.element.start.instant, $1.offset) }
        for (start, duration) in ordered.map(\.element) {
            guard seen.insert(start.instant).inserted, !excludedInstants.contains(start.instant), !excludedDays.contains(start.date) else { continue }
            let end = max(start.instant, duration.end(from: start))
            guard start.instant < window.upperBound, end > window.lowerBound || start.instant >= window.lowerBound else { continue }
            guard instances.count < limit else {
                isTruncated = true
                break
            }
            instances.append(EventInstance(start: start, end: end))
        }
        return EventInstances(instances: instances, isTruncated: isTruncated)
    }
}
