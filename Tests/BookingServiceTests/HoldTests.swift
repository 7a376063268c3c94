import BookingDomain
import BookingProtocol
@testable import BookingService
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// Hold-then-confirm through bookingd and availabilityd in-process: a client's booking is
/// `scheduled` and holds its slot until its client confirms it or its hold ends.
@Suite(.serialized) struct HoldTests {
    static let start = ISO8601.parseInstant("2026-12-02T11:00:00+03:00")!

    static func contact(_ n: Int = 0) -> ContactBody {
        ContactBody(name: "Иван Петров", email: "ivan\(n)@example.com", phone: "+7916123\(String(format: "%04d", n))")
    }

    static func suite(_ bookings: String, directory: String? = nil) async throws -> (InProcessSuite, DaemonClient) {
        var options = InProcessSuite.Options()
        options.extra = "bookings: \(bookings)"
        options.directory = directory
        let suite = try await InProcessSuite.start(options)
        return (suite, try await suite.client(.bookingd, timeout: .seconds(10)))
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

    static func events(_ bookingd: DaemonClient) async throws -> [EventBody] {
        let reply: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0))
        return reply.events
    }

    /// Polls (no fixed sleeps) until `condition` holds, for at most 30 s.
    static func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test func aClientsBookingIsHeldUntilItsClientConfirmsIt() async throws {
        let (suite, bookingd) = try await Self.suite("{confirmation: 'on', hold_minutes: 30}")
        let held: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.start, contact: Self.contact()), idempotencyKey: "b1")
        #expect(held.status == "scheduled")
        let holdEnd = try #require(held.holdExpiresAt)
        #expect(abs(holdEnd.timeIntervalSince(held.createdAt) - 1800) < 0.01)
        // The hold takes its slot: both consultants held, the third booking finds nobody.
        let second: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.start, contact: Self.contact(1)))
        #expect(second.status == "scheduled" && second.consultantId != held.consultantId)
        #expect(await Self.code { try await bookingd.call(MessageType.book, BookRequest(start: Self.start, contact: Self.contact(2))) } == "slot_unavailable")
        // An admin's booking is confirmed at once.
        let admin: AppointmentBody = try await bookingd.call(
            MessageType.book, BookRequest(start: Self.start.addingTimeInterval(3600), contact: Self.contact(3), actor: "admin"))
        #expect(admin.status == "confirmed" && admin.holdExpiresAt == nil)

        // The proof travels in the event to notifyd only; a reply never carries it.
        let created = try #require(try await Self.events(bookingd).first { $0.appointment.reference == held.reference })
        let proof = try #require(created.confirmation)
        #expect(proof.token.count == 32 && proof.code.count == 6)
        #expect(try await Self.events(bookingd).first { $0.appointment.reference == admin.reference }?.confirmation == nil)

        let wrongToken = String(proof.token.reversed())
        #expect(await Self.code { try await bookingd.call(MessageType.confirm, ConfirmRequest(reference: held.reference, token: wrongToken)) }
                == "validation_failed:token")
        #expect(await Self.code { try await bookingd.call(MessageType.confirm, ConfirmRequest(reference: second.reference, token: proof.token)) }
                == "validation_failed:token", "a token confirms its own booking only")
        #expect(await Self.code { try await bookingd.call(MessageType.confirm, ConfirmRequest(reference: held.reference)) } == "validation_failed:token")
        let confirmed: AppointmentBody = try await bookingd.call(MessageType.confirm, ConfirmRequest(reference: held.reference, code: proof.code))
        #expect(confirmed.status == "confirmed" && confirmed.holdExpiresAt == nil && confirmed.revision == 1)
        // Again (a double click, a retry): the same answer, no second change.
        let again: AppointmentBody = try await bookingd.call(MessageType.confirm, ConfirmRequest(reference: held.reference, token: proof.token))
        #expect(again == confirmed)
        let kinds = try await Self.events(bookingd).filter { $0.appointment.reference == held.reference }.map(\.kind)
        #expect(kinds == [.created, .confirmed])
        let history: HistoryReply = try await bookingd.call(MessageType.history, ReferenceRequest(reference: held.reference))
        #expect(history.entries.map(\.kind) == ["created", "confirmed"] && history.entries[1].actor == "client")
        try await suite.stop()
    }

    @Test func wrongCodesRunOutAfterFiveGuesses() async throws {
        let (suite, bookingd) = try await Self.suite("{confirmation: 'on'}")
        let held: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.start, contact: Self.contact()))
        let proof = try #require(try await Self.events(bookingd).first?.confirmation)
        let wrong = proof.code == "000000" ? "000001" : "000000"
        for _ in 0..<5 {
            #expect(await Self.code { try await bookingd.call(MessageType.confirm, ConfirmRequest(reference: held.reference, code: wrong)) } == "validation_failed:code")
        }
        #expect(await Self.code { try await bookingd.call(MessageType.confirm, ConfirmRequest(reference: held.reference, code: proof.code)) } == "validation_failed:code")
        // A bot's wrong codes do not lock the client out: the link's token is not guessable.
        let confirmed: AppointmentBody = try await bookingd.call(MessageType.confirm, ConfirmRequest(reference: held.reference, token: proof.token))
        #expect(confirmed.status == "confirmed")
        try await suite.stop()
    }

    @Test func guessesSentAtOnceTakeNoMoreThanTheLimit() async {
        let guesses = ConfirmationGuesses()
        let reference = BookingReference.random()
        let now = Date()
        let granted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 { group.addTask { guesses.take(reference, holdEnds: now.addingTimeInterval(1800), now: now) } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == ConfirmationGuesses.limit)
        #expect(guesses.take(BookingReference.random(), holdEnds: now.addingTimeInterval(1800), now: now), "each hold has its own")
    }

    @Test func endedHoldsAreForgottenWhenTheTableIsFull() {
        let guesses = ConfirmationGuesses()
        let now = Date()
        let ended = BookingReference.random()
        for _ in 0..<ConfirmationGuesses.limit { _ = guesses.take(ended, holdEnds: now.addingTimeInterval(60), now: now) }
        let running = BookingReference.random()
        for _ in 0..<ConfirmationGuesses.limit { _ = guesses.take(running, holdEnds: now.addingTimeInterval(7200), now: now) }
        for _ in 0..<(ConfirmationGuesses.tracked - 2) { _ = guesses.take(BookingReference.random(), holdEnds: now.addingTimeInterval(60), now: now) }
        let later = now.addingTimeInterval(600)
        #expect(guesses.take(ended, holdEnds: now.addingTimeInterval(60), now: later), "its hold ended: forgotten")
        #expect(!guesses.take(running, holdEnds: now.addingTimeInterval(7200), now: later), "a running hold keeps its count")
    }

    @Test func holdsCountAgainstTheContactsLimit() async throws {
        let (suite, bookingd) = try await Self.suite("{confirmation: 'on', max_future_bookings_per_contact: 1}")
        let _: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.start, contact: Self.contact()))
        #expect(await Self.code {
            try await bookingd.call(MessageType.book, BookRequest(start: Self.start.addingTimeInterval(3600), contact: Self.contact()))
        } == "contact_limit_reached:contact.email")
        try await suite.stop()
    }

    @Test func anUnconfirmedHoldIsReleasedOnceAtItsEnd() async throws {
        // A hold of 3 s on the suite's clock.
        let (suite, bookingd) = try await Self.suite("{confirmation: 'on', hold_minutes: 0.05}")
        let held: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.start, contact: Self.contact(), consultantId: "anna"))
        let proof = try #require(try await Self.events(bookingd).first?.confirmation)
        try await Self.waitFor("the release") {
            let now: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: held.reference))
            return now.status == "cancelled"
        }
        let events = try await Self.events(bookingd)
        #expect(events.map(\.kind) == [.created, .released])
        #expect(events.last?.actor == "system")
        let history: HistoryReply = try await bookingd.call(MessageType.history, ReferenceRequest(reference: held.reference))
        #expect(history.entries.map(\.kind) == ["created", "released"])
        // Too late to confirm; the slot is offered and booked again.
        #expect(await Self.code { try await bookingd.call(MessageType.confirm, ConfirmRequest(reference: held.reference, code: proof.code)) }
                == "invalid_transition")
        let availabilityd = try await suite.client(.availabilityd)
        try await Self.waitFor("availabilityd to free the slot") {
            let check: CheckSlotReply = try await availabilityd.call(MessageType.checkSlot, CheckSlotRequest(start: Self.start, consultantId: "anna"))
            return check.candidates == ["anna"]
        }
        let again: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.start, contact: Self.contact(1), consultantId: "anna"))
        #expect(again.status == "scheduled")
        try await suite.stop()
    }

    @Test func holdsThatEndedWhileBookingdWasDownAreReleasedAtStart() async throws {
        let (first, bookingd) = try await Self.suite("{confirmation: 'on', hold_minutes: 0.05}")
        let held: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: Self.start, contact: Self.contact()))
        try await first.stop(keepingDirectory: true)
        // Down past the hold's end (the suite's clock runs on while nothing does).
        try await Task.sleep(for: .seconds(4))
        let (second, restarted) = try await Self.suite("", directory: first.directory)
        try await Self.waitFor("the release at start") {
            let now: AppointmentBody = try await restarted.call(MessageType.get, ReferenceRequest(reference: held.reference))
            return now.status == "cancelled"
        }
        #expect(try await Self.events(restarted).map(\.kind) == [.created, .released])
        try await second.stop()
    }

    @Test func automaticModeHoldsOnceUnknownContactsBookTooFast() async throws {
        let (suite, bookingd) = try await Self.suite("{confirmation: automatic, automatic_confirmation: {window_minutes: 10, on_above: 2, off_below: 1}}")
        var statuses: [String] = []
        for n in 0..<4 {
            let booked: AppointmentBody = try await bookingd.call(
                MessageType.book, BookRequest(start: Self.start.addingTimeInterval(Double(n) * 1800), contact: Self.contact(n)))
            statuses.append(booked.status)
        }
        #expect(statuses == ["confirmed", "confirmed", "scheduled", "scheduled"])
        let ping: PingReply = try await bookingd.call(MessageType.ping, Empty())
        #expect(ping.confirmation == "on")
        #expect(ping.status?.contains("confirmation automatic: holding since") == true, "\(ping.status ?? "")")
        // An admin's booking is neither counted nor held.
        let admin: AppointmentBody = try await bookingd.call(
            MessageType.book, BookRequest(start: Self.start.addingTimeInterval(7200), contact: Self.contact(9), actor: "admin"))
        #expect(admin.status == "confirmed")
        try await suite.stop()
    }
}
