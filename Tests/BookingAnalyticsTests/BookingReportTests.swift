@testable import BookingAnalytics
import BookingDomain
import CivilTime
import Foundation
import Testing

@Suite struct BookingReportTests {
    typealias F = ReportFixtures
    let report = F.weekReport

    @Test func countsBookingsMadeInThePeriodByWhatBecameOfThem() {
        let counts = report.counts
        // Made: A B C D E F G I (H before the period, J neither booked nor held in it).
        #expect(counts.made == 8)
        // Once per booking (C moved twice, I once), and every move.
        #expect(counts.rescheduled == 2)
        #expect(counts.moves == 3)
        #expect(counts.cancelled == 3)
        #expect(counts.cancelledByClient == 1)  // D
        #expect(counts.cancelledByAdmin == 1)  // I
        #expect(counts.cancelledBySystem == 1)  // E, released
    }

    @Test func countsConsultationsHeldInThePeriodByOutcome() {
        let counts = report.counts
        // Held: A B C F G H (D E I cancelled, J outside).
        #expect(counts.held == 6)
        #expect(counts.attended == 3)  // A C H
        #expect(counts.noShow == 1)  // B
        #expect(counts.unmarked == 1)  // F
        #expect(counts.pending == 1)  // G
    }

    @Test func ratesAreSharesOfTheirCohorts() {
        #expect(report.figure(.cancellationRate)?.value == 3.0 / 8)
        #expect(report.figure(.reschedulingRate)?.value == 2.0 / 8)
        #expect(report.figure(.attendanceRate)?.value == 3.0 / 4)
        #expect(report.figure(.noShowRate)?.value == 1.0 / 4)
        #expect(report.figure(.completionRate)?.value == 3.0 / 5)
        #expect(report.figure(.conversionRate)?.value == 3.0 / 7)
        #expect(report.figure(.attendanceRate)?.numerator == 3)
        #expect(report.figure(.attendanceRate)?.denominator == 4)
    }

    @Test func funnelCountsEachVisitAtItsFurthestStepAndEveryStepBefore() {
        // The visit that skipped to its reference counts at every step; the one of 30 November does not count.
        #expect(report.funnel == FunnelCounts(viewed: 7, slots: 6, chose: 5, sent: 4, booked: 3))
    }

    @Test func bookingTimeRunsFromFirstViewToReference() {
        // 30, 90 and 45 seconds.
        #expect(report.bookingTime.count == 3)
        #expect(report.bookingTime.averageSeconds == 55)
        #expect(report.bookingTime.medianSeconds == 45)
        #expect(report.figure(.averageBookingTime)?.verdict == .met)
        #expect(report.figure(.medianBookingTime)?.verdict == .noTarget)
    }

    @Test func eachTargetedFigureHasItsVerdict() {
        let verdicts = Dictionary(uniqueKeysWithValues: report.figures.map { ($0.key, $0.verdict) })
        #expect(verdicts == [
            .completionRate: .notMet, .averageBookingTime: .met, .cancellationRate: .notMet, .reschedulingRate: .notMet,
            .attendanceRate: .notMet, .conversionRate: .met, .noShowRate: .noTarget, .medianBookingTime: .noTarget,
        ])
        #expect(report.figures.map(\.key) == FigureKey.allCases)
    }

    @Test func leadTimeRunsFromBookingToTheSlotFirstChosen() {
        // Hours: A 48, B 49, C 30 (its first slot), D 168, E 168, F 43, G 76, I 24.
        let hours: [Double] = [48, 49, 30, 168, 168, 43, 76, 24]
        #expect(report.leadTime.count == 8)
        #expect(report.leadTime.averageSeconds == hours.reduce(0, +) * 3600 / 8)
        let middle: Double = (48 + 49) * 3600 / 2
        #expect(report.leadTime.medianSeconds == middle)
    }

    @Test func weekdaysAndHoursInTheReportZone() {
        // 1 December 2026 is a Tuesday.
        #expect(report.weekdays.map(\.bookings) == [0, 2, 2, 2, 1, 1, 0])
        #expect(report.weekdays.map(\.consultations) == [1, 0, 1, 2, 1, 1, 0])
        #expect(report.weekdays.map(\.name).first == "Monday")
        let hours = Dictionary(uniqueKeysWithValues: report.hours.map { ($0.hour, ($0.bookings, $0.consultations)) })
        #expect(report.hours.count == 24)
        #expect(hours[9]! == (1, 0))
        #expect(hours[10]! == (5, 4))
        #expect(hours[11]! == (1, 0))
        #expect(hours[12]! == (0, 1))
        #expect(hours[14]! == (0, 1))
        #expect(hours[15]! == (1, 0))
    }

    @Test func loadPerConsultantBusiestFirst() {
        #expect(report.consultants == [
            ConsultantLoad(consultantId: "anna", made: 6, cancelled: 3, held: 4, attended: 2, noShow: 1, unmarked: 0),
            ConsultantLoad(consultantId: "boris", made: 2, cancelled: 0, held: 2, attended: 1, noShow: 0, unmarked: 1),
        ])
    }

    @Test func sourcesMostBookingsFirstWithDirectVisitsTogether() {
        #expect(report.sources == [
            SourceCount(made: 5, cancelled: 3, attended: 0),
            SourceCount(utmSource: "newsletter", utmMedium: "email", made: 2, cancelled: 0, attended: 1),
            SourceCount(referrer: "search.example", made: 1, cancelled: 0, attended: 1),
        ])
    }

    @Test func bookingsPerDayByOutcomeCoverEveryDayOfThePeriod() {
        #expect(report.days.map(\.date.description) == (1...7).map { "2026-12-0\($0)" })
        #expect(report.days.map(\.made) == [2, 2, 2, 1, 1, 0, 0])
        #expect(report.days.reduce(0) { $0 + $1.made } == report.counts.made)
        let first = report.days[0], second = report.days[1], third = report.days[2]
        #expect((first.attended, first.noShow) == (1, 1))
        #expect((second.attended, second.cancelled) == (1, 1))
        #expect((third.cancelled, third.unmarked) == (1, 1))
        #expect(report.days[3].pending == 1)
        #expect(report.days[4].cancelled == 1)
    }

    @Test func ratesPerDayUseTheSameCohorts() {
        #expect(report.rateInterval == .day)
        #expect(report.rates.count == 7)
        let day1 = report.rates[0], day2 = report.rates[1], day3 = report.rates[2], day5 = report.rates[4], day6 = report.rates[5]
        #expect(day1.cancellation == 0)
        #expect(day1.conversion == 0)
        #expect(day1.completion == nil)  // nobody chose a slot
        #expect(day1.attendance == nil)  // nothing held
        #expect(day2.cancellation == 0.5)
        #expect(day2.rescheduling == 0.5)
        #expect(day2.attendance == 1)  // H
        #expect(day2.completion == 0)
        #expect(day3.attendance == 0.5)  // A and B
        #expect(day3.completion == 1)
        #expect(day3.conversion == 1)
        #expect(day5.cancellation == 1)
        #expect(day5.attendance == nil)  // F is unmarked, not a no-show
        #expect(RateName.allCases.allSatisfy { day6[$0] == nil })
    }

    @Test func periodsBeyondAMonthAreChartedByWeek() {
        let month = BookingReport(facts: F.facts(from: "2026-12-01", to: "2026-12-31"))
        #expect(month.rateInterval == .day)
        #expect(month.rates.count == 31)
        let twoMonths = BookingReport(facts: F.facts(from: "2026-12-01", to: "2027-01-31"))
        #expect(twoMonths.rateInterval == .week)
        #expect(twoMonths.rates.count == 9)
        #expect(twoMonths.rates.first.map { "\($0.from)..\($0.to)" } == "2026-12-01..2026-12-06")
        #expect(twoMonths.rates[1].from.description == "2026-12-07")
        #expect(twoMonths.rates.last.map { "\($0.from)..\($0.to)" } == "2027-01-25..2027-01-31")
    }
}

@Suite struct ReportEdgeTests {
    typealias F = ReportFixtures

    @Test func nothingToCountIsNoDataNeverZero() {
        let report = BookingReport(facts: F.facts())
        for figure in report.figures {
            #expect(figure.value == nil, "\(figure.key)")
            #expect(figure.verdict == .noData, "\(figure.key)")
        }
        #expect(report.days.count == 7)
        #expect(report.rates.allSatisfy { point in RateName.allCases.allSatisfy { point[$0] == nil } })
        #expect(report.bookingTime == DurationStats([]))
        #expect(report.sources.isEmpty)
        #expect(report.consultants.isEmpty)
    }

    @Test func attendanceWithNothingMarkedIsNoData() {
        let unmarked = F.booking("U", booked: "2026-12-01T10:00:00", slot: "2026-12-02T10:00:00")
        let report = BookingReport(facts: F.facts(bookings: [unmarked]))
        #expect(report.counts.unmarked == 1)
        #expect(report.figure(.attendanceRate)?.verdict == .noData)
        #expect(report.figure(.cancellationRate)?.value == 0)
        #expect(report.figure(.cancellationRate)?.verdict == .met)
    }

    @Test func unmarkedOnlyPastTheGracePeriod() {
        // Ends 7 December 11:00; the report is a day later to the second, then one second more.
        let booking = F.booking("U", booked: "2026-12-01T10:00:00", slot: "2026-12-07T10:00:00")
        let onTheBoundary = BookingReport(facts: F.facts(bookings: [booking], now: "2026-12-08T11:00:00"))
        #expect(onTheBoundary.counts.unmarked == 0)
        #expect(onTheBoundary.counts.pending == 1)
        let past = BookingReport(facts: F.facts(bookings: [booking], now: "2026-12-08T11:00:01"))
        #expect(past.counts.unmarked == 1)
        #expect(past.counts.pending == 0)
    }

    @Test func aHoldPastItsSlotIsPendingNotUnmarked() {
        let hold = F.booking("S", booked: "2026-12-01T10:00:00", slot: "2026-12-02T10:00:00", status: .scheduled)
        let report = BookingReport(facts: F.facts(bookings: [hold]))
        #expect(report.counts.unmarked == 0)
        #expect(report.counts.pending == 1)
    }

    @Test func aCorrectedMarkCountsAsItStandsNow() {
        let corrected = F.booking("K", booked: "2026-12-01T10:00:00", slot: "2026-12-02T10:00:00", status: .completed,
                                  changes: [(.noShow, .admin, "2026-12-02T11:00:00"), (.attended, .admin, "2026-12-02T12:00:00")])
        let report = BookingReport(facts: F.facts(bookings: [corrected]))
        #expect(report.counts.attended == 1)
        #expect(report.counts.noShow == 0)
        #expect(report.figure(.attendanceRate)?.value == 1)
    }

    @Test func aConsultantsReportCountsOnlyTheirBookingsAndHasNoFunnel() {
        let report = BookingReport(facts: F.facts(consultant: "boris", bookings: F.week, visits: F.visits))
        #expect(report.consultantId == "boris")
        #expect(report.counts.made == 2)  // C F
        #expect(report.counts.held == 2)
        #expect(report.counts.attended == 1)
        #expect(report.counts.unmarked == 1)
        #expect(report.funnel == FunnelCounts())
        #expect(report.figure(.completionRate)?.verdict == .noData)
        #expect(report.figure(.conversionRate)?.verdict == .noData)
        #expect(report.figure(.averageBookingTime)?.verdict == .noData)
        #expect(report.consultants.map(\.consultantId) == ["boris"])
    }

    @Test func daysAreTheReportZonesDays() {
        // 23:30 in Moscow on 1 December is 20:30 UTC: Moscow's Tuesday the 1st, hour 23.
        let late = F.booking("L", booked: "2026-12-01T23:30:00", slot: "2026-12-03T10:00:00")
        // 00:10 in Moscow on the 2nd is still the 1st in UTC: outside a one-day period of the 1st.
        let afterMidnight = F.booking("M", booked: "2026-12-02T00:10:00", slot: "2026-12-03T11:00:00")
        let early = F.visit("2026-12-01T00:05:00", booked: 50)
        let report = BookingReport(facts: F.facts(from: "2026-12-01", to: "2026-12-01", bookings: [late, afterMidnight], visits: [early]))
        #expect(report.counts.made == 1)
        #expect(report.days.map(\.date.description) == ["2026-12-01"])
        #expect(report.days[0].made == 1)
        #expect(report.weekdays.first { $0.weekday == 2 }?.bookings == 1)
        #expect(report.hours[23].bookings == 1)
        #expect(report.funnel.viewed == 1)
    }

    @Test func targetsAreStrict() {
        #expect(ReportTarget(.above, 0.9).verdict(for: 0.9) == .notMet)
        #expect(ReportTarget(.above, 0.9).verdict(for: 0.9001) == .met)
        #expect(ReportTarget(.below, 60).verdict(for: 60) == .notMet)
        #expect(ReportTarget(.below, 60).verdict(for: 59.9) == .met)
        #expect(ReportTarget(.below, 0.1).verdict(for: nil) == .noData)
    }

    @Test func theTeamsRequirementsAreTheDefaults() {
        let targets = ReportTargets.requirements
        #expect(targets.completionRate == ReportTarget(.above, 0.90))
        #expect(targets.averageBookingTime == ReportTarget(.below, 60))
        #expect(targets.cancellationRate == ReportTarget(.below, 0.10))
        #expect(targets.reschedulingRate == ReportTarget(.below, 0.15))
        #expect(targets.attendanceRate == ReportTarget(.above, 0.80))
        #expect(targets.conversionRate == ReportTarget(.above, 0.25))
        #expect(BookingReport(facts: F.facts()).targets == targets)
    }

    @Test func otherTargetsChangeTheVerdicts() {
        var targets = ReportTargets.requirements
        targets.cancellationRate = ReportTarget(.below, 0.5)
        let report = BookingReport(facts: F.facts(bookings: F.week, visits: F.visits), targets: targets)
        #expect(report.figure(.cancellationRate)?.verdict == .met)
    }

    @Test func medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        #expect(DurationStats([40, 10, 30, 20]).medianSeconds == 25)
        #expect(DurationStats([40, 10, 30, 20]).averageSeconds == 25)
        #expect(DurationStats([7]).medianSeconds == 7)
    }
}
