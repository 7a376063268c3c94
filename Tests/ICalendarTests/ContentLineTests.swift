import Foundation
import Testing
@testable import ICalendar

/// Unfolding and splitting content lines (RFC 5545 §3.1), TEXT escapes (§3.3.11) and the
/// component structure around them.
@Suite struct ContentLineTests {
    @Test func foldsAreUndoneWhateverTheLineBreak() throws {
        let lines = try ContentLine.lines(in: "DESCRIPTION:This is a lo\r\n ng description\r\n  that exists\n\tin four lines\r\nUID:x")
        #expect(lines.map(\.name) == ["DESCRIPTION", "UID"])
        #expect(lines[0].value == "This is a long description that existsin four lines")
        #expect(lines.map(\.line) == [1, 5])
    }

    @Test func aFoldInsideAMultiByteCharacterJoinsItBack() throws {
        // "Встреча" with the fold between the two bytes of "В" (D0 92) and of "ч" (D1 87).
        var bytes = Array("SUMMARY:".utf8) + [0xD0, 0x0D, 0x0A, 0x20, 0x92]
        bytes += Array("стре".utf8) + [0xD1, 0x0A, 0x09, 0x87] + Array("а\r\n".utf8)
        let lines = try ContentLine.lines(inUTF8: bytes)
        #expect(lines.count == 1)
        #expect(lines[0].textValue == "Встреча")
        let document = try CalendarReader.read(utf8: Array(ICalendarFixtures.calendar(ICalendarFixtures.event(
            "DTSTART:20260301T100000Z", "SUMMARY:Вс\r\n тр\r\n еча")).utf8), defaultZone: ICalendarFixtures.moscow)
        #expect(document.events.first?.summary == "Встреча")
    }

    @Test func lfOnlyCROnlyAMissingFinalNewlineBlankLinesAndABOMAreAccepted() throws {
        let lines = try ContentLine.lines(in: "\u{FEFF}BEGIN:VCALENDAR\n\nVERSION:2.0\rPRODID:x\r\n\r\nEND:VCALENDAR")
        #expect(lines.map(\.name) == ["BEGIN", "VERSION", "PRODID", "END"])
        #expect(lines.map(\.line) == [1, 3, 4, 6])
        #expect(lines.last?.value == "VCALENDAR")
    }

    @Test func namesAreCaseInsensitiveAndValuesKeptAsWritten() throws {
        let line = try ContentLine(parsing: "dtStart;tzid=Europe/Berlin;x-Custom_Name=a:20260301T100000")
        #expect(line.name == "DTSTART")
        #expect(line.parameters.map(\.name) == ["TZID", "X-CUSTOM_NAME"])
        #expect(line.parameter("tzid") == "Europe/Berlin")
        #expect(line.value == "20260301T100000")
    }

    @Test func quotedParameterValuesMayHoldSeparators() throws {
        let line = try ContentLine(parsing: #"ATTENDEE;CN="Smith, John; Jr.: CEO";DELEGATED-FROM="mailto:a@example.com","mailto:b@example.com";ROLE=REQ-PARTICIPANT:mailto:john@example.com"#)
        #expect(line.parameter("CN") == "Smith, John; Jr.: CEO")
        #expect(line.parameters.first { $0.name == "DELEGATED-FROM" }?.values == ["mailto:a@example.com", "mailto:b@example.com"])
        #expect(line.parameter("ROLE") == "REQ-PARTICIPANT")
        #expect(line.value == "mailto:john@example.com")
    }

    @Test func multipleUnquotedValuesEmptyValuesAndColonsInTheValue() throws {
        let line = try ContentLine(parsing: "X-LIST;MEMBER=a,b,,c;EMPTY=:http://example.com/a:b;c")
        #expect(line.parameters[0].values == ["a", "b", "", "c"])
        #expect(line.parameters[1].values == [""])
        #expect(line.value == "http://example.com/a:b;c")
        #expect(try ContentLine(parsing: "SUMMARY:").value == "")
    }

    @Test func caretEscapesInParameterValues() throws {
        let line = try ContentLine(parsing: #"LOCATION;X-ADDRESS="Main St^n^'HQ^' ^^ 5 ^x":Office"#)
        #expect(line.parameter("X-ADDRESS") == "Main St\n\"HQ\" ^ 5 ^x")
    }

    @Test func textEscapesAreDecoded() {
        #expect(ContentLine.unescapedText(#"a\,b\;c\\d\ne\Nf"#) == "a,b;c\\d\ne\nf")
        #expect(ContentLine.unescapedText(#"Outlook\: colon"#) == "Outlook: colon", "an undefined escape keeps its character")
        #expect(ContentLine.unescapedText(#"trailing\"#) == "trailing\\")
        #expect(ContentLine.unescapedText(#"\\n is not a line break"#) == "\\n is not a line break")
        #expect(ContentLine.unescapedText("Консультация\\, 30 мин") == "Консультация, 30 мин")
    }

    @Test(arguments: [
        ("hello world", 1, "property name"),
        (":no name", 1, "property name"),
        ("SUMMARY no colon", 1, "expected ':'"),
        ("SUMMARY;:x", 1, "NAME=VALUE"),
        ("SUMMARY;LANGUAGE:x", 1, "NAME=VALUE"),
        ("SUMMARY;X=\"open:x", 1, "never closed"),
        ("SUMMARY;X=\"a\"b:x", 1, "followed by"),
        ("UID:x\r\nBROKEN\r\n", 2, "expected ':'"),
        ("UID:x\r\n folded\r\n more\r\nBROKEN", 4, "expected ':'"),
        ("SUMMARY", 1, "expected ':'"),
    ])
    func malformedLinesAreRejectedWithTheirLine(text: String, line: Int, reason: String) {
        #expect {
            try ContentLine.lines(in: text)
        } throws: { error in
            guard let error = error as? ICalendarReadError else { return false }
            return error.kind == .malformedLine && error.line == line && error.message.contains(reason)
        }
    }

    @Test(arguments: [
        ("", ICalendarReadError.Kind.notACalendar, 0),
        ("\r\n\r\n", .notACalendar, 0),
        ("BEGIN:VEVENT\r\nEND:VEVENT", .notACalendar, 1),
        ("SUMMARY:x\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR", .notACalendar, 1),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR", .unbalancedComponents, 3),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VEVENT", .unbalancedComponents, 1),
        ("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nEND:VCALENDAR", .unbalancedComponents, 3),
        ("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nSUMMARY:x", .unbalancedComponents, 3),
        ("BEGIN:VCALENDAR\r\nBEGIN:\r\nEND:VCALENDAR", .malformedLine, 2),
        ("BEGIN:VCALENDAR\r\nBEGIN:V EVENT\r\nEND:VCALENDAR", .malformedLine, 2),
    ])
    func componentsMustNest(text: String, kind: ICalendarReadError.Kind, line: Int) {
        #expect {
            try ICalendarFixtures.read(text)
        } throws: { error in
            guard let error = error as? ICalendarReadError else { return false }
            return error.kind == kind && error.line == line
        }
    }

    @Test func nestingIsBounded() {
        let depth = CalendarComponent.maximumDepth + 1
        let text = (["BEGIN:VCALENDAR"] + Array(repeating: "BEGIN:X-DEEP", count: depth) + Array(repeating: "END:X-DEEP", count: depth)
            + ["END:VCALENDAR"]).joined(separator: "\n")
        #expect(throws: ICalendarReadError.self) { try ICalendarFixtures.read(text) }
    }

    @Test func componentNamesAreCaseInsensitiveAndMayHaveTrailingSpace() throws {
        let document = try ICalendarFixtures.read("begin:vcalendar\nBEGIN:vevent \nUID:a\nDTSTART:20260301T100000Z\nend:VEVENT\nEND:VCALENDAR\n")
        #expect(document.events.map(\.uid) == ["a"])
    }

    /// Bytes from a seeded generator, a calendar cut at every length and lines shuffled: the
    /// reader returns or throws its own error, and never crashes or hangs.
    @Test(.timeLimit(.minutes(1)))
    func junkNeverCrashes() {
        var random = TestRandom(seed: 3)
        let sample = ICalendarFixtures.calendar(ICalendarFixtures.event(
            "DTSTART;TZID=\"Europe/Berlin\":20260301T100000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=MO,-1FR;COUNT=5",
            "EXDATE;VALUE=DATE:20260308", "RDATE;VALUE=PERIOD:20260310T100000Z/PT2H", "SUMMARY:Встреча\\, важная",
            "ATTENDEE;PARTSTAT=DECLINED;CN=\"A, B\":mailto:a@example.com"))
        let sampleBytes = Array(sample.utf8)
        var inputs: [[UInt8]] = (0...sampleBytes.count).map { Array(sampleBytes[..<$0]) }
        for _ in 0..<300 {
            inputs.append((0..<random.below(200)).map { _ in UInt8(random.below(256)) })
            var mutated = sampleBytes
            for _ in 0..<1 + random.below(8) { mutated[random.below(mutated.count)] = UInt8(random.below(128)) }
            inputs.append(mutated)
            let lines = sample.components(separatedBy: "\r\n")
            inputs.append(Array(lines.shuffled(using: &random).joined(separator: "\n").utf8))
        }
        for input in inputs {
            do throws(ICalendarReadError) {
                let document = try CalendarReader.read(utf8: input, defaultZone: ICalendarFixtures.moscow)
                _ = BusyTime(documents: [document], window: ICalendarFixtures.window("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"))
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
    }
}

extension TestRandom: RandomNumberGenerator {}
