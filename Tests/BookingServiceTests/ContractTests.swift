import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing
import ZeroMQ

/// What docs/protocol.md promises about bookingd's queries and its refusals of what cannot be
/// read, against the real daemons in this process.
@Suite(.serialized) struct ContractTests {
    static func book(_ bookingd: DaemonClient, count: Int, topic: String? = nil) async throws -> [AppointmentBody] {
        var booked: [AppointmentBody] = []
        let first = BookingCommandsTests.instant("2026-12-02T09:00:00+03:00")
        for n in 0..<count {
            // Two consultants share each slot: pairs of bookings per start, 30 minutes apart.
            let start = first.addingTimeInterval(Double(n / 2) * 1800)
            booked.append(try await bookingd.call(MessageType.book, BookRequest(start: start, contact: BookingCommandsTests.contact(n), topic: topic)))
        }
        return booked
    }

    static func refusal(_ work: () async throws -> Void) async -> ProtocolError? {
        do {
            try await work()
            return nil
        } catch {
            return error as? ProtocolError
        }
    }

    @Test func listPagesByCursorInSlotOrderAndSaysWhenMoreFollow() async throws {
        let suite = try await InProcessSuite.start()
        try await BookingCommandsTests.ready(suite)
        let bookingd = try await suite.client(.bookingd)
        let booked = try await Self.book(bookingd, count: 5)

        var seen: [String] = []
        var request = ListRequest(limit: 2)
        var pages = 0
        while true {
            let page: ListReply = try await bookingd.call(MessageType.list, request)
            pages += 1
            #expect(page.appointments.count <= 2)
            seen += page.appointments.map(\.reference)
            guard let next = page.next else { break }
            #expect(next == page.appointments.last?.reference)
            request.after = next
        }
        #expect(pages == 3)
        let ordered = booked.sorted { ($0.start, $0.consultantId, $0.reference) < ($1.start, $1.consultantId, $1.reference) }
        #expect(seen == ordered.map(\.reference))
        #expect(try await bookingd.allAppointments(ListRequest(limit: 1)).map(\.reference) == seen)

        let whole: ListReply = try await bookingd.call(MessageType.list, ListRequest(limit: 5))
        #expect(whole.appointments.count == 5 && whole.next == nil, "an exact last page has no cursor")
        try await suite.stop()
    }

    @Test func aPageNeverExceedsTheMessageLimitAndItsCursorGoesOn() async throws {
        let suite = try await InProcessSuite.start()
        try await BookingCommandsTests.ready(suite)
        let bookingd = try await suite.client(.bookingd)
        // 2000 bytes of topic each: 34 bookings (one day's slots of both consultants) are more than 65536 bytes.
        let booked = try await Self.book(bookingd, count: 34, topic: String(repeating: "ж", count: 1000))
        let first: ListReply = try await bookingd.call(MessageType.list, ListRequest())
        #expect(try WireJSON.encode(first).count <= suite.configuration.maxMessageBytes)
        #expect(first.appointments.count < 34)
        #expect(first.next == first.appointments.last?.reference)
        #expect(Set(try await bookingd.allAppointments(ListRequest()).map(\.reference)) == Set(booked.map(\.reference)))
        try await suite.stop()
    }

    @Test func limitsOutsideTheirRangeAndABadCursorAreRefusedByName() async throws {
        let suite = try await InProcessSuite.start()
        try await BookingCommandsTests.ready(suite)
        let bookingd = try await suite.client(.bookingd)
        for limit in [0, -1, PageLimit.list.maximum + 1] {
            let refused = await Self.refusal { let _: ListReply = try await bookingd.call(MessageType.list, ListRequest(limit: limit)) }
            #expect(refused?.code == .validationFailed && refused?.field == "limit", "list limit \(limit): \(String(describing: refused))")
        }
        for limit in [0, -5, PageLimit.replay.maximum + 1] {
            let refused = await Self.refusal { let _: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0, limit: limit)) }
            #expect(refused?.code == .validationFailed && refused?.field == "limit", "replay limit \(limit): \(String(describing: refused))")
        }
        let cursor = await Self.refusal { let _: ListReply = try await bookingd.call(MessageType.list, ListRequest(after: "BK-nonsense")) }
        #expect(cursor?.code == .invalidReference && cursor?.field == "after", "\(String(describing: cursor))")
        let replay: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0, limit: PageLimit.replay.maximum))
        #expect(replay.events.isEmpty)
        try await suite.stop()
    }

    /// A wrong type is a refusal of that field, null is the same as absent for an optional field
    /// and a missing value for a required one; only what is not a JSON object is `malformed`.
    @Test func wrongTypesNullsAndNonObjectsAnswerAsDocumented() async throws {
        let suite = try await InProcessSuite.start()
        try await BookingCommandsTests.ready(suite)
        let bookingd = try await suite.client(.bookingd)
        func answer(_ type: String, _ body: String) async -> ProtocolError? {
            await Self.refusal { _ = try await bookingd.exchange(type, body: Array(body.utf8)) }
        }
        let wrongType = await answer(MessageType.get, #"{"reference": 17}"#)
        #expect(wrongType?.code == .validationFailed && wrongType?.field == "reference", "\(String(describing: wrongType))")
        let nullRequired = await answer(MessageType.get, #"{"reference": null}"#)
        #expect(nullRequired?.code == .validationFailed && nullRequired?.field == "reference", "\(String(describing: nullRequired))")
        let nested = await answer(MessageType.book, #"{"start": "2026-12-02T11:00:00+03:00", "contact": {"name": "A", "email": 1, "phone": "+79161234567"}}"#)
        #expect(nested?.code == .validationFailed && nested?.field == "contact.email", "\(String(describing: nested))")
        let notObject = await answer(MessageType.list, "[]")
        #expect(notObject?.code == .malformed && notObject?.field == nil, "\(String(describing: notObject))")
        #expect(await answer(MessageType.list, #"{"limit": null, "status": null, "after": null}"#) == nil, "null is absent")
        for (body, field) in [(#"{"after": -1}"#, "after"), (#"{"after": 1.5}"#, "after"), (#"{"after": 0, "limit": 1e30}"#, "limit")] {
            let refused = await answer(MessageType.replay, body)
            #expect(refused?.code == .validationFailed && refused?.field == field, "\(body): \(String(describing: refused))")
        }
        try await suite.stop()
    }

    /// An error reply to a request whose header cannot be read names the request's `id` when the
    /// header is still an object with one, so a DEALER client matches it.
    @Test func aRefusedHeaderIsAnsweredWithTheRecoveredId() async throws {
        let suite = try await InProcessSuite.start()
        let endpoint = suite.configuration.endpoints.bookingd[0]
        var options = SocketOptions()
        options.linger = .zero
        let dealer = try suite.context.socket(.dealer, options: options, label: "contract")
        try await dealer.connect(endpoint)
        func reply(_ header: String) async throws -> Envelope {
            try await dealer.send([[], Envelope.signatureBytes, Array("ping".utf8), Array(header.utf8), Array("{}".utf8)])
            return try Envelope.decode(try await dealer.receive(timeout: .seconds(10)))
        }
        let noSentAt = try await reply(#"{"id": "req-1"}"#)
        #expect(noSentAt.type == MessageType.error && noSentAt.header.correlationId == "req-1")
        let refusal = try noSentAt.decodeBody(ErrorBody.self)
        #expect(refusal.code == .validationFailed && refusal.field == "header.sent_at", "\(refusal)")
        let plusFour = try await reply(#"{"id": "req-2", "sent_at": "2026-12-01t10:00:00.123456789012+0300"}"#)
        #expect(plusFour.type == MessageType.reply(to: "ping") && plusFour.header.correlationId == "req-2")
        let unreadable = try await reply("{id: req-3")
        #expect(unreadable.type == MessageType.error && unreadable.header.correlationId == nil)
        await dealer.close()
        try await suite.stop()
    }
}

/// docs/protocol.md's table of field limits says what the daemons check: each row is built here
/// from the constants the daemons use, and must be in the document as it is.
@Suite struct FieldLimitsDocumentTests {
    static func range(_ bounds: ClosedRange<Int>) -> String { "\(bounds.lowerBound)–\(bounds.upperBound)" }

    @Test func theDocumentedLimitsAreTheCheckedOnes() throws {
        let document = try String(contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/docs/protocol.md", encoding: .utf8)
        let rows = [
            "| `header.idempotency_key` | \(Self.range(FieldLimits.idempotencyKeyBytes)) bytes of UTF-8 |",
            "| `contact.name` | 1–\(ContactInfo.maximumNameLength) characters |",
            "| `contact.email` | at most \(ContactInfo.maximumEmailLength) characters |",
            "| `contact.company` | at most \(ContactInfo.maximumCompanyLength) characters |",
            "| `topic` | at most \(ConsultationTopic.maximumLength) characters |",
            "| `reason` of `reschedule`, `cancel`, `pause`; `note` of `mark_outcome` | at most \(FieldLimits.reasonCharacters) characters; blank is absent |",
            "| each value of a booking's `source` | at most \(LeadSource.maximumCharacters) characters, no control or invisible characters; `referrer` a host name (`validation_failed`, field `source.referrer`...) |",
            "| `client_message` | at most \(FieldLimits.clientMessageCharacters) characters |",
            "| `reason` of `block`, `time_off_add` | \(Self.range(FieldLimits.calendarReasonCharacters)) characters, required |",
            "| `name` of a consultant | 1–\(ContactInfo.maximumNameLength) characters, as a contact's name |",
            "| `meeting.link` | at most \(MeetingFormat.maximumLinkLength) characters |",
            "| `meeting.address` | at most \(MeetingFormat.maximumAddressLength) characters |",
            "| `days` of `slots` | \(Self.range(FieldLimits.slotDays)) |",
            "| `year` of `calendar` | \(Self.range(FieldLimits.calendarYears)) |",
            "| `from`…`through` of `calendar` | at most \(FieldLimits.calendarRangeDays) days |",
            "| `from`…`through` of `block`, `time_off_add` | at most \(FieldLimits.blockRangeDays) days |",
            "| `label` of `backup` | \(Self.range(FieldLimits.backupLabelCharacters)) characters: letters, digits, `-`, `_`, `.`, not first `.` |",
            "| `list` | \(PageLimit.list.defaultValue) | \(PageLimit.list.maximum) |",
            "| `feed` | \(PageLimit.feed.defaultValue) | \(PageLimit.feed.maximum) |",
            "| `replay` | \(PageLimit.replay.defaultValue) | \(PageLimit.replay.maximum) |",
            "| `notifications` | \(PageLimit.notifications.defaultValue) | \(PageLimit.notifications.maximum) |",
        ]
        for row in rows {
            #expect(document.contains(row + "\n"), "docs/protocol.md lacks: \(row)")
        }
    }
}
