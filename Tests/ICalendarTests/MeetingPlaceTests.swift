import Foundation
import Testing
@testable import ICalendar

/// Where the consultation happens, as a calendar shows it: LOCATION, URL and RFC 7986 CONFERENCE.
@Suite struct MeetingPlaceTests {
    static func lines(link: String? = nil, address: String? = nil) -> [String] {
        let event = CalendarEvent(
            appointmentID: CalendarWriterTests.appointmentID, revision: 0, start: CalendarWriterTests.start,
            end: CalendarWriterTests.start.addingTimeInterval(1800), stamp: CalendarWriterTests.start, status: .confirmed,
            summary: "Консультация", description: "Номер записи", url: "https://book.example.com/manage/BK-1",
            meetingLink: link, meetingAddress: address)
        return CalendarWriterTests.unfolded(CalendarWriter.calendar(event, method: .publish))
    }

    @Test func aVideoRoomIsTheLocationTheURLAndTheConference() {
        let lines = Self.lines(link: "https://meet.example.com/BK-7Q2M-X9TD-4KHN-ZP3CG")
        #expect(lines.contains("LOCATION:https://meet.example.com/BK-7Q2M-X9TD-4KHN-ZP3CG"))
        #expect(lines.contains("URL:https://meet.example.com/BK-7Q2M-X9TD-4KHN-ZP3CG"))
        #expect(lines.contains("CONFERENCE;VALUE=URI;FEATURE=VIDEO:https://meet.example.com/BK-7Q2M-X9TD-4KHN-ZP3CG"))
    }

    @Test func anOfficeIsTheLocationAsText() {
        let lines = Self.lines(address: "Москва, Тверская ул., д. 1; офис 5")
        #expect(lines.contains("LOCATION:Москва\\, Тверская ул.\\, д. 1\\; офис 5"))
        #expect(lines.contains("URL:https://book.example.com/manage/BK-1"))
        #expect(!lines.contains { $0.hasPrefix("CONFERENCE") })
    }

    @Test func aPhoneCallHasNoPlace() {
        let lines = Self.lines()
        #expect(!lines.contains { $0.hasPrefix("LOCATION") || $0.hasPrefix("CONFERENCE") })
        #expect(lines.contains("URL:https://book.example.com/manage/BK-1"))
    }
}
