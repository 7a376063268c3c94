import Foundation
import Testing
@testable import Notifications

@Suite struct CalendarInviteTests {
    static func invite(method: CalendarInvite.Method = .request, sequence: Int = 0) -> CalendarInvite {
        CalendarInvite(
            uid: CalendarInvite.uid(appointmentID: "appt-42", domain: "booking.example.com"), sequence: sequence, method: method,
            start: Fixtures.start, end: Fixtures.start.addingTimeInterval(3600), stamp: Fixtures.start.addingTimeInterval(-86400),
            summary: "Консультация с Ириной Смирновой; запись BK-7Q2M-X9TD-4KHN-ZP3CG, вторник",
            description: "Номер записи: BK-7Q2M-X9TD-4KHN-ZP3CG\nПеренести или отменить: https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG\nC:\\путь",
            location: "Онлайн", url: "https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG",
            organizer: Mailbox(name: "Консультации \"Ромашка\"", address: "booking@example.com"),
            attendees: [Mailbox(name: "Анна Петрова", address: "anna.petrova@example.com")])
    }

    @Test func linesAreCRLFAndFoldedAt75OctetsWithoutSplittingUTF8() {
        let text = Self.invite().encoded()
        #expect(text.hasSuffix("\r\n"))
        let bytes = Array(text.utf8)
        #expect(!zip(bytes, bytes.dropFirst()).contains { $0.1 == 0x0A && $0.0 != 0x0D } && bytes.first != 0x0A)
        let lines = text.components(separatedBy: "\r\n").dropLast()
        for line in lines {
            #expect(line.utf8.count <= 75, "\(line)")
        }
        // Every physical line is valid UTF-8 on its own: no sequence was split by a fold.
        var physical: [[UInt8]] = [[]]
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { physical.append([]); continue }
            if byte == 0x0A, index > 0, bytes[index - 1] == 0x0D { continue }
            physical[physical.count - 1].append(byte)
        }
        #expect(physical.count == lines.count + 1)
        for line in physical { #expect(String(validating: line, as: UTF8.self) != nil) }
        #expect(lines.contains { $0.hasPrefix(" ") }, "the Cyrillic summary must need folding")
        let unfolded = text.replacingOccurrences(of: "\r\n ", with: "")
        #expect(unfolded.contains("SUMMARY:Консультация с Ириной Смирновой\\; запись BK-7Q2M-X9TD-4KHN-ZP3CG\\, вторник\r\n"))
        #expect(unfolded.contains("DESCRIPTION:Номер записи: BK-7Q2M-X9TD-4KHN-ZP3CG\\nПеренести или отменить: https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG\\nC:\\\\путь\r\n"))
        #expect(unfolded.contains("ORGANIZER;CN=\"Консультации 'Ромашка'\":mailto:booking@example.com\r\n"))
    }

    @Test func foldingCountsOctetsNotCharacters() {
        let line = "SUMMARY:" + String(repeating: "ж", count: 100)
        let folded = CalendarInvite.fold(line)
        let physical = folded.components(separatedBy: "\r\n")
        #expect(physical.allSatisfy { $0.utf8.count <= 75 })
        #expect(physical[0].utf8.count == 75 - 1)  // "SUMMARY:" (8) + 33 × 2 octets = 74; one more would be 76
        #expect(physical.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(folded.replacingOccurrences(of: "\r\n ", with: "") == line)
    }

    @Test func requestParsesWithPythonIcalendar() throws {
        let summary = try Self.parse(Self.invite(sequence: 2))
        #expect(summary == [
            "METHOD=REQUEST", "PRODID=-//Booking Suite//notifyd//EN", "VERSION=2.0",
            "UID=appt-42@booking.example.com", "SEQUENCE=2", "STATUS=CONFIRMED",
            "DTSTART=2026-12-01T07:00:00+00:00", "DTEND=2026-12-01T08:00:00+00:00", "DTSTAMP=2026-11-30T07:00:00+00:00",
            "SUMMARY=Консультация с Ириной Смирновой; запись BK-7Q2M-X9TD-4KHN-ZP3CG, вторник",
            "DESCRIPTION=Номер записи: BK-7Q2M-X9TD-4KHN-ZP3CG|Перенести или отменить: https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG|C:\\путь",
            "LOCATION=Онлайн", "ORGANIZER=mailto:booking@example.com CN=Консультации 'Ромашка'",
            "ATTENDEE=mailto:anna.petrova@example.com CN=Анна Петрова",
        ])
    }

    @Test func cancelCarriesMethodAndStatus() throws {
        let summary = try Self.parse(Self.invite(method: .cancel, sequence: 3))
        #expect(summary.contains("METHOD=CANCEL"))
        #expect(summary.contains("STATUS=CANCELLED"))
        #expect(summary.contains("SEQUENCE=3"))
        #expect(summary.contains("UID=appt-42@booking.example.com"))
    }

    /// What Python's icalendar reads back, one `NAME=value` per property.
    static func parse(_ invite: CalendarInvite) throws -> [String] {
        let output = try Python.run("""
            import sys, icalendar
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            out = ['METHOD=' + str(cal['METHOD']), 'PRODID=' + str(cal['PRODID']), 'VERSION=' + str(cal['VERSION'])]
            events = [c for c in cal.walk() if c.name == 'VEVENT']
            assert len(events) == 1, events
            e = events[0]
            out += ['UID=' + str(e['UID']), 'SEQUENCE=' + str(e['SEQUENCE']), 'STATUS=' + str(e['STATUS'])]
            for name in ('DTSTART', 'DTEND', 'DTSTAMP'):
                out.append(name + '=' + e.decoded(name).isoformat())
            out += ['SUMMARY=' + str(e['SUMMARY']), 'DESCRIPTION=' + str(e['DESCRIPTION']).replace('\\n', '|'), 'LOCATION=' + str(e['LOCATION'])]
            out.append('ORGANIZER=' + str(e['ORGANIZER']) + ' CN=' + e['ORGANIZER'].params['CN'])
            attendees = e['ATTENDEE'] if isinstance(e['ATTENDEE'], list) else [e['ATTENDEE']]
            out += ['ATTENDEE=' + str(a) + ' CN=' + a.params['CN'] for a in attendees]
            print('\\n'.join(out))
            """, input: Array(invite.encoded().utf8))
        return output.split(separator: "\n").map(String.init)
    }
}
