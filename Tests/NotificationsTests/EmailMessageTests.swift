import Foundation
import Testing
@testable import Notifications

@Suite struct EmailMessageTests {
    static func message(calendar: CalendarInvite? = CalendarInviteTests.invite(), subject: String? = nil) throws -> EmailMessage {
        let rendered = try Fixtures.library().email(.clientConfirmation, Fixtures.facts(locale: "ru", timeZone: "Europe/Berlin"))
        return EmailMessage(
            from: Mailbox(name: "Консультации «Ромашка»", address: "booking@example.com"),
            to: [Mailbox(name: "Анна Петрова", address: "anna.petrova@example.com"), Mailbox(address: "copy@example.com")],
            replyTo: Mailbox(name: "Support, Team", address: "support@example.com"),
            subject: subject ?? rendered.subject, text: rendered.text, html: rendered.html, calendar: calendar,
            messageID: "delivery-0001@booking.example.com", date: Fixtures.start.addingTimeInterval(-86400 * 3),
            extraHeaders: [("Auto-Submitted", "auto-generated")])
    }

    @Test func linesAreCRLFAndShort() throws {
        let bytes = try Self.message().encoded()
        #expect(bytes.allSatisfy { $0 < 0x80 }, "every octet is ASCII: headers encoded, bodies quoted-printable or base64")
        #expect(!zip(bytes, bytes.dropFirst()).contains { $0.1 == 0x0A && $0.0 != 0x0D })
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 }, "\(lines.filter { $0.utf8.count > 76 })")
    }

    @Test func sameMessageSameBytes() throws {
        #expect(try Self.message().encoded() == Self.message().encoded())
        var other = try Self.message()
        other.messageID = "delivery-0002@booking.example.com"
        #expect(try other.encoded() != Self.message().encoded())
    }

    @Test func pythonReadsTheStructureHeadersAndParts() throws {
        let message = try Self.message()
        let output = try Python.run("""
            import sys, email, email.policy, icalendar
            msg = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
            print('defects', len(msg.defects))
            for h in ('From', 'To', 'Reply-To', 'Subject', 'Message-ID', 'Date', 'MIME-Version', 'Auto-Submitted'):
                print(h, '=', str(msg[h]))
            def walk(part, depth):
                print('  ' * depth + part.get_content_type(), part.get_param('method') or '', part.get_filename() or '', len(part.defects))
                for sub in (part.iter_parts() if part.is_multipart() else []):
                    walk(sub, depth + 1)
            walk(msg, 0)
            parts = {p.get_content_type(): p for p in msg.walk() if not p.is_multipart()}
            inline = parts['text/calendar'].get_content()
            attached = parts['application/ics'].get_content()
            attached = attached.decode() if isinstance(attached, bytes) else attached
            print('calendars equal', inline == attached)
            cal = icalendar.Calendar.from_ical(inline)
            e = [c for c in cal.walk() if c.name == 'VEVENT'][0]
            print('calendar', cal['METHOD'], e['UID'], e['SEQUENCE'])
            import json
            print('text', json.dumps(parts['text/plain'].get_content().replace('\\r\\n', '\\n')))
            print('html', json.dumps(parts['text/html'].get_content().replace('\\r\\n', '\\n')))
            """, input: message.encoded())
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.filter { !$0.hasPrefix("text ") && !$0.hasPrefix("html ") } == [
            "defects 0",
            "From = Консультации «Ромашка» <booking@example.com>",
            "To = Анна Петрова <anna.petrova@example.com>, copy@example.com",
            "Reply-To = \"Support, Team\" <support@example.com>",
            "Subject = \(message.subject)",
            "Message-ID = <delivery-0001@booking.example.com>",
            "Date = Sat, 28 Nov 2026 07:00:00 +0000",
            "MIME-Version = 1.0",
            "Auto-Submitted = auto-generated",
            "multipart/mixed   0",
            "  multipart/alternative   0",
            "    text/plain   0",
            "    text/html   0",
            "    text/calendar REQUEST  0",
            "  application/ics  invite.ics 0",
            "calendars equal True",
            "calendar REQUEST appt-42 0",
        ])
        let text = try #require(lines.first { $0.hasPrefix("text ") }).dropFirst(5)
        let html = try #require(lines.first { $0.hasPrefix("html ") }).dropFirst(5)
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) as? String == message.text)
        #expect(try JSONSerialization.jsonObject(with: Data(html.utf8), options: .fragmentsAllowed) as? String == message.html)
    }

    @Test func withoutCalendarItIsJustAlternative() throws {
        let output = try Python.run("""
            import sys, email, email.policy
            msg = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
            print(msg.get_content_type(), [p.get_content_type() for p in msg.iter_parts()], len(msg.defects))
            """, input: Self.message(calendar: nil).encoded())
        #expect(output.trimmingWhitespace() == "multipart/alternative ['text/plain', 'text/html'] 0")
    }

    @Test func cancellationSaysMethodCancel() throws {
        var invite = CalendarInviteTests.invite(method: .cancel, revision: 1)
        invite.event.stamp = Fixtures.start
        let text = String(decoding: try Self.message(calendar: invite).encoded(), as: UTF8.self)
        #expect(text.contains("Content-Type: text/calendar; charset=utf-8; method=CANCEL\r\n"))
    }

    @Test func longCyrillicSubjectRoundTripsThroughEncodedWords() throws {
        let subject = "Вы записаны на консультацию 01.12.2026, 10:00 (Москва) — номер записи BK-7Q2M-X9TD-4KHN-ZP3CG, 😀 до встречи!"
        let bytes = try Self.message(subject: subject).encoded()
        let text = String(decoding: bytes, as: UTF8.self)
        let header = text.components(separatedBy: "\r\n").drop { !$0.hasPrefix("Subject:") }.prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(header.count > 2)
        #expect(header.allSatisfy { $0.count <= 76 })
        let words = header.joined().replacingOccurrences(of: "Subject:", with: "").split(separator: " ")
        #expect(words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?utf-8?B?") && $0.hasSuffix("?=") })
        // Each word decodes to valid UTF-8 on its own: no character was split.
        let decoded = words.map { word -> String? in
            let payload = word.dropFirst("=?utf-8?B?".count).dropLast(2)
            return Data(base64Encoded: String(payload)).flatMap { String(data: $0, encoding: .utf8) }
        }
        #expect(decoded.allSatisfy { $0 != nil })
        #expect(decoded.compactMap { $0 }.joined() == subject)
        let python = try Python.run("""
            import sys, email, email.policy
            msg = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
            sys.stdout.write(str(msg['Subject']))
            """, input: bytes)
        #expect(python == subject)
    }

    @Test func displayNames() {
        #expect(HeaderEncoding.mailbox(Mailbox(name: "Anna Petrova", address: "a@example.com"), firstLineRoom: 70) == ["Anna", "Petrova", "<a@example.com>"])
        #expect(HeaderEncoding.mailbox(Mailbox(name: "Petrova, \"Anna\"", address: "a@example.com"), firstLineRoom: 70) == ["\"Petrova, \\\"Anna\\\"\"", "<a@example.com>"])
        #expect(HeaderEncoding.mailbox(Mailbox(address: "a@example.com"), firstLineRoom: 70) == ["<a@example.com>"])
        // A name longer than one encoded word: words of whole characters that join back to it.
        let name = "Общество с ограниченной ответственностью «Консалтинговая группа Ромашка»"
        let tokens = HeaderEncoding.mailbox(Mailbox(name: name, address: "a@example.com"), firstLineRoom: 70)
        #expect(tokens.count > 2 && tokens.last == "<a@example.com>")
        let decoded = tokens.dropLast().map { word in
            Data(base64Encoded: String(word.dropFirst("=?utf-8?B?".count).dropLast(2))).flatMap { String(data: $0, encoding: .utf8) } ?? "?"
        }
        #expect(decoded.joined() == name)
        #expect(tokens.dropLast().allSatisfy { $0.count <= 75 })
        #expect(decoded.dropLast().allSatisfy { $0.hasSuffix(" ") }, "words break after spaces: \(decoded)")
    }

    @Test func nameOfOneFullEncodedWordGetsItsOwnLine() throws {
        var message = try Self.message(calendar: nil)
        message.from = Mailbox(name: "Центр «Ромашка», Москва", address: "booking@example.com")  // 43 octets: one word
        let bytes = message.encoded()
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let from = lines.drop { !$0.hasPrefix("From:") }.prefix { $0.hasPrefix("From:") || $0.hasPrefix(" ") }
        #expect(from.count == 3 && from.first == "From:" && from.dropFirst().first?.hasPrefix(" =?utf-8?B?") == true)
        #expect(lines.allSatisfy { $0.count <= 76 })
        let python = try Python.run("""
            import sys, email, email.policy
            msg = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
            sys.stdout.write(msg['From'].addresses[0].display_name + '|' + msg['From'].addresses[0].addr_spec)
            """, input: bytes)
        #expect(python == "Центр «Ромашка», Москва|booking@example.com")
    }

    @Test func asciiSubjectStaysReadableAndLineBreaksCannotInjectHeaders() throws {
        let text = String(decoding: try Self.message(subject: "Booked\r\nBcc: victim@example.com").encoded(), as: UTF8.self)
        #expect(text.contains("\r\nSubject: Booked Bcc: victim@example.com\r\n"))
        #expect(!text.contains("\r\nBcc:"))
    }

    @Test func quotedPrintable() {
        #expect(EmailMessage.quotedPrintable("a=b \nend ") == ["a=3Db=20", "end=20"])
        #expect(EmailMessage.quotedPrintable(".hidden\n") == ["=2Ehidden", ""])
        #expect(EmailMessage.quotedPrintable("я") == ["=D1=8F"])
        let long = EmailMessage.quotedPrintable(String(repeating: "ж", count: 40))
        #expect(long.allSatisfy { $0.count <= 76 })
        #expect(long.dropLast().allSatisfy { $0.hasSuffix("=") })
        // A character's bytes stay on one line.
        #expect(long.allSatisfy { $0.replacingOccurrences(of: "=D0=B6", with: "").replacingOccurrences(of: "=", with: "").isEmpty })
    }

    @Test func rfc5322Date() {
        #expect(EmailMessage.rfc5322Date(Fixtures.start) == "Tue, 01 Dec 2026 07:00:00 +0000")
    }
}
