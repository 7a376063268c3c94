import CivilTime
import Foundation
import Testing
@testable import BookingProtocol

@Suite struct EnvelopeTests {
    let header = MessageHeader(id: "m-1", correlationId: "p-1", idempotencyKey: "k-1", sentAt: Date(timeIntervalSince1970: 1_790_000_000),
                               deadline: Date(timeIntervalSince1970: 1_790_000_002), user: "alice")

    /// An event's header names its epoch; a reader that knows nothing of it reads the rest.
    @Test func anEventHeaderCarriesItsEpoch() throws {
        let header = MessageHeader(id: "e-1", sentAt: Date(timeIntervalSince1970: 1_790_000_000), sequence: 42, epoch: "3f2a9c1e")
        let bytes = WireJSON.encodeHeader(header)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""epoch":"3f2a9c1e""#))
        #expect(try WireJSON.decode(MessageHeader.self, from: bytes) == header)
        #expect(HeaderParser.parse(bytes) == header)
        var written = JSONWriter()
        header.writeJSON(to: &written)
        #expect(try WireJSON.decode(MessageHeader.self, from: written.bytes) == header)
        let older = try WireJSON.decode(MessageHeader.self, from: Array(#"{"id":"e","sent_at":"2026-12-01T07:00:00Z","sequence":1}"#.utf8))
        #expect(older.epoch == nil)
    }

    @Test func roundTripsThroughFrames() throws {
        let envelope = try Envelope(type: MessageType.get, header: header, encoding: ReferenceRequest(reference: "BK-1"))
        let frames = envelope.frames()
        #expect(frames.count == 5)
        #expect(frames[0].isEmpty)
        #expect(frames[1] == Array("booking/1".utf8))
        let decoded = try Envelope.decode(frames)
        #expect(decoded == envelope)
        #expect(try decoded.decodeBody(ReferenceRequest.self).reference == "BK-1")
    }

    @Test func splitsRoutingIdentitiesFromTheEnvelope() throws {
        let envelope = try Envelope(type: MessageType.ping, header: header, encoding: Empty())
        let routed = [[1, 2, 3], [4]] + envelope.frames()
        let (route, decoded) = try Envelope.splitRouted(routed)
        #expect(route == [[1, 2, 3], [4]])
        #expect(decoded.type == MessageType.ping)
    }

    @Test func headerUsesSnakeCaseOnTheWire() throws {
        let envelope = try Envelope(type: MessageType.ping, header: header, encoding: Empty())
        let json = String(decoding: envelope.frames()[3], as: UTF8.self)
        #expect(json.contains("\"correlation_id\":\"p-1\""))
        #expect(json.contains("\"idempotency_key\":\"k-1\""))
        #expect(json.contains("\"sent_at\":\"2026-09-21T"))
    }

    static let signature = Array("booking/1".utf8)
    static let validHeader = Array(#"{"id":"x","sent_at":"2026-01-01T00:00:00Z"}"#.utf8)
    static let malformed: [(frames: [[UInt8]], expected: String)] = [
        ([], "expected 4 frames"),
        ([[], signature, Array("get".utf8)], "expected 4 frames"),
        ([[], Array("nonsense".utf8), Array("get".utf8), validHeader, Array("{}".utf8)], "first frame must be"),
        ([[], signature, [], validHeader, Array("{}".utf8)], "type frame is empty"),
        ([[], signature, Array("get".utf8), Array("not json".utf8), Array("{}".utf8)], "header is not valid"),
        ([[], signature, Array("get".utf8), Array("[1]".utf8), Array("{}".utf8)], "header is not a JSON object"),
    ]

    @Test(arguments: malformed)
    func refusesMalformedFrames(frames: [[UInt8]], expected: String) {
        do {
            _ = try Envelope.decode(frames)
            Issue.record("decoded malformed frames")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func namesAnotherProtocolVersion() {
        let frames: [[UInt8]] = [[], Array("booking/2".utf8), Array("get".utf8), Array("{}".utf8), Array("{}".utf8)]
        #expect(throws: ProtocolError.self) { try Envelope.decode(frames) }
        do { _ = try Envelope.decode(frames) } catch { #expect(error.code == .unsupportedVersion) }
    }

    @Test func ignoresUnknownFieldsAndNamesTheBadOne() throws {
        let body = Array(#"{"reference":"BK-1","something_new":42}"#.utf8)
        let envelope = Envelope(type: MessageType.get, header: header, body: body)
        #expect(try envelope.decodeBody(ReferenceRequest.self).reference == "BK-1")

        let bad = Envelope(type: MessageType.book, header: header, body: Array(#"{"start":"tomorrow","contact":{}}"#.utf8))
        do {
            _ = try bad.decodeBody(BookRequest.self)
            Issue.record("decoded a bad start")
        } catch {
            #expect(error.code == .validationFailed)
            #expect(error.field == "start")
        }
    }

    /// `malformed` is for what is not a JSON object; every field that is missing, null where a
    /// value is required, or of the wrong type is `validation_failed` naming it.
    @Test(arguments: [
        (#"{"reference":42}"#, ErrorCode.validationFailed, "reference"),
        (#"{"reference":null}"#, .validationFailed, "reference"),
        (#"{}"#, .validationFailed, "reference"),
        (#"{"reference":["BK-1"]}"#, .validationFailed, "reference"),
        (#"["BK-1"]"#, .malformed, nil),
        (#""BK-1""#, .malformed, nil),
        (#"{"reference":"BK-1""#, .malformed, nil),
    ] as [(String, ErrorCode, String?)])
    func wrongTypesAreValidationFailuresAndNonObjectsMalformed(body: String, code: ErrorCode, field: String?) {
        let envelope = Envelope(type: MessageType.get, header: header, body: Array(body.utf8))
        do {
            _ = try envelope.decodeBody(ReferenceRequest.self)
            Issue.record("decoded \(body)")
        } catch {
            #expect(error.code == code, "\(error)")
            #expect(error.field == field, "\(error)")
        }
    }

    @Test(arguments: [
        (#"{"sent_at":"2026-01-01T00:00:00Z"}"#, "header.id"),
        (#"{"id":"x"}"#, "header.sent_at"),
        (#"{"id":7,"sent_at":"2026-01-01T00:00:00Z"}"#, "header.id"),
        (#"{"id":"x","sent_at":"yesterday"}"#, "header.sent_at"),
        (#"{"id":"x","sent_at":"2026-01-01T00:00:00Z","deadline":5}"#, "header.deadline"),
    ])
    func aBadHeaderFieldIsNamed(header: String, field: String) {
        do {
            _ = try Envelope.decode([[], Self.signature, Array("get".utf8), Array(header.utf8), Array("{}".utf8)])
            Issue.record("decoded \(header)")
        } catch {
            #expect(error.code == .validationFailed, "\(error)")
            #expect(error.field == field, "\(error)")
        }
    }

    @Test func aTimeOffIsRemovedByItsNumberInEitherFormTheDaemonWritesIt() throws {
        #expect(try WireJSON.decode(TimeOffRemoveRequest.self, from: Array(#"{"id": 7}"#.utf8)).id == 7)
        #expect(try WireJSON.decode(TimeOffRemoveRequest.self, from: Array(#"{"id": "7"}"#.utf8)).id == 7)
        let envelope = Envelope(type: MessageType.timeOffRemove, header: header, body: Array(#"{"id": "seven"}"#.utf8))
        #expect(throws: ProtocolError.self) { try envelope.decodeBody(TimeOffRemoveRequest.self) }
        do { _ = try envelope.decodeBody(TimeOffRemoveRequest.self) } catch { #expect(error.code == .validationFailed && error.field == "id") }
    }

    @Test func theIdOfAnUndecodableRequestIsRecoveredWhenItsHeaderIsAnObject() {
        let route: [[UInt8]] = [[9, 9]]
        let missingSentAt = route + [[], Self.signature, Array("get".utf8), Array(#"{"id":"req-7","sent_at":"soon"}"#.utf8), Array("{}".utf8)]
        #expect(Envelope.recoverableId(missingSentAt) == "req-7")
        let notJSON = route + [[], Self.signature, Array("get".utf8), Array("{id: req-7".utf8), Array("{}".utf8)]
        #expect(Envelope.recoverableId(notJSON) == nil)
        #expect(Envelope.recoverableId(route + [[], Self.signature]) == nil)
    }

    @Test func eventFramesCarryTopicAndSequence() throws {
        let appointment = AppointmentBody(
            reference: "BK-1", id: "a", clientId: "c", consultantId: "anna", start: Date(timeIntervalSince1970: 1_790_000_000),
            end: Date(timeIntervalSince1970: 1_790_001_800), status: "confirmed", contact: ContactBody(name: "Иван", email: "i@example.com", phone: "+79161234567"),
            timeZone: "Europe/Moscow", locale: "ru", createdAt: Date(timeIntervalSince1970: 1_789_000_000), updatedAt: Date(timeIntervalSince1970: 1_789_000_000), reminderSent: false, revision: 0
        )
        let event = EventBody(sequence: 7, id: "e-7", kind: .rescheduled, occurredAt: Date(timeIntervalSince1970: 1_789_000_000), appointment: appointment,
                              previous: BookedSlotBody(consultantId: "anna", start: Date(timeIntervalSince1970: 1_789_990_000)), actor: "client")
        let frames = try event.frames()
        #expect(String(decoding: frames[0], as: UTF8.self) == "booking.rescheduled")
        let (topic, envelope) = try Envelope.decodeEvent(frames)
        #expect(topic == "booking.rescheduled")
        #expect(envelope.header.sequence == 7)
        #expect(try envelope.decodeBody(EventBody.self) == event)
    }
}

@Suite struct WireJSONTests {
    @Test func parsesInstantsWithAndWithoutFractionsAndOffsets() {
        #expect(ISO8601.parseInstant("2026-12-01T10:00:00+03:00") == Date(timeIntervalSince1970: 1_796_108_400))
        #expect(ISO8601.parseInstant("2026-12-01T07:00:00Z") == Date(timeIntervalSince1970: 1_796_108_400))
        #expect(ISO8601.parseInstant("2026-12-01T07:00:00.250Z") == Date(timeIntervalSince1970: 1_796_108_400.25))
        #expect(ISO8601.parseInstant("2026-12-01 10:00") == nil)
    }

    @Test func instantsSurviveARoundTripToTheMillisecond() {
        var instant = Date(timeIntervalSince1970: 1_796_108_400.123_456)
        for _ in 0..<1000 {
            let text = ISO8601.instant(instant)
            let parsed = ISO8601.parseInstant(text)!
            #expect(ISO8601.instant(parsed) == text)
            #expect(abs(parsed.timeIntervalSince(instant)) <= 0.0005)
            instant.addTimeInterval(0.000_7 + 86_400.3)
        }
        #expect(ISO8601.instant(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    @Test(arguments: [
        ("Europe/Moscow", 1_796_108_400.0, "2026-12-01T10:00:00+03:00"),
        ("America/New_York", 1_772_953_200.0, "2026-03-08T03:00:00-04:00"),  // just after the spring-forward gap
        ("America/New_York", 1_772_949_600.0, "2026-03-08T01:00:00-05:00"),
        ("Asia/Kolkata", 0.0, "1970-01-01T05:30:00+05:30"),
        ("America/St_Johns", 1_796_108_400.0, "2026-12-01T03:30:00-03:30"),
        ("UTC", -86_400.0, "1969-12-31T00:00:00+00:00"),
    ])
    func formatsLocalTimesWithTheirOffset(zone: String, seconds: Double, expected: String) {
        #expect(ISO8601.local(Date(timeIntervalSince1970: seconds), in: TimeZone(identifier: zone)!) == expected)
    }

    @Test func localFormatAgreesWithFoundationOverAYear() {
        let zone = TimeZone(identifier: "Europe/Berlin")!
        let style = Date.ISO8601FormatStyle(timeZone: zone)
        var instant = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
        for _ in 0..<(365 * 4) {
            let ours = ISO8601.local(instant, in: zone)
            #expect(ISO8601.parseInstant(ours) == instant)
            #expect(ours.prefix(19) == style.format(instant).prefix(19))
            instant.addTimeInterval(6 * 3600 + 17)
        }
    }

    @Test func errorBodiesKeepTheirStableCodes() throws {
        let body = ErrorBody(code: .slotUnavailable, message: "taken", field: "start")
        let json = String(decoding: try WireJSON.encode(body), as: UTF8.self)
        #expect(json.contains("\"code\":\"slot_unavailable\""))
        #expect(ErrorCode.allCases.map(\.rawValue).contains("outside_working_hours"))
        #expect(Set(ErrorCode.allCases.map(\.rawValue)).count == ErrorCode.allCases.count)
    }
}

@Suite struct InstantParsingTests {
    @Test(arguments: [
        "2026-12-01T10:00:00+03:00", "2026-12-01T07:00:00Z", "2026-12-01T07:00:00.1Z", "2026-12-01T07:00:00.123456789Z",
        "2024-02-29T23:59:59-11:30", "1969-12-31T23:59:59.999Z", "2000-01-01T00:00:00+14:00",
    ])
    func theFastParserAgreesWithFoundation(text: String) throws {
        let fast = try #require(ISO8601.parseInstant(text))
        let foundation = try (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) ?? Date.ISO8601FormatStyle().parse(text)
        #expect(abs(fast.timeIntervalSince(foundation)) < 0.001)
    }

    @Test(arguments: ["2026-02-30T10:00:00Z", "2026-13-01T10:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T10:00:00", "2026-12-01T10:00:00+3:00",
                      "2026-12-01T10:00:00.Z", "2026-12-01 10:00:00Z", "tomorrow", ""])
    func refusesWhatIsNotAnInstant(text: String) {
        #expect(ISO8601.parseInstant(text) == nil)
    }
}

@Suite struct JSONWriterTests {
    static func appointment(company: String?) -> AppointmentBody {
        AppointmentBody(
            reference: "BK-7Q2M-X9TD-4KHN-ZP3CG", id: "a-1", clientId: "c-1", consultantId: "anna",
            start: Date(timeIntervalSince1970: 1_796_108_400), end: Date(timeIntervalSince1970: 1_796_110_200), status: "confirmed",
            contact: ContactBody(name: "Иван \"Ваня\" Петров\\", email: "ivan@example.com", phone: "+79161234567", company: company),
            timeZone: "Europe/Berlin", locale: "ru", createdAt: Date(timeIntervalSince1970: 1_796_000_000.123),
            updatedAt: Date(timeIntervalSince1970: 1_796_000_001.5), reminderSent: true, revision: 3
        )
    }

    @Test(arguments: [nil, "ООО «Ромашка»"] as [String?])
    func appointmentsAndEventsWriteWhatCodableWrites(company: String?) throws {
        let appointment = Self.appointment(company: company)
        for event in [
            EventBody(sequence: 9, id: "e-9", kind: .rescheduled, occurredAt: Date(timeIntervalSince1970: 1_796_000_002), appointment: appointment,
                      previous: BookedSlotBody(consultantId: "boris", start: Date(timeIntervalSince1970: 1_796_100_000)), actor: "client",
                      reason: "line\nbreak", clientMessage: "Вас примет Борис", correlationId: "m-1"),
            EventBody(sequence: 10, id: "e-10", kind: .created, occurredAt: Date(timeIntervalSince1970: 1_796_000_003), appointment: appointment, actor: "admin"),
        ] {
            let fast = try WireJSON.encode(event)
            #expect(try WireJSON.decode(EventBody.self, from: fast) == event)
            let codable = try JSONEncoder.snakeCase.encode(event)
            let ours = try JSONSerialization.jsonObject(with: Data(fast)) as? NSDictionary
            let theirs = try JSONSerialization.jsonObject(with: codable) as? NSDictionary
            #expect(ours == theirs)
        }
        #expect(try WireJSON.decode(AppointmentBody.self, from: try WireJSON.encode(appointment)) == appointment)
    }

    @Test(arguments: [
        MeetingBody(format: "video", link: "https://meet.example.com/BK-7Q2M-X9TD-4KHN-ZP3CG?a=\"b\""),
        MeetingBody(format: "office", address: "Москва, Тверская ул., 1"), MeetingBody(format: "phone"),
    ])
    func aMeetingAndATopicWriteWhatCodableWrites(meeting: MeetingBody) throws {
        var appointment = Self.appointment(company: nil)
        appointment.meeting = meeting
        appointment.topic = "Налоги\nи \"вычеты\""
        let fast = try WireJSON.encode(appointment)
        #expect(try WireJSON.decode(AppointmentBody.self, from: fast) == appointment)
        let ours = try JSONSerialization.jsonObject(with: Data(fast)) as? NSDictionary
        let theirs = try JSONSerialization.jsonObject(with: try JSONEncoder.snakeCase.encode(appointment)) as? NSDictionary
        #expect(ours == theirs)
        // Written before meetings, an appointment reads without one.
        var old = try #require(try JSONSerialization.jsonObject(with: Data(fast)) as? [String: Any])
        old["meeting"] = nil
        old["topic"] = nil
        let decoded = try WireJSON.decode(AppointmentBody.self, from: Array(try JSONSerialization.data(withJSONObject: old)))
        #expect(decoded.meeting == nil && decoded.topic == nil)
    }

    @Test(arguments: [
        LeadSourceBody(utmSource: "yandex", utmMedium: "cpc", utmCampaign: "зима \"24\"", referrer: "ya.ru"),
        LeadSourceBody(referrer: "vc.ru"), LeadSourceBody(utmCampaign: "spring"),
    ])
    func aSourceWritesWhatCodableWrites(source: LeadSourceBody) throws {
        var appointment = Self.appointment(company: nil)
        appointment.source = source
        let fast = try WireJSON.encode(appointment)
        #expect(try WireJSON.decode(AppointmentBody.self, from: fast) == appointment)
        let ours = try JSONSerialization.jsonObject(with: Data(fast)) as? NSDictionary
        let theirs = try JSONSerialization.jsonObject(with: try JSONEncoder.snakeCase.encode(appointment)) as? NSDictionary
        #expect(ours == theirs)
    }

    /// The `contact` request and its reply in snake_case; what is absent is left out.
    @Test func theContactRequestAndReplyOnTheWire() throws {
        let request = try WireJSON.decode(ContactRequest.self, from: Array(#"{"reference": "BK-7Q2M-X9TD-4KHN-ZP3CG", "event_id": "e-9"}"#.utf8))
        #expect(request == ContactRequest(reference: "BK-7Q2M-X9TD-4KHN-ZP3CG", eventId: "e-9"))
        #expect(try WireJSON.decode(ContactRequest.self, from: Array(#"{"reference": "BK-1", "event_id": null}"#.utf8)).eventId == nil)
        let envelope = Envelope(type: MessageType.contact, header: MessageHeader(id: "m-1", sentAt: Date(timeIntervalSince1970: 1_790_000_000)),
                                body: Array(#"{"event_id": "e-9"}"#.utf8))
        do {
            _ = try envelope.decodeBody(ContactRequest.self)
            Issue.record("decoded a request without a reference")
        } catch {
            #expect(error.code == .validationFailed && error.field == "reference", "\(error)")
        }

        let full = ContactReply(reference: "BK-7Q2M-X9TD-4KHN-ZP3CG",
                                contact: ContactBody(name: "Иван Петров", email: "ivan@example.com", phone: "+79161234567", company: "ООО «Ромашка»"),
                                topic: "Налоги\nи вычеты", clientMessage: "Заболел")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try WireJSON.encode(full))) as? [String: Any])
        #expect(Set(json.keys) == ["reference", "contact", "topic", "client_message"])
        #expect(json["contact"] as? [String: String] == ["name": "Иван Петров", "email": "ivan@example.com", "phone": "+79161234567", "company": "ООО «Ромашка»"])
        #expect(try WireJSON.decode(ContactReply.self, from: try WireJSON.encode(full)) == full)

        let bare = ContactReply(reference: "BK-7Q2M-X9TD-4KHN-ZP3CG", contact: ContactBody(name: "Jane Doe", email: "jane@example.com", phone: "+12125550100"))
        let bareJSON = try #require(try JSONSerialization.jsonObject(with: Data(try WireJSON.encode(bare))) as? [String: Any])
        #expect(Set(bareJSON.keys) == ["reference", "contact"])
        #expect(Set((bareJSON["contact"] as? [String: Any] ?? [:]).keys) == ["name", "email", "phone"])
    }

    @Test func headersWriteWhatCodableWrites() throws {
        for header in [
            MessageHeader(id: "m", sentAt: Date(timeIntervalSince1970: 1_796_000_000.25)),
            MessageHeader(id: "m", correlationId: "p", idempotencyKey: "k\"ey", sentAt: Date(timeIntervalSince1970: 1_796_000_000),
                          deadline: Date(timeIntervalSince1970: 1_796_000_002), user: "alice", sequence: 42),
        ] {
            let fast = try WireJSON.encode(header)
            #expect(try WireJSON.decode(MessageHeader.self, from: fast) == header)
            let ours = try JSONSerialization.jsonObject(with: Data(fast)) as? NSDictionary
            let theirs = try JSONSerialization.jsonObject(with: try JSONEncoder.snakeCase.encode(header)) as? NSDictionary
            #expect(ours == theirs)
        }
    }

    @Test func theHandWrittenSlotListDecodesToTheSameValueAsCodable() throws {
        let zone = TimeZone(identifier: "America/New_York")!
        let slots = (0..<300).map { n in
            let start = Date(timeIntervalSince1970: 1_772_900_000 + Double(n) * 1800 + 0.0004)
            return SlotBody(start: start, end: start.addingTimeInterval(1800), localStart: ISO8601.local(start, in: zone),
                            localEnd: ISO8601.local(start.addingTimeInterval(1800), in: zone), free: n % 3)
        }
        let reply = SlotsReply(timeZone: "America/New_York", slots: slots, warnings: ["quote \" backslash \\ newline \n tab \t bell \u{7} кириллица"])
        let fast = try WireJSON.encode(reply)
        let decoded = try WireJSON.decode(SlotsReply.self, from: fast)
        #expect(decoded.slots.count == 300)
        #expect(decoded.warnings == reply.warnings)
        #expect(decoded.slots.map(\.free) == reply.slots.map(\.free))
        #expect(decoded.slots.map(\.localStart) == reply.slots.map(\.localStart))
        #expect(zip(decoded.slots, reply.slots).allSatisfy { abs($0.start.timeIntervalSince($1.start)) < 0.001 })

        // The same keys as JSONEncoder would write.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(fast)) as? [String: Any])
        #expect(Set(object.keys) == ["time_zone", "slots", "warnings"])
        let first = try #require((object["slots"] as? [[String: Any]])?.first)
        #expect(Set(first.keys) == ["start", "end", "local_start", "local_end", "free"])
    }
}

extension JSONEncoder {
    /// What the wire would carry without the hand-written writers.
    static var snakeCase: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.instant(date))
        }
        return encoder
    }
}

@Suite struct HeaderParserTests {
    @Test(arguments: [
        #"{"id":"m","sent_at":"2026-12-01T07:00:00.000Z"}"#,
        #"{ "id" : "m", "correlation_id": "p", "idempotency_key": "k", "sent_at": "2026-12-01T10:00:00+03:00", "deadline": "2026-12-01T07:00:02Z", "user": "alice", "sequence": 7 }"#,
        #"{"id":"m","sent_at":"2026-12-01T07:00:00Z","deadline":null,"user":null}"#,
        #"{"id":"m","sent_at":"2026-12-01T07:00:00Z","sequence":7,"epoch":"3f2a9c1e-0b7d-4e58-9a61-2c4f8d0e7b13"}"#,
    ])
    func agreesWithJSONDecoder(text: String) throws {
        let fast = try #require(HeaderParser.parse(Array(text.utf8)))
        #expect(fast == (try WireJSON.decode(MessageHeader.self, from: Array(text.utf8))))
    }

    @Test(arguments: [
        #"{"id":"m\"x","sent_at":"2026-12-01T07:00:00Z"}"#,            // an escape: JSONDecoder's job
        #"{"id":1,"sent_at":"2026-12-01T07:00:00Z"}"#,                   // wrong type
        #"{"id":"m","sent_at":"2026-12-01T07:00:00Z","sequence":"7"}"#,  // wrong type
        #"{"id":"m","sent_at":"2026-12-01T07:00:00Z","unknown":"ignored","count":3}"#, // a key it does not read
        #"{"id":"m","sent_at":"yesterday"}"#, #"{"id":"m"}"#, #"{"id":"m","nested":{}}"#, "[]", "{}", "", #"{"id":"m","sent_at":"2026-12-01T07:00:00Z"} x"#,
    ])
    func leavesTheUnusualToJSONDecoder(text: String) {
        #expect(HeaderParser.parse(Array(text.utf8)) == nil)
    }

    // Found by Fuzz/FuzzEnvelope (inputs in Fuzz/regressions/FuzzEnvelope): the fast parser accepted
    // what JSONDecoder refuses, or crashed on a number past UInt64.
    @Test(arguments: [
        [UInt8](#"{"id":"m","sent_at":"2026-12-01T07:00:00Z","sequence":18446744073709551616}"#.utf8),
        [UInt8](#"{"id":"m","sent_at":"2026-12-01T07:00:00Z","sequence":18446744073709551619}"#.utf8),
        [UInt8](#"{"id":"m","sent_at":"2026-12-01T07:00:00Z","sequence":007}"#.utf8),
        [UInt8](#"{"id":"m","sent_at":"2026-12-01T07:00:00Z","deadline":"soon","deadline":"2026-12-01T07:00:02Z"}"#.utf8),
        [UInt8](#"{"id":"m"#.utf8) + [0xC3, 0x28] + [UInt8](#"","sent_at":"2026-12-01T07:00:00Z"}"#.utf8),
    ])
    func refusesWhatJSONDecoderRefuses(bytes: [UInt8]) {
        #expect(HeaderParser.parse(bytes) == nil)
        let envelope = Envelope(type: "ping", header: MessageHeader(), body: [])
        var frames = envelope.frames()
        frames[3] = bytes
        #expect(throws: ProtocolError.self) { try Envelope.decode(frames) }
    }

    @Test func leavesOtherSpellingsOfAKeyToJSONDecoder() throws {
        let text = #"{"id":"m","sent_at":"2026-12-01T07:00:00Z","idempotency_kEy":"k"}"#
        #expect(HeaderParser.parse(Array(text.utf8)) == nil)
        let envelope = Envelope(type: "ping", header: MessageHeader(), body: [])
        var frames = envelope.frames()
        frames[3] = Array(text.utf8)
        #expect(try Envelope.decode(frames).header.idempotencyKey == "k")
    }

    @Test func readsTheLargestSequence() throws {
        let text = #"{"id":"m","sent_at":"2026-12-01T07:00:00Z","sequence":18446744073709551615}"#
        #expect(try #require(HeaderParser.parse(Array(text.utf8))).sequence == UInt64.max)
    }

    @Test func escapedHeadersStillDecodeThroughTheEnvelope() throws {
        let header = MessageHeader(id: "m\"1", idempotencyKey: "ключ", sentAt: Date(timeIntervalSince1970: 1_796_000_000))
        let envelope = Envelope(type: "ping", header: header, body: Array("{}".utf8))
        #expect(try Envelope.decode(envelope.frames()).header == header)
    }
}

@Suite struct ErasedAppointmentWireTests {
    @Test func anErasedAppointmentWritesWhatCodableWritesAndReadsBack() throws {
        var appointment = JSONWriterTests.appointment(company: nil)
        appointment.contact = ContactBody(name: "", email: "", phone: "")
        appointment.erasedAt = Date(timeIntervalSince1970: 1_796_000_009.5)
        let event = EventBody(sequence: 11, id: "e-11", kind: .erased, occurredAt: Date(timeIntervalSince1970: 1_796_000_009.5),
                              appointment: appointment, actor: "system")
        let fast = try WireJSON.encode(event)
        #expect(try WireJSON.decode(EventBody.self, from: fast) == event)
        let ours = try JSONSerialization.jsonObject(with: Data(fast)) as? NSDictionary
        let theirs = try JSONSerialization.jsonObject(with: try JSONEncoder.snakeCase.encode(event)) as? NSDictionary
        #expect(ours == theirs)
        let text = String(decoding: fast, as: UTF8.self)
        #expect(text.contains("\"erased_at\":\"2026-11-30T"))
        #expect(text.contains("\"kind\":\"erased\""))
        #expect(try event.frames()[0] == Array("booking.erased".utf8))
    }

    @Test func anAppointmentNeverErasedHasNoErasedAt() throws {
        let text = String(decoding: try WireJSON.encode(JSONWriterTests.appointment(company: nil)), as: UTF8.self)
        #expect(!text.contains("erased_at"))
    }
}
