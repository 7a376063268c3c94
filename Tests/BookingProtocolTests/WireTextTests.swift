import Foundation
import Testing
@testable import BookingProtocol

@Suite struct WireTextTests {
    static let header = MessageHeader(id: "m-1", sentAt: Date(timeIntervalSince1970: 1_790_000_000))

    func request(_ body: String, header: MessageHeader = header) -> Envelope {
        Envelope(type: MessageType.cancel, header: header, body: Array(body.utf8))
    }

    func refusal(_ envelope: Envelope) -> ProtocolError? {
        do {
            try envelope.checkRequestText()
            return nil
        } catch {
            return error
        }
    }

    static let refusedBodies: [(body: String, field: String)] = [
        (#"{"reference":"BK-1\n"}"#, "reference"),
        (#"{"reference":"BK-1","reason":"late\u001b[2J"}"#, "reason"),
        (#"{"contact":{"name":"Anna\tPetrova","email":"a@example.com"}}"#, "contact.name"),
        (#"{"contact":{"name":"Anna","email":"a@example.com\r"}}"#, "contact.email"),
        (#"{"reference":"BK-1","actor":"admin\u0000"}"#, "actor"),
        ("{\"reference\":\"BK-1\u{7F}\"}", "reference"),
        ("{\"reason\":\"C1 \u{9B}31m\"}", "reason"),
        ("{\"topic\":\"one\u{2028}two\"}", "topic"),
        (#"{"references":["BK-1","BK-2\n"]}"#, "references.1"),
    ]

    @Test(arguments: refusedBodies)
    func refusesControlCharactersNamingTheField(body: String, field: String) throws {
        let error = try #require(refusal(request(body)))
        #expect(error.code == .validationFailed)
        #expect(error.field == field)
        #expect(error.message.hasPrefix(field + " must not contain"), "\(error.message)")
    }

    static let acceptedBodies = [
        #"{"reference":"BK-1","reason":"line one\nline two\ttab\r\n"}"#,
        #"{"reference":"BK-1","client_message":"Sorry,\nwe moved it"}"#,
        #"{"topic":"Налоги — «вычеты» \"в\" 2026\\"}"#,
        #"{"contact":{"name":"Анна-Мария О'Нил","email":"a@example.com"}}"#,
        "{}",
    ]

    @Test(arguments: acceptedBodies)
    func acceptsCleanTextAndLineBreaksInFreeText(body: String) {
        #expect(refusal(request(body)) == nil)
    }

    @Test(arguments: [("id", "m-1\nforged"), ("correlation_id", "c\u{1B}]0;x"), ("idempotency_key", "k\t1"), ("user", "root\ninfo")])
    func refusesControlCharactersInHeaderFields(name: String, value: String) throws {
        var header = Self.header
        switch name {
        case "id": header.id = value
        case "correlation_id": header.correlationId = value
        case "idempotency_key": header.idempotencyKey = value
        default: header.user = value
        }
        let error = try #require(refusal(request("{}", header: header)))
        #expect(error.code == .validationFailed)
        #expect(error.field == "header.\(name)")
    }

    static let foreign: [(encoding: String.Encoding, bom: [UInt8], name: String)] = [
        (.utf16LittleEndian, [], "UTF-16LE"), (.utf16BigEndian, [], "UTF-16BE"), (.utf16LittleEndian, [0xFF, 0xFE], "UTF-16LE"),
        (.utf16BigEndian, [0xFE, 0xFF], "UTF-16BE"), (.utf32LittleEndian, [], "UTF-32LE"), (.utf32BigEndian, [], "UTF-32BE"),
        (.utf32LittleEndian, [0xFF, 0xFE, 0x00, 0x00], "UTF-32LE"), (.utf32BigEndian, [0x00, 0x00, 0xFE, 0xFF], "UTF-32BE"),
    ]

    @Test(arguments: foreign)
    func refusesJSONThatIsNotUTF8NamingItsEncoding(encoding: String.Encoding, bom: [UInt8], name: String) throws {
        let body = bom + Array(#"{"reference":"BK-1"}"#.data(using: encoding)!)
        #expect(WireText.foreignEncoding(of: body) == name)
        let envelope = Envelope(type: MessageType.get, header: Self.header, body: body)
        let error = try #require(refusal(envelope))
        #expect(error.code == .malformed)
        #expect(error.message.contains(name))
        #expect(throws: ProtocolError.self) { try envelope.decodeBody(ReferenceRequest.self) }
        var frames = envelope.frames()
        frames[3] = bom + Array(#"{"id":"x","sent_at":"2026-01-01T00:00:00Z"}"#.data(using: encoding)!)
        do {
            _ = try Envelope.decode(frames)
            Issue.record("decoded a \(name) header")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.message.contains(name), "\(error.message)")
        }
    }

    @Test func utf8IsNotForeign() {
        #expect(WireText.foreignEncoding(of: Array(#"{"name":"Анна"}"#.utf8)) == nil)
        #expect(WireText.foreignEncoding(of: Array("\"x\"".utf8)) == nil)
        #expect(WireText.foreignEncoding(of: [UInt8]()) == nil)
    }

    @Test func escapesControlAndInvisibleFormatCharactersForLogsAndTerminals() {
        #expect(WireText.escaped("plain Анна \\ text") == "plain Анна \\ text")
        #expect(WireText.escaped("a\nb\r\tc") == #"a\nb\r\tc"#)
        #expect(WireText.escaped("\u{1B}[2J\u{7F}\u{9B}") == #"\u{1B}[2J\u{7F}\u{9B}"#)
        #expect(WireText.escaped("abc\u{202E}fed\u{200B}") == #"abc\u{202E}fed\u{200B}"#)
    }
}
