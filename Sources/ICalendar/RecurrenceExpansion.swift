import CivilTime
import Foundation

/// The starts a rule gives in a window.
public struct RecurrenceExpansion: Sendable, Equatable {
    /// Oldest first.
    public var starts: [EventTime]
    /// The instance limit or the period bound was reached before the window's end: instances
    /// may be missing.
    public var isTruncated: Bool

    public init(starts: [EventTime], isTruncated: Bool) {
        self.starts = starts
        self.isTruncated = isTruncated
    }
}

extension RecurrenceRule {
    /// How many periods one expansion looks at before it gives up, whatever the rule: a rule that
    /// never matches (`FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30`) ends at the window's end or UNTIL
    /// anyway, so this only bounds very fine frequencies or COUNT rules far from the window.
    public static let maximumPeriods = 200_000

    /// The starts of the instances the rule generates from `start` (its DTSTART: always the first
    /// instance and counted by COUNT, whether the rule matches it or not) that fall in `window`,
    /// at most `limit`. Instances are stepped on `start`'s wall clock; a time skipped by a
    /// daylight-saving change is pushed forward by the gap (RFC 5545 §3.3.5, where §3.3.10 would
    /// drop it: for busy time an instance an hour late beats a lost one), and an instant reached
    /// twice (a wall-clock hour repeated in autumn) is one instance. A DATE start with a frequency
    /// under a day has no instances but itself.
    public func starts(from start: EventTime, in window: Range<Date>, limit: Int = 10_000) -> RecurrenceExpansion {
        var starts: [EventTime] = []
        if window.contains(start.instant) {
            guard limit > 0 else { return RecurrenceExpansion(starts: [], isTruncated: true) }
            starts.append(start)
        }
        if let count, count <= 1 { return RecurrenceExpansion(starts: starts, isTruncated: false) }
        if start.isDate, frequency < .daily { return RecurrenceExpansion(starts: starts, isTruncated: false) }

        let periods = RecurrencePeriods(rule: self, start: start)
        let zone = start.zone
        // Two days bracket any zone's offset, so periods past these local times hold no instance that matters.
        let slack = 2 * EventTime.secondsPerDay
        var stop = Self.localSeconds(window.upperBound, in: zone) + slack
        switch until {
        case .date(let date)?: stop = min(stop, (date.daysSinceEpoch + 1) * EventTime.secondsPerDay)
        case .instant(let instant)?: stop = min(stop, Self.localSeconds(instant, in: zone) + slack)
        case .localTime(let date, let seconds)?: stop = min(stop, date.daysSinceEpoch * EventTime.secondsPerDay + seconds)
        case nil: break
        }
        var index = 0
        if count == nil {
            // Without COUNT nothing before the window needs counting: start at its period.
            let first = periods.periodNumber(ofLocalSeconds: Self.localSeconds(window.lowerBound, in: zone) - slack)
            index = max(0, RecurrencePeriods.floorDivision(first - periods.base, periods.step))
        }
        // Instances well before the window (and UNTIL) are only counted. With one time a day no two
        // of them share an instant, so theirs need not be worked out: a COUNT rule years old stays cheap.
        var countOnlyBelow = Int.min
        if periods.hasOneTimeOfDay {
            countOnlyBelow = Self.localSeconds(window.lowerBound, in: zone) - slack
            if case .instant(let instant)? = until { countOnlyBelow = min(countOnlyBelow, Self.localSeconds(instant, in: zone) - slack) }
        }
        var counted = 1
        var lastLocal = start.localSeconds
        var lastInstant = start.instant
        for _ in 0..<Self.maximumPeriods {
            let number = periods.base + index * periods.step
            guard let periodStart = periods.startOfPeriod(number), periodStart <= stop else {
                return RecurrenceExpansion(starts: starts, isTruncated: false)
            }
            for local in periods.starts(inPeriod: number) where local > lastLocal {
                if local < countOnlyBelow {
                    if isAfterUntil(localSeconds: local) { return RecurrenceExpansion(starts: starts, isTruncated: false) }
                    lastLocal = local
                    counted += 1
                    if let count, counted >= count { return RecurrenceExpansion(starts: starts, isTruncated: false) }
                    continue
                }
                let time = EventTime(localSeconds: local, zone: zone, isDate: start.isDate)
                if isAfterUntil(time) || time.instant >= window.upperBound { return RecurrenceExpansion(starts: starts, isTruncated: false) }
                lastLocal = local
                guard time.instant > lastInstant else { continue }
                lastInstant = time.instant
                counted += 1
                if time.instant >= window.lowerBound {
                    guard starts.count < limit else { return RecurrenceExpansion(starts: starts, isTruncated: true) }
                    starts.append(time)
                }
                if let count, counted >= count { return RecurrenceExpansion(starts: starts, isTruncated: false) }
            }
            index += 1
        }
        return RecurrenceExpansion(starts: starts, isTruncated: true)
    }

    /// UNTIL as a DATE or a floating time; a UTC one is left to `isAfterUntil(_:)`.
    private func isAfterUntil(localSeconds: Int) -> Bool {
        switch until {
        case .date(let date)?: return EventTime.day(ofLocalSeconds: localSeconds) > date.daysSinceEpoch
        case .localTime(let date, let seconds)?: return localSeconds > date.daysSinceEpoch * EventTime.secondsPerDay + seconds
        case .instant?, nil: return false
        }
    }

    private func isAfterUntil(_ time: EventTime) -> Bool {
        switch until {
        case .date(let date)?: return time.date > date
        case .instant(let instant)?: return time.instant > instant
        case .localTime(let date, let seconds)?: return time.localSeconds > date.daysSinceEpoch * EventTime.secondsPerDay + seconds
        case nil: return false
        }
    }

    /// `instant` on `zone`'s wall clock, held within the years LocalDate knows (a window may
    /// reach `Date.distantPast` or `.distantFuture`, or further).
    private static func localSeconds(_ instant: Date, in zone: TimeZone) -> Int {
        let seconds = ZonedClock.localSeconds(of: instant, in: zone)
        let lowest = Double(RecurrencePeriods.firstDay * EventTime.secondsPerDay)
        let highest = Double(RecurrencePeriods.lastLocalSecond)
        guard seconds.isFinite else { return seconds < 0 ? Int(lowest) : Int(highest) }
        return Int(min(max(seconds, lowest), highest).rounded(.down))
    }
}
