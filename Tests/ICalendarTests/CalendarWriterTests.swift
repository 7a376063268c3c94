import Foundation
import Testing
@testable import ICalendar

@Suite struct CalendarWriterTests {
    static let start = Date(timeIntervalSince1970: 1_796_108_400)  // 2026-12-01T07:00:00Z
    static let appointmentID = "5f0c6a4e-8a47-4d0b-9a39-2f1f7d7c9b11"

    static func event(revision: Int = 0, status: CalendarEvent.Status = .confirmed) -> CalendarEvent {
        CalendarEvent(
            appointmentID: appointmentID, revision: revision, start: start, end: start.addingTimeInterval(1800),
            stamp: start.addingTimeInterval(-86400.75), status: status,
            summary: "Консультация с Ириной Смирновой; запись, вторник",
            description: "Номер записи: BK-7Q2M-X9TD-4KHN-ZP3CG\nПеренести: https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG\r\nC:\\путь",
            location: "Онлайн", url: "https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG",
            organizer: CalendarParticipant(name: "Консультации \"Ромашка\"", address: "booking@example.com"),
            attendees: [CalendarParticipant(name: "Анна Петрова", address: "anna@example.com"), CalendarParticipant(name: nil, address: "irina@example.com")]
        )
    }

    static func unfolded(_ text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n").dropLast()
    }

    @Test func theUIDIsTheAppointmentsIdAndTheSequenceItsRevision() {
        for method in [CalendarMethod.publish, .request, .cancel] {
            let lines = Self.unfolded(CalendarWriter.calendar(Self.event(revision: 4), method: method))
            #expect(lines.contains("UID:\(Self.appointmentID)"), "\(method)")
            #expect(lines.contains("SEQUENCE:4"), "\(method)")
            #expect(lines.contains("METHOD:\(method.rawValue)"))
            #expect(lines.filter { $0.hasPrefix("UID:") }.count == 1)
        }
        #expect(Self.unfolded(CalendarWriter.calendar(Self.event(revision: 0), method: .publish)).contains("SEQUENCE:0"))
    }

    @Test func theStatusIsWrittenAsGiven() {
        #expect(Self.unfolded(CalendarWriter.calendar(Self.event(status: .confirmed), method: .publish)).contains("STATUS:CONFIRMED"))
        #expect(Self.unfolded(CalendarWriter.calendar(Self.event(status: .cancelled), method: .cancel)).contains("STATUS:CANCELLED"))
    }

    @Test func onlyTheFirstAndLastLinesAreTheCalendarsAndEveryLineEndsInCRLF() {
        let text = CalendarWriter.calendar(Self.event(), method: .request)
        #expect(text.hasPrefix("BEGIN:VCALENDAR\r\nPRODID:-//Booking Suite//EN\r\nVERSION:2.0\r\n"))
        #expect(text.hasSuffix("END:VEVENT\r\nEND:VCALENDAR\r\n"))
        let bytes = Array(text.utf8)
        #expect(!zip(bytes, bytes.dropFirst()).contains { $0.1 == 0x0A && $0.0 != 0x0D } && bytes.first != 0x0A)
        #expect(!zip(bytes, bytes.dropFirst()).contains { $0.0 == 0x0D && $0.1 != 0x0A })
    }

    @Test func timesAreUTCDateTimesInWholeSeconds() {
        let lines = Self.unfolded(CalendarWriter.calendar(Self.event(), method: .publish))
        #expect(lines.contains("DTSTART:20261201T070000Z"))
        #expect(lines.contains("DTEND:20261201T073000Z"))
        #expect(lines.contains("DTSTAMP:20261130T065959Z"), "a fraction of a second is dropped, not rounded up")
        #expect(CalendarWriter.utc(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
    }

    @Test func linesAreFoldedAt75OctetsWithoutSplittingUTF8() {
        let text = CalendarWriter.calendar(Self.event(), method: .request)
        let physical = text.components(separatedBy: "\r\n").dropLast()
        #expect(physical.allSatisfy { $0.utf8.count <= 75 })
        #expect(physical.contains { $0.hasPrefix(" ") }, "the Cyrillic summary needs folding")
        // Each physical line is valid UTF-8 on its own: no sequence was split by a fold.
        for line in text.utf8.split(separator: 0x0A) { #expect(String(validating: Array(line), as: UTF8.self) != nil) }
    }

    @Test func foldingCountsOctetsNotCharacters() {
        let line = "SUMMARY:" + String(repeating: "ж", count: 100)
        let folded = CalendarWriter.fold(line)
        let physical = folded.components(separatedBy: "\r\n")
        #expect(physical.allSatisfy { $0.utf8.count <= 75 })
        #expect(physical[0].utf8.count == 74)  // "SUMMARY:" (8) + 33 × 2 octets; one more would be 76
        #expect(physical.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(folded.replacingOccurrences(of: "\r\n ", with: "") == line)
        let ascii = "DESCRIPTION:" + String(repeating: "a", count: 200)
        let parts = CalendarWriter.fold(ascii).components(separatedBy: "\r\n")
        #expect(parts.map(\.utf8.count) == [75, 75, 1 + 212 - 75 - 74])
        #expect(CalendarWriter.fold("UID:x") == "UID:x")
        // A four-octet scalar that would cross the limit moves whole to the next line.
        let emoji = CalendarWriter.fold(String(repeating: "a", count: 73) + "😀")
        #expect(emoji == String(repeating: "a", count: 73) + "\r\n 😀")
    }

    @Test func textIsEscapedAndControlCharactersDropped() {
        #expect(CalendarWriter.text("a;b,c\\d") == "a\\;b\\,c\\\\d")
        #expect(CalendarWriter.text("one\ntwo\r\nthree\rfour") == "one\\ntwo\\nthree\\nfour")
        #expect(CalendarWriter.text("tab\tkept, bell\u{07} and del\u{7F} dropped") == "tab\tkept\\, bell and del dropped")
        #expect(CalendarWriter.text("Консультация: 30 мин") == "Консультация: 30 мин", "a colon needs no escape in a value")
        let lines = Self.unfolded(CalendarWriter.calendar(Self.event(), method: .request))
        #expect(lines.contains("SUMMARY:Консультация с Ириной Смирновой\\; запись\\, вторник"))
        #expect(lines.contains("DESCRIPTION:Номер записи: BK-7Q2M-X9TD-4KHN-ZP3CG\\nПеренести: https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG\\nC:\\\\путь"))
        #expect(lines.contains("URL:https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG"), "a URI is not TEXT-escaped")
    }

    @Test func organizerAndAttendeesAreMailtoWithQuotedNames() {
        let lines = Self.unfolded(CalendarWriter.calendar(Self.event(), method: .request))
        #expect(lines.contains("ORGANIZER;CN=\"Консультации 'Ромашка'\":mailto:booking@example.com"))
        #expect(lines.contains("ATTENDEE;CN=\"Анна Петрова\";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:anna@example.com"))
        #expect(lines.contains("ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:irina@example.com"))
        var bare = Self.event()
        bare.organizer = nil
        bare.attendees = []
        bare.location = nil
        let plain = Self.unfolded(CalendarWriter.calendar(bare, method: .publish))
        #expect(!plain.contains { $0.hasPrefix("ORGANIZER") || $0.hasPrefix("ATTENDEE") || $0.hasPrefix("LOCATION") })
    }
}
