import CivilTime
import Foundation

/// The period's days as instants and the report zone's wall clock.
struct ReportPeriod {
    let from: LocalDate
    let to: LocalDate
    let zone: TimeZone

    var days: [LocalDate] {
        guard from <= to else { return [] }
        return (0...from.days(until: to)).map { from.adding(days: $0) }
    }

    func contains(_ instant: Date) -> Bool {
        range(from, to).contains(instant)
    }

    func range(_ first: LocalDate, _ last: LocalDate) -> Range<Date> {
        let start = first.start(in: zone), end = last.adding(days: 1).start(in: zone)
        return start..<max(start, end)
    }

    func day(of instant: Date) -> LocalDate {
        LocalDate.containing(instant, in: zone)
    }

    func hour(of instant: Date) -> Int {
        let seconds = ZonedClock.localSeconds(of: instant, in: zone)
        let ofDay = seconds - (seconds / 86_400).rounded(.down) * 86_400
        return min(23, Int(ofDay / 3600))
    }

    /// Days for a month or less; weeks (Monday to Sunday, cut at the ends) beyond, where a day's
    /// handful of bookings would make the lines jump about.
    var interval: RateInterval { from.days(until: to) < 31 ? .day : .week }

    var buckets: [(from: LocalDate, to: LocalDate)] {
        switch interval {
        case .day:
            return days.map { ($0, $0) }
        case .week:
            var buckets: [(LocalDate, LocalDate)] = []
            var start = from
            while start <= to {
                let end = min(to, start.adding(days: 7 - start.weekday))
                buckets.append((start, end))
                start = end.adding(days: 1)
            }
            return buckets
        }
    }
}
