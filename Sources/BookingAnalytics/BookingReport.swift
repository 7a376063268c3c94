import BookingDomain
import CivilTime
import Foundation

/// A period's booking figures, each headline one beside its target. Computed from `ReportFacts`
/// alone (no clock, no store), so the same facts always give the same report.
public struct BookingReport: Codable, Sendable, Hashable {
    public var from: LocalDate
    public var to: LocalDate
    /// IANA zone of the days, weekdays and hours.
    public var timeZone: String
    /// Nil: the whole team.
    public var consultantId: String?
    public var generatedAt: Date
    public var unmarkedAfterSeconds: Double
    public var targets: ReportTargets
    /// The headline figures in `FigureKey` order.
    public var figures: [ReportFigure]
    public var counts: BookingCounts
    public var funnel: FunnelCounts
    /// From first page view to reference, over the visits that got one.
    public var bookingTime: DurationStats
    /// From the booking to the start of the slot the client first chose, over bookings made.
    public var leadTime: DurationStats
    public var weekdays: [WeekdayCount]
    public var hours: [HourCount]
    public var consultants: [ConsultantLoad]
    public var sources: [SourceCount]
    public var days: [DayOutcomes]
    public var rateInterval: RateInterval
    public var rates: [RatePoint]

    public init(facts: ReportFacts, targets: ReportTargets = .requirements) {
        let period = ReportPeriod(from: facts.from, to: facts.to, zone: facts.zone)
        let bookings = facts.consultantId.map { id in facts.bookings.filter { $0.consultantId == id } } ?? facts.bookings
        // The funnel is the page's, not a consultant's: a consultant's report has none.
        let visits = facts.consultantId == nil ? facts.visits : []
        let cohorts = ReportCohorts(bookings: bookings, visits: visits, in: period.range(facts.from, facts.to),
                                    now: facts.now, unmarkedAfter: facts.unmarkedAfter)
        from = facts.from
        to = facts.to
        timeZone = facts.zone.identifier
        consultantId = facts.consultantId
        generatedAt = facts.now
        unmarkedAfterSeconds = facts.unmarkedAfter
        self.targets = targets
        counts = Self.counts(cohorts)
        funnel = cohorts.funnel
        bookingTime = DurationStats(cohorts.bookingTimes)
        leadTime = DurationStats(cohorts.made.map { $0.bookedSlot.start.timeIntervalSince($0.bookedAt) })
        figures = Self.figures(counts: counts, funnel: funnel, bookingTime: bookingTime, targets: targets)
        weekdays = Self.weekdays(cohorts, period)
        hours = Self.hours(cohorts, period)
        consultants = Self.consultants(cohorts)
        sources = Self.sources(cohorts)
        days = Self.days(cohorts, period)
        rateInterval = period.interval
        rates = period.buckets.map { bucket in
            ReportCohorts(bookings: bookings, visits: visits, in: period.range(bucket.from, bucket.to),
                          now: facts.now, unmarkedAfter: facts.unmarkedAfter).rates(from: bucket.from, to: bucket.to)
        }
    }

    public func figure(_ key: FigureKey) -> ReportFigure? {
        figures.first { $0.key == key }
    }

    private static func counts(_ cohorts: ReportCohorts) -> BookingCounts {
        var counts = BookingCounts()
        counts.made = cohorts.made.count
        counts.rescheduled = cohorts.rescheduledCount
        counts.moves = cohorts.made.reduce(0) { $0 + $1.moves }
        for booking in cohorts.made {
            guard case let .cancelled(actor) = cohorts.fate(booking) else { continue }
            counts.cancelled += 1
            switch actor {
            case .client: counts.cancelledByClient += 1
            case .admin: counts.cancelledByAdmin += 1
            case .system: counts.cancelledBySystem += 1
            }
        }
        counts.held = cohorts.held.count
        for booking in cohorts.held {
            switch cohorts.fate(booking) {
            case .attended: counts.attended += 1
            case .noShow: counts.noShow += 1
            case .unmarked: counts.unmarked += 1
            case .pending: counts.pending += 1
            case .cancelled: break
            }
        }
        return counts
    }

    private static func figures(counts: BookingCounts, funnel: FunnelCounts, bookingTime: DurationStats,
                                targets: ReportTargets) -> [ReportFigure] {
        let marked = counts.attended + counts.noShow
        return [
            .rate(.completionRate, funnel.booked, of: funnel.chose, target: targets.completionRate),
            ReportFigure(key: .averageBookingTime, value: bookingTime.averageSeconds, denominator: bookingTime.count,
                         target: targets.averageBookingTime),
            .rate(.cancellationRate, counts.cancelled, of: counts.made, target: targets.cancellationRate),
            .rate(.reschedulingRate, counts.rescheduled, of: counts.made, target: targets.reschedulingRate),
            .rate(.attendanceRate, counts.attended, of: marked, target: targets.attendanceRate),
            .rate(.conversionRate, funnel.booked, of: funnel.viewed, target: targets.conversionRate),
            .rate(.noShowRate, counts.noShow, of: marked, target: nil),
            ReportFigure(key: .medianBookingTime, value: bookingTime.medianSeconds, denominator: bookingTime.count, target: nil),
        ]
    }
}
