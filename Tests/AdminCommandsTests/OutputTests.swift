import BookingProtocol
import Foundation
import Testing
@testable import AdminCommands

/// What bookctl prints of a daemon's values: never a raw control character, never a line that
/// a value made.
@Suite struct OutputTests {
    static let hostile = "late\u{1B}[2J\u{1B}]0;pwned\u{7}\nbookctl: all clear\u{9B}31m\u{202E}"

    static func hasRawControl(_ text: String, allowingNewlines: Bool) -> Bool {
        text.unicodeScalars.contains {
            ($0.properties.generalCategory == .control && !(allowingNewlines && $0 == "\n")) || $0.properties.generalCategory == .format
        }
    }

    @Test func interpolatedValuesAreEscapedAndLiteralsKept() {
        let reason = Self.hostile
        let line: TerminalText = "cancelled BK-1\n  reason: \(reason)"
        #expect(line.text == #"cancelled BK-1"# + "\n" + #"  reason: late\u{1B}[2J\u{1B}]0;pwned\u{7}\nbookctl: all clear\u{9B}31m\u{202E}"#)
        #expect(line.text.filter(\.isNewline).count == 1)
    }

    @Test func tableCellsAreEscapedAndKeepTheirColumns() {
        var table = TextTable(header: ["WHEN", "REASON"])
        table.add(["10:00", Self.hostile])
        table.add(["11:00", "ok"])
        let text = table.rendered.text
        #expect(!Self.hasRawControl(text, allowingNewlines: true))
        #expect(text.split(separator: "\n").count == 3)
        #expect(table.rendered(indent: "  ").text.split(separator: "\n").allSatisfy { $0.hasPrefix("  ") })
    }

    @Test func anAppointmentKeepsItsTopicsLinesAndEscapesEverythingElse() throws {
        let start = Date(timeIntervalSince1970: 1_796_108_400)
        let body = AppointmentBody(
            reference: "BK-1", id: "a", clientId: "c", consultantId: "anna\u{1B}[8m", start: start, end: start + 1800, status: "confirmed",
            contact: ContactBody(name: "Anna\u{202E}", email: "a@example.com", phone: "+79161234567", company: "Evil\u{7}"),
            timeZone: "Europe/Moscow", locale: "ru", createdAt: start, updatedAt: start, reminderSent: false, revision: 0,
            topic: "first\nsecond\u{1B}[1m")
        let text = Output.appointment(body, calendarZone: TimeZone(identifier: "Europe/Moscow")!).text
        #expect(!Self.hasRawControl(text, allowingNewlines: true))
        #expect(text.contains(#"Consultant:  anna\u{1B}[8m"#))
        #expect(text.contains(#"Client:      Anna\u{202E} (Evil\u{7})"#))
        #expect(text.contains("Topic:       first\n             second\\u{1B}[1m"))
    }

    @Test func jsonForATerminalEscapesWhatEncodersLeaveRaw() throws {
        let json = String(decoding: try JSONEncoder().encode(["reason": "a\u{7F}b\u{9B}c\u{202E}d\u{2028}e\u{1B}f\u{E0001}"]), as: UTF8.self)
        let safe = Output.jsonForTerminal(json)
        #expect(!Self.hasRawControl(safe, allowingNewlines: false))
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(safe.utf8))
        #expect(decoded["reason"] == "a\u{7F}b\u{9B}c\u{202E}d\u{2028}e\u{1B}f\u{E0001}", "still the same JSON value")
    }

    @Test func aMessageOfSeveralLinesKeepsItsLinesAndEscapesTheRest() {
        #expect(Output.message("one\ntwo\u{1B}").text == "one\n" + #"two\u{1B}"#)
    }
}
