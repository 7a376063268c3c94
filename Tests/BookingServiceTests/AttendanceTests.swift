import BookingAnalytics
import BookingDomain
import BookingProtocol
@testable import BookingService
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// Marking outcomes through bookingd in-process: an admin marks as themselves, anyone else only
/// with the consultant's link; marks before the start are refused; a second mark corrects the
/// first; the funnel's visits are kept step by step.
@Suite(.serialized) struct AttendanceTests {
    static let slot = ISO8601.parseInstant("2026-12-01T10:00:00+03:00")!

    static func contact(_ n: Int = 0) -> ContactBody {
        ContactBody(name: "Иван Петров", email: "ivan\(n)@example.com", phone: "+7916123\(String(format: "%04d", n))")
    }

    static func code(_ call: () async throws -> AppointmentBody) async -> String {
        do {
            return try await call().status
        } catch let error as ProtocolError {
            return error.code.rawValue + (error.field.map { ":" + $0 } ?? "")
        } catch {
            return "\(error)"
        }
    }

    /// The suite again on the same files, its clock moved to `start`, and a client of its bookingd.
    static func restarted(_ suite: InProcessSuite, from previous: String = InProcessSuite.Options().clockStart,
                          at start: String) async throws -> (InProcessSuite, DaemonClient) {
        let again = try await suite.restarted(clockFrom: previous, to: start)
        return (again, try await again.client(.bookingd, timeout: .seconds(10)))
    }

    @Test func marksAreRefusedBeforeTheStartAndCorrectedAfterIt() async throws {
        let suite = try await InProcessSuite.start(InProcessSuite.Options())
        let bookingd = try await suite.client(.bookingd, timeout: .seconds(10))
        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.slot, contact: Self.contact()))
        let reference = booked.reference
        #expect(await Self.code { try await bookingd.call(MessageType.markOutcome, MarkOutcomeRequest(reference: reference, outcome: "attended")) }
                == "invalid_transition")
        #expect(await Self.code { try await bookingd.call(MessageType.markOutcome, MarkOutcomeRequest(reference: reference, outcome: "came")) }
                == "validation_failed:outcome")
        #expect(await Self.code { try await bookingd.call(MessageType.markOutcome, MarkOutcomeRequest(reference: reference, outcome: "attended",
                                                                                                       note: String(repeating: "x", count: 501))) }
                == "validation_failed:note")

        let (later, again) = try await Self.restarted(suite, at: "2026-12-01T10:20:00+03:00")
        let attended: AppointmentBody = try await again.call(MessageType.markOutcome, MarkOutcomeRequest(reference: reference, outcome: "attended", note: "came on time"))
        #expect(attended.status == "completed" && attended.revision == 1)
        // The same mark again changes nothing; the other outcome corrects it.
        let same: AppointmentBody = try await again.call(MessageType.markOutcome, MarkOutcomeRequest(reference: reference, outcome: "attended"))
        #expect(same.status == "completed" && same.revision == 1)
        let corrected: AppointmentBody = try await again.call(MessageType.markOutcome, MarkOutcomeRequest(reference: reference, outcome: "no_show"))
        #expect(corrected.status == "no_show" && corrected.revision == 2)

        let history: HistoryReply = try await again.call(MessageType.history, ReferenceRequest(reference: reference))
        #expect(history.entries.map(\.kind) == ["created", "attended", "no_show"])
        #expect(history.entries[1].reason == "came on time" && history.entries[2].fromStatus == "completed")
        let replay: ReplayReply = try await again.call(MessageType.replay, ReplayRequest(after: 0))
        #expect(replay.events.map(\.kind) == [.created, .attended, .noShow])
        #expect(replay.events[1].reason == nil, "the note stays in the history")
        #expect(replay.events.map(\.sequence) == [1, 2, 3])

        // A cancelled booking has no outcome.
        let cancelled: AppointmentBody = try await again.call(
            MessageType.book, BookRequest(start: ISO8601.parseInstant("2026-12-02T11:00:00+03:00")!, contact: Self.contact(1), actor: "admin"))
        _ = try await again.call(MessageType.cancel, CancelRequest(reference: cancelled.reference, actor: "admin")) as AppointmentBody
        #expect(await Self.code { try await again.call(MessageType.markOutcome, MarkOutcomeRequest(reference: cancelled.reference, outcome: "no_show")) }
                == "invalid_transition")
        try await later.stop()
    }

    @Test func theConsultantsLinkMarksItsOwnOutcomeOfItsOwnBookingOnly() async throws {
        let suite = try await InProcessSuite.start(InProcessSuite.Options())
        let bookingd = try await suite.client(.bookingd, timeout: .seconds(10))
        let first: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.slot, contact: Self.contact()))
        let second: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.slot, contact: Self.contact(1)))
        let contact: ContactReply = try await bookingd.call(MessageType.contact, ContactRequest(reference: first.reference))
        let links = try #require(contact.outcomeLinks)
        // Whole milliseconds after the end, by the default seven days.
        #expect(links.expiresAt == first.end.addingTimeInterval(7 * 86_400))
        #expect(links.attendedToken.count == 32 && links.attendedToken != links.noShowToken)

        let (later, again) = try await Self.restarted(suite, at: "2026-12-01T10:20:00+03:00")
        func mark(_ reference: String, _ outcome: String, _ token: String, expires: Date? = links.expiresAt) async -> String {
            await Self.code {
                try await again.call(MessageType.markOutcome, MarkOutcomeRequest(reference: reference, outcome: outcome, expiresAt: expires, token: token))
            }
        }
        #expect(await mark(first.reference, "no_show", links.attendedToken) == "validation_failed:token", "the attended link marks no no-show")
        #expect(await mark(second.reference, "attended", links.attendedToken) == "validation_failed:token", "nor another booking")
        #expect(await mark(first.reference, "attended", links.attendedToken, expires: links.expiresAt.addingTimeInterval(86_400))
                == "validation_failed:token", "nor a later end")
        #expect(await mark(first.reference, "attended", String(links.attendedToken.reversed())) == "validation_failed:token")
        #expect(await mark(first.reference, "attended", links.attendedToken, expires: nil) == "validation_failed:expires_at")
        #expect(await mark(first.reference, "attended", links.attendedToken) == "completed")
        let history: HistoryReply = try await again.call(MessageType.history, ReferenceRequest(reference: first.reference))
        #expect(history.entries.last?.user == "consultant \(first.consultantId) (emailed link)")
        try await later.stop(keepingDirectory: true)

        // Past its end the link is refused, and the contact reply has none any more.
        let (expired, last) = try await Self.restarted(later, from: "2026-12-01T10:20:00+03:00", at: "2026-12-09T10:00:00+03:00")
        #expect(await Self.code {
            try await last.call(MessageType.markOutcome, MarkOutcomeRequest(reference: first.reference, outcome: "no_show", expiresAt: links.expiresAt,
                                                                          token: links.noShowToken))
        } == "conflict:expires_at")
        let gone: ContactReply = try await last.call(MessageType.contact, ContactRequest(reference: first.reference))
        #expect(gone.outcomeLinks == nil)
        try await expired.stop()
    }

    @Test func aBookingKeepsItsSourceAndRefusesABadOne() async throws {
        let suite = try await InProcessSuite.start(InProcessSuite.Options())
        let bookingd = try await suite.client(.bookingd, timeout: .seconds(10))
        let source = LeadSourceBody(utmSource: "yandex", utmMedium: "cpc", utmCampaign: "winter", referrer: "Ya.RU")
        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.slot, contact: Self.contact(), source: source))
        #expect(booked.source == LeadSourceBody(utmSource: "yandex", utmMedium: "cpc", utmCampaign: "winter", referrer: "ya.ru"))
        let read: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: booked.reference))
        #expect(read.source == booked.source)
        let replay: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0))
        #expect(replay.events.first?.appointment.source == booked.source, "the event carries it: it is no personal data")
        for (bad, field) in [(LeadSourceBody(referrer: "https://ya.ru/search?q=x"), "source.referrer"),
                             (LeadSourceBody(utmCampaign: String(repeating: "x", count: 201)), "source.utm_campaign"),
                             (LeadSourceBody(utmSource: "a\u{202E}b"), "source.utm_source")] {
            #expect(await Self.code {
                try await bookingd.call(MessageType.book, BookRequest(start: Self.slot, contact: Self.contact(1), source: bad))
            } == "validation_failed:\(field)")
        }
        try await suite.stop()
    }

    @Test func visitsKeepTheFirstTimeOfEachStep() async throws {
        let suite = try await InProcessSuite.start(InProcessSuite.Options())
        let bookingd = try await suite.client(.bookingd, timeout: .seconds(10))
        let _: Empty = try await bookingd.call(MessageType.visitStep, VisitStepRequest(visit: "visit-0001", step: .viewed))
        try await Task.sleep(for: .milliseconds(1200))
        // Steps again, as a reload sends them: the first times stand.
        for step in [VisitStep.viewed, .slots, .slots, .chose, .booked] {
            let _: Empty = try await bookingd.call(MessageType.visitStep, VisitStepRequest(visit: "visit-0001", step: step))
        }
        for (request, field) in [(VisitStepRequest(visit: "short", step: .viewed), "visit"),
                                 (VisitStepRequest(visit: "visit 0002", step: .viewed), "visit"),
                                 (VisitStepRequest(visit: "visit-0002", step: .sent, reference: "ABCD-EFGH"), "reference")] {
            do {
                let _: Empty = try await bookingd.call(MessageType.visitStep, request)
                Issue.record("\(request) was taken")
            } catch let error as ProtocolError {
                #expect(error.code == .validationFailed && error.field == field)
            }
        }
        // One visit, counted once at each step, its booking time from its first view.
        let report: BookingReport = try await bookingd.call(MessageType.report, ReportRequest(from: "2026-12-01", to: "2026-12-01"))
        #expect(report.funnel == FunnelCounts(viewed: 1, slots: 1, chose: 1, sent: 1, booked: 1))
        #expect(report.bookingTime.count == 1 && (report.bookingTime.averageSeconds ?? 0) >= 1.2, "\(report.bookingTime)")
        try await suite.stop()
    }

    /// The report through bookingd: its period, its filter and its refusals; the figures
    /// themselves are BookingAnalytics' (its tests) and the end-to-end report test's.
    @Test func theReportCountsThePeriodsBookingsVisitsAndMarks() async throws {
        let suite = try await InProcessSuite.start(InProcessSuite.Options())
        let bookingd = try await suite.client(.bookingd, timeout: .seconds(10))
        for step in [VisitStep.viewed, .slots, .chose, .sent, .booked] {
            let _: Empty = try await bookingd.call(MessageType.visitStep, VisitStepRequest(visit: "visit-0001", step: step))
        }
        let _: Empty = try await bookingd.call(MessageType.visitStep, VisitStepRequest(visit: "visit-0002", step: .viewed))
        let first: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.slot, contact: Self.contact(),
                                                                                           source: LeadSourceBody(utmSource: "yandex")))
        let second: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.slot, contact: Self.contact(1)))
        let (later, again) = try await Self.restarted(suite, at: "2026-12-01T10:20:00+03:00")
        _ = try await again.call(MessageType.markOutcome, MarkOutcomeRequest(reference: first.reference, outcome: "attended")) as AppointmentBody
        _ = try await again.call(MessageType.markOutcome, MarkOutcomeRequest(reference: second.reference, outcome: "no_show")) as AppointmentBody

        let report: BookingReport = try await again.call(MessageType.report, ReportRequest(from: "2026-12-01", to: "2026-12-01"))
        #expect(report.counts.made == 2 && report.counts.attended == 1 && report.counts.noShow == 1)
        #expect(report.funnel == FunnelCounts(viewed: 2, slots: 1, chose: 1, sent: 1, booked: 1))
        #expect(report.figure(.attendanceRate)?.value == 0.5)
        #expect(report.sources.contains { $0.utmSource == "yandex" })
        let anna: BookingReport = try await again.call(MessageType.report, ReportRequest(from: "2026-12-01", to: "2026-12-01",
                                                                                        consultantId: first.consultantId))
        #expect(anna.counts.made == 1 && anna.funnel == FunnelCounts())
        // Without days: the 30 days up to today.
        let recent: BookingReport = try await again.call(MessageType.report, ReportRequest())
        #expect(recent.to == LocalDate(year: 2026, month: 12, day: 1) && recent.from == LocalDate(year: 2026, month: 11, day: 2))

        for (request, field) in [(ReportRequest(from: "2026-12-02", to: "2026-12-01"), "to"), (ReportRequest(from: "1.12.2026"), "from"),
                                 (ReportRequest(from: "2025-01-01", to: "2026-12-01"), "from"), (ReportRequest(consultantId: "a b"), "consultant_id")] {
            do {
                let _: BookingReport = try await again.call(MessageType.report, request)
                Issue.record("\(request) was answered")
            } catch let error as ProtocolError {
                #expect(error.code == .validationFailed && error.field == field)
            }
        }
        try await later.stop()
    }
}
