import BookingAnalytics
import BookingDomain
import CivilTime
import Foundation

/// Hand-built facts: times written as Moscow wall clock (UTC+3, no daylight saving), so a test
/// reads like the calendar it describes.
enum ReportFixtures {
    static let moscow = TimeZone(identifier: "Europe/Moscow")!
    static let day: TimeInterval = 86_400

    static func at(_ local: String) -> Date {
        guard let date = ISO8601.parseInstant(local + "+03:00") else { fatalError("not an instant: \(local)") }
        return date
    }

    static func slot(_ start: String, minutes: Double = 60) -> DateTimeRange {
        let begin = at(start)
        return try! DateTimeRange(start: begin, end: begin.addingTimeInterval(minutes * 60))
    }

    /// A booking made at `booked` for `slot` (or `firstSlot` first, then moved), with each later
    /// change as (kind, actor, when).
    static func booking(_ reference: String, consultant: String = "anna", booked: String, slot start: String, firstSlot: String? = nil,
                        status: AppointmentStatus = .confirmed, source: LeadSource? = nil,
                        changes: [(TransitionKind, Actor, String)] = []) -> BookedConsultation {
        let id = UUID()
        let created = Transition(appointmentId: id, kind: .created, fromStatus: nil, toStatus: .confirmed,
                                 newSlot: slot(firstSlot ?? start), newConsultantId: consultant, actor: .client, at: at(booked))
        let later = changes.map { kind, actor, when in
            Transition(appointmentId: id, kind: kind, fromStatus: .confirmed, toStatus: status, actor: actor, at: at(when))
        }
        return BookedConsultation(reference: reference, consultantId: consultant, slot: slot(start), bookedAt: at(booked), status: status,
                                  source: source, changes: [created] + later)
    }

    static func visit(_ viewed: String, slots: Double? = nil, chose: Double? = nil, sent: Double? = nil, booked: Double? = nil) -> FunnelVisit {
        let start = at(viewed)
        return FunnelVisit(viewedAt: start, slotsAt: slots.map(start.addingTimeInterval), choseAt: chose.map(start.addingTimeInterval),
                           sentAt: sent.map(start.addingTimeInterval), bookedAt: booked.map(start.addingTimeInterval))
    }

    static func facts(from: String = "2026-12-01", to: String = "2026-12-07", consultant: String? = nil,
                      bookings: [BookedConsultation] = [], visits: [FunnelVisit] = [],
                      now: String = "2026-12-08T12:00:00", unmarkedAfter: TimeInterval = day) -> ReportFacts {
        ReportFacts(from: LocalDate(from)!, to: LocalDate(to)!, zone: moscow, consultantId: consultant, bookings: bookings, visits: visits,
                    now: at(now), unmarkedAfter: unmarkedAfter)
    }

    /// The week of the main test, 1 to 7 December 2026 (Tuesday to Monday); `now` is 8 December
    /// at noon and a consultation is unmarked a day after its end.
    static let week: [BookedConsultation] = [
        // A: attended.
        booking("A", booked: "2026-12-01T10:00:00", slot: "2026-12-03T10:00:00", status: .completed,
                source: LeadSource(utmSource: "newsletter", utmMedium: "email"), changes: [(.attended, .admin, "2026-12-03T11:00:00")]),
        // B: no-show.
        booking("B", booked: "2026-12-01T11:00:00", slot: "2026-12-03T12:00:00", status: .noShow,
                source: LeadSource(utmSource: "newsletter", utmMedium: "email"), changes: [(.noShow, .admin, "2026-12-03T13:00:00")]),
        // C: moved twice, then attended.
        booking("C", consultant: "boris", booked: "2026-12-02T09:00:00", slot: "2026-12-04T10:00:00", firstSlot: "2026-12-03T15:00:00",
                status: .completed, source: LeadSource(referrer: "search.example"),
                changes: [(.rescheduled, .client, "2026-12-02T12:00:00"), (.rescheduled, .admin, "2026-12-02T13:00:00"),
                          (.attended, .admin, "2026-12-04T11:00:00")]),
        // D: cancelled by its client; its slot is after the period.
        booking("D", booked: "2026-12-02T10:00:00", slot: "2026-12-09T10:00:00", status: .cancelled,
                changes: [(.cancelled, .client, "2026-12-03T09:00:00")]),
        // E: a hold released unconfirmed (the system's cancellation).
        booking("E", booked: "2026-12-03T10:00:00", slot: "2026-12-10T10:00:00", status: .cancelled,
                changes: [(.released, .system, "2026-12-03T10:15:00")]),
        // F: over on the 5th, never marked: unmarked.
        booking("F", consultant: "boris", booked: "2026-12-03T15:00:00", slot: "2026-12-05T10:00:00"),
        // G: over 21 hours before the report, within the day's grace: pending.
        booking("G", booked: "2026-12-04T10:00:00", slot: "2026-12-07T14:00:00"),
        // H: booked before the period, held in it, attended.
        booking("H", booked: "2026-11-20T10:00:00", slot: "2026-12-02T10:00:00", status: .completed,
                changes: [(.attended, .admin, "2026-12-02T11:00:00")]),
        // I: moved once by its client, then cancelled by an admin.
        booking("I", booked: "2026-12-05T10:00:00", slot: "2026-12-06T10:00:00", status: .cancelled,
                changes: [(.rescheduled, .client, "2026-12-05T11:00:00"), (.cancelled, .admin, "2026-12-05T12:00:00")]),
        // J: neither booked nor held in the period (the store would not send it): not counted.
        booking("J", booked: "2026-11-25T10:00:00", slot: "2026-12-15T10:00:00", status: .cancelled,
                changes: [(.cancelled, .client, "2026-11-26T10:00:00")]),
    ]

    static let visits: [FunnelVisit] = [
        visit("2026-12-01T09:00:00"),
        visit("2026-12-01T09:10:00", slots: 5),
        visit("2026-12-02T09:00:00", slots: 5, chose: 20),
        visit("2026-12-02T10:00:00", slots: 5, chose: 20, sent: 28),
        visit("2026-12-03T10:00:00", slots: 4, chose: 15, sent: 25, booked: 30),
        // Without scripts the page reports no steps between the view and the reference.
        visit("2026-12-03T11:00:00", booked: 90),
        visit("2026-12-05T18:00:00", slots: 5, chose: 20, sent: 40, booked: 45),
        // Began the evening before the period (Moscow): not counted.
        visit("2026-11-30T23:00:00", slots: 5, chose: 20, sent: 40, booked: 45),
    ]

    static var weekReport: BookingReport {
        BookingReport(facts: facts(bookings: week, visits: visits))
    }
}
