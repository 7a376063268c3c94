import Foundation
import Testing
@testable import ICalendar

/// `CalendarWriter.feed`: many events in one calendar to subscribe to, each written as the
/// one-event files write it.
@Suite struct CalendarFeedWriterTests {
    static let ids = ["5f0c6a4e-8a47-4d0b-9a39-2f1f7d7c9b11", "0a3c9f6e-7d2b-4e4f-8a1c-5e6f7a8b9c0d", "6f1d3b7e-1c5e-4a0c-9a43-2b0b3f8f2e11"]

    static func events() -> [CalendarEvent] {
        ids.enumerated().map { index, id in
            let start = CalendarWriterTests.start.addingTimeInterval(Double(index) * 3600)
            return CalendarEvent(appointmentID: id, revision: index, start: start, end: start.addingTimeInterval(1800), stamp: start,
                                 status: .confirmed, summary: "Консультация — Анна Смирнова",
                                 description: "Консультант: Анна Смирнова\nНомер записи: BK-7Q2M-****-****-****G",
                                 meetingLink: index == 1 ? "https://meet.example.com/room" : nil)
        }
    }

    static let name = "Консультации: Анна Смирнова, отдел продаж; Москва"

    @Test func everyEventIsOneVEventWithItsOwnUIDAndSequence() {
        let lines = CalendarWriterTests.unfolded(CalendarWriter.feed(name: Self.name, events: Self.events(), refreshMinutes: 15))
        #expect(lines.filter { $0 == "BEGIN:VEVENT" }.count == 3)
        #expect(lines.filter { $0 == "END:VEVENT" }.count == 3)
        #expect(lines.filter { $0.hasPrefix("UID:") } == Self.ids.map { "UID:\($0)" }, "in the given order")
        #expect(lines.filter { $0.hasPrefix("SEQUENCE:") } == ["SEQUENCE:0", "SEQUENCE:1", "SEQUENCE:2"])
        #expect(lines.filter { $0.hasPrefix("BEGIN:VCALENDAR") || $0.hasPrefix("END:VCALENDAR") } == ["BEGIN:VCALENDAR", "END:VCALENDAR"])
        #expect(lines.contains("CONFERENCE;VALUE=URI;FEATURE=VIDEO:https://meet.example.com/room"))
    }

    @Test func theCalendarIsPublishedWithItsNameAndRefreshIntervalAsEachClientReadsThem() {
        let lines = CalendarWriterTests.unfolded(CalendarWriter.feed(name: Self.name, events: Self.events(), refreshMinutes: 15))
        let head = Array(lines.prefix { $0 != "BEGIN:VEVENT" })
        #expect(head == [
            "BEGIN:VCALENDAR", "PRODID:-//Booking Suite//EN", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
            "NAME:Консультации: Анна Смирнова\\, отдел продаж\\; Москва",
            "X-WR-CALNAME:Консультации: Анна Смирнова\\, отдел продаж\\; Москва",
            "REFRESH-INTERVAL;VALUE=DURATION:PT15M", "X-PUBLISHED-TTL:PT15M",
        ])
    }

    @Test func linesEndInCRLFAndAreFoldedAt75OctetsWithoutSplittingUTF8() {
        let text = CalendarWriter.feed(name: Self.name, events: Self.events(), refreshMinutes: 15)
        #expect(text.hasSuffix("END:VEVENT\r\nEND:VCALENDAR\r\n"))
        let bytes = Array(text.utf8)
        #expect(!zip(bytes, bytes.dropFirst()).contains { $0.1 == 0x0A && $0.0 != 0x0D })
        #expect(!zip(bytes, bytes.dropFirst()).contains { $0.0 == 0x0D && $0.1 != 0x0A })
        let physical = text.components(separatedBy: "\r\n").dropLast()
        #expect(physical.allSatisfy { $0.utf8.count <= 75 })
        #expect(physical.contains { $0.hasPrefix(" ") }, "the Cyrillic name needs folding")
        for line in text.utf8.split(separator: 0x0A) { #expect(String(validating: Array(line), as: UTF8.self) != nil) }
    }

    @Test func eachEventIsWrittenAsAFileOfThatEventAloneWritesIt() {
        let events = Self.events()
        let feed = CalendarWriter.feed(name: Self.name, events: events, refreshMinutes: 15)
        for event in events {
            let single = CalendarWriter.calendar(event, method: .publish)
            let vevent = single[single.range(of: "BEGIN:VEVENT")!.lowerBound..<single.range(of: "END:VCALENDAR")!.lowerBound]
            #expect(feed.contains(vevent), "\(event.uid)")
        }
    }

    @Test func aFeedWithoutEventsIsStillACalendar() {
        let text = CalendarWriter.feed(name: "Consultations: the whole team", events: [], refreshMinutes: 15)
        let lines = CalendarWriterTests.unfolded(text)
        #expect(lines.first == "BEGIN:VCALENDAR" && lines.last == "END:VCALENDAR")
        #expect(!lines.contains("BEGIN:VEVENT"))
    }
}
