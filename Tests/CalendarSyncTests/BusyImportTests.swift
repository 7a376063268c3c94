import CalendarSyncStore
import CivilTime
import Foundation
import Testing
@testable import CalendarSync

@Suite struct BusyImportTests {
    static let window = ISO8601.parseInstant("2026-12-01T00:00:00Z")!..<ISO8601.parseInstant("2026-12-20T00:00:00Z")!
    static let moscow = TimeZone(identifier: "Europe/Moscow")!

    static func calendar(_ lines: [String]) -> String {
        (["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//EN"] + lines + ["END:VCALENDAR"]).joined(separator: "\r\n") + "\r\n"
    }

    @Test func anUnreadableEventIsSkippedAndNamedWhileTheOthersCount() {
        let events = [
            RemoteEvent(href: "/anna/work/good.ics", etag: nil, data: Self.calendar([
                "BEGIN:VEVENT", "UID:good@example.com", "DTSTART:20261202T090000Z", "DTEND:20261202T100000Z", "END:VEVENT"])),
            RemoteEvent(href: "/anna/work/bad.ics", etag: nil, data: Self.calendar([
                "BEGIN:VEVENT", "UID:bad@example.com", "DTSTART:2026-12-02 09:00", "END:VEVENT"])),
            RemoteEvent(href: "/anna/work/junk.ics", etag: nil, data: "<html>not a calendar</html>"),
        ]
        let imported = BusyImport(events: events, window: Self.window, zone: Self.moscow, tentativeBlocks: true, addresses: [])
        #expect(imported.intervals.map(\.eventId) == ["good@example.com"])
        #expect(imported.warnings.count == 2)
        #expect(imported.warnings.allSatisfy { $0.contains("skipped") })
        #expect(imported.warnings.contains { $0.hasPrefix("bad.ics:") } && imported.warnings.contains { $0.hasPrefix("junk.ics:") })
    }

    @Test func eachOccurrenceIsNamedByItsUIDAndStartAndDeclinedOrTentativeFollowTheConnection() {
        let events = [
            RemoteEvent(href: "/a/series.ics", etag: nil, data: Self.calendar([
                "BEGIN:VEVENT", "UID:series@example.com", "DTSTART:20261202T090000Z", "DTEND:20261202T093000Z", "RRULE:FREQ=DAILY;COUNT=2", "END:VEVENT"])),
            RemoteEvent(href: "/a/declined.ics", etag: nil, data: Self.calendar([
                "BEGIN:VEVENT", "UID:declined@example.com", "DTSTART:20261203T120000Z", "DTEND:20261203T130000Z",
                "ATTENDEE;PARTSTAT=DECLINED:mailto:Anna@Example.com", "END:VEVENT"])),
            RemoteEvent(href: "/a/maybe.ics", etag: nil, data: Self.calendar([
                "BEGIN:VEVENT", "UID:maybe@example.com", "DTSTART:20261204T120000Z", "DTEND:20261204T130000Z", "STATUS:TENTATIVE", "END:VEVENT"])),
        ]
        let strict = BusyImport(events: events, window: Self.window, zone: Self.moscow, tentativeBlocks: true, addresses: ["anna@example.com"])
        #expect(strict.intervals.map(\.eventId) == [
            "series@example.com 2026-12-02T09:00:00.000Z", "series@example.com 2026-12-03T09:00:00.000Z", "maybe@example.com",
        ])
        let lenient = BusyImport(events: events, window: Self.window, zone: Self.moscow, tentativeBlocks: false, addresses: [])
        #expect(lenient.intervals.map(\.eventId) == [
            "series@example.com 2026-12-02T09:00:00.000Z", "series@example.com 2026-12-03T09:00:00.000Z", "declined@example.com",
        ], "without the consultant's address the declined invitation is not theirs to tell")
    }
}
