@testable import BookingAnalytics
import BookingDomain
import CivilTime
import Foundation
import Testing

/// A realistic month for looking at the page (docs/screenshots/report.png): four weeks, three
/// consultants, a few campaigns. Deterministic: a fixed linear congruential sequence.
enum SampleReport {
    struct Sequence {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D

        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static var facts: ReportFacts {
        var random = Sequence()
        let zone = ReportFixtures.moscow
        let from = LocalDate(year: 2026, month: 11, day: 2), to = LocalDate(year: 2026, month: 11, day: 29)
        let now = LocalDate(year: 2026, month: 11, day: 30).instant(at: LocalTime(hour: 9), in: zone)
        let consultants = ["anna", "boris", "vera"]
        let sources: [LeadSource?] = [nil, nil, LeadSource(utmSource: "newsletter", utmMedium: "email", utmCampaign: "november"),
                                      LeadSource(utmSource: "yandex", utmMedium: "cpc", utmCampaign: "consult-2026"),
                                      LeadSource(referrer: "partner.example"), LeadSource(utmSource: "telegram", utmMedium: "social")]
        var bookings: [BookedConsultation] = [], visits: [FunnelVisit] = []
        for offset in 0...from.days(until: to) {
            let day = from.adding(days: offset)
            let weekend = day.isWeekend
            for _ in 0..<(weekend ? 10 + random.next(8) : 22 + random.next(14)) {
                let viewed = day.instant(at: LocalTime(hour: 8 + random.next(14), minute: random.next(60)), in: zone)
                let depth = random.next(100)
                let booked = depth < 31
                visits.append(FunnelVisit(viewedAt: viewed, slotsAt: depth < 80 ? viewed.addingTimeInterval(4) : nil,
                                          choseAt: depth < 34 ? viewed.addingTimeInterval(18) : nil,
                                          sentAt: depth < 32 ? viewed.addingTimeInterval(30 + Double(random.next(20))) : nil,
                                          bookedAt: booked ? viewed.addingTimeInterval(38 + Double(random.next(40))) : nil))
                guard booked else { continue }
                let slotDay = day.adding(days: 1 + random.next(6))
                let start = slotDay.instant(at: LocalTime(hour: 10 + random.next(8)), in: zone)
                let slot = try! DateTimeRange(start: start, end: start.addingTimeInterval(3600))
                let id = UUID()
                let consultant = consultants[random.next(3)]
                var changes = [Transition(appointmentId: id, kind: .created, fromStatus: nil, toStatus: .confirmed, newSlot: slot,
                                          newConsultantId: consultant, actor: .client, at: viewed)]
                let fate = random.next(100)
                var status = AppointmentStatus.confirmed
                if random.next(100) < 11 {
                    changes.append(Transition(appointmentId: id, kind: .rescheduled, fromStatus: .confirmed, toStatus: .confirmed,
                                              actor: .client, at: viewed.addingTimeInterval(7200)))
                }
                if fate < 12 {
                    status = .cancelled
                    changes.append(Transition(appointmentId: id, kind: fate < 3 ? .released : .cancelled, fromStatus: .confirmed,
                                              toStatus: .cancelled, actor: fate < 3 ? .system : fate < 9 ? .client : .admin,
                                              at: viewed.addingTimeInterval(3 * 3600)))
                } else if slot.end < now {
                    status = fate < 76 ? .completed : fate < 95 ? .noShow : .confirmed
                    if status != .confirmed {
                        changes.append(Transition(appointmentId: id, kind: status == .completed ? .attended : .noShow, fromStatus: .confirmed,
                                                  toStatus: status, actor: .admin, at: slot.end))
                    }
                }
                bookings.append(BookedConsultation(reference: "BK-\(bookings.count + 1)", consultantId: consultant, slot: slot, bookedAt: viewed,
                                                   status: status, source: sources[random.next(sources.count)], changes: changes))
            }
        }
        return ReportFacts(from: from, to: to, zone: zone, consultantId: nil, bookings: bookings, visits: visits, now: now,
                           unmarkedAfter: 86_400)
    }
}

@Suite struct SampleReportTests {
    @Test func aMonthAddsUp() {
        let report = BookingReport(facts: SampleReport.facts)
        #expect(report.days.count == 28)
        #expect(report.days.reduce(0) { $0 + $1.made } == report.counts.made)
        #expect(report.consultants.reduce(0) { $0 + $1.made } == report.counts.made)
        #expect(report.sources.reduce(0) { $0 + $1.made } == report.counts.made)
        #expect(report.weekdays.reduce(0) { $0 + $1.bookings } == report.counts.made)
        #expect(report.hours.reduce(0) { $0 + $1.bookings } == report.counts.made)
        #expect(report.counts.attended + report.counts.noShow + report.counts.unmarked + report.counts.pending == report.counts.held)
        #expect(report.counts.cancelledByClient + report.counts.cancelledByAdmin + report.counts.cancelledBySystem == report.counts.cancelled)
    }

    /// `REPORT_SAMPLE=/tmp/report` writes report.html, .csv, .json and .txt there, to look at.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["REPORT_SAMPLE"] != nil))
    func writesTheSampleForALook() throws {
        let base = ProcessInfo.processInfo.environment["REPORT_SAMPLE"]!
        let report = BookingReport(facts: SampleReport.facts)
        try ReportPage.html(report).write(toFile: base + ".html", atomically: true, encoding: .utf8)
        try ReportCSV.write(report).write(toFile: base + ".csv", atomically: true, encoding: .utf8)
        try Data(try ReportJSON.write(report)).write(to: URL(fileURLWithPath: base + ".json"))
        try (ReportSummary.text(report) + "\n" + ReportGauges.exposition(report)).write(toFile: base + ".txt", atomically: true, encoding: .utf8)
    }
}
