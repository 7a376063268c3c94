import BookingProtocol
import Foundation
import Testing

@Suite struct EnvelopeTests {
    let header = MessageHeader(id: "m-1", correlationId: "p-1", idempotencyKey: "k-1", sentAt: Date(timeIntervalSince1970: 1_790_000_000),
                               deadline: Date(timeIntervalSince1970: 1_790_000_002), user: "alice")

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
        ([[], signature, Array("get".utf8), Array(#"{"sent_at":"2026-01-01T00:00:00Z"}"#.utf8), Array("{}".utf8)], "missing field 'id'"),
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
            #expect(error.code == .malformed)
            #expect(error.field == "start")
        }
    }

    @Test func eventFramesCarryTopicAndSequence() throws {
        let appointment = AppointmentBody(
            reference: "BK-1", id: "a", clientId: "c", consultantId: "anna", start: Date(timeIntervalSince1970: 1_790_000_000),
            end: Date(timeIntervalSince1970: 1_790_001_800), status: "confirmed", contact: ContactBody(name: "Иван", email: "i@example.com", phone: "+79161234567"),
            timeZone: "Europe/Moscow", locale: "ru", createdAt: Date(timeIntervalSince1970: 1_789_000_000), updatedAt: Date(timeIntervalSince1970: 1_789_000_000), reminderSent: false
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
        #expect(WireJSON.parseInstant("2026-12-01T10:00:00+03:00") == Date(timeIntervalSince1970: 1_796_108_400))
        #expect(WireJSON.parseInstant("2026-12-01T07:00:00Z") == Date(timeIntervalSince1970: 1_796_108_400))
        #expect(WireJSON.parseInstant("2026-12-01T07:00:00.250Z") == Date(timeIntervalSince1970: 1_796_108_400.25))
        #expect(WireJSON.parseInstant("2026-12-01 10:00") == nil)
    }

    @Test func instantsSurviveARoundTripToTheMillisecond() {
        var instant = Date(timeIntervalSince1970: 1_796_108_400.123_456)
        for _ in 0..<1000 {
            let text = WireJSON.formatInstant(instant)
            let parsed = WireJSON.parseInstant(text)!
            #expect(WireJSON.formatInstant(parsed) == text)
            #expect(abs(parsed.timeIntervalSince(instant)) <= 0.0005)
            instant.addTimeInterval(0.000_7 + 86_400.3)
        }
        #expect(WireJSON.formatInstant(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
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
        #expect(WireJSON.formatLocal(Date(timeIntervalSince1970: seconds), in: TimeZone(identifier: zone)!) == expected)
    }

    @Test func localFormatAgreesWithFoundationOverAYear() {
        let zone = TimeZone(identifier: "Europe/Berlin")!
        let style = Date.ISO8601FormatStyle(timeZone: zone)
        var instant = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
        for _ in 0..<(365 * 4) {
            let ours = WireJSON.formatLocal(instant, in: zone)
            #expect(WireJSON.parseInstant(ours) == instant)
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
