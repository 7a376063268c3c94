/// A `BEGIN:NAME` … `END:NAME` block: its own properties and the blocks nested in it.
struct CalendarComponent: Sendable {
    /// Upper-cased, as written after BEGIN.
    let name: String
    /// The line of its BEGIN.
    let line: Int
    var properties: [ContentLine] = []
    var components: [CalendarComponent] = []

    /// Deeper than any real calendar goes (VCALENDAR > VEVENT > VALARM, or VTIMEZONE > STANDARD);
    /// the bound keeps hostile input from nesting without end.
    static let maximumDepth = 16

    func properties(named name: String) -> [ContentLine] {
        properties.filter { $0.name == name }
    }

    func property(named name: String) -> ContentLine? {
        properties.first { $0.name == name }
    }

    /// The top-level components of a text's content lines, every BEGIN matched by its END.
    static func components(of lines: [ContentLine]) throws(ICalendarReadError) -> [CalendarComponent] {
        var topLevel: [CalendarComponent] = []
        var open: [CalendarComponent] = []
        for line in lines {
            switch line.name {
            case "BEGIN":
                let name = try componentName(line)
                guard open.count < maximumDepth else {
                    throw ICalendarReadError(.unbalancedComponents, line: line.line, "components are nested more than \(maximumDepth) deep")
                }
                if open.isEmpty, name != "VCALENDAR" {
                    throw ICalendarReadError(.notACalendar, line: line.line, "expected BEGIN:VCALENDAR, found BEGIN:\(name)")
                }
                open.append(CalendarComponent(name: name, line: line.line))
            case "END":
                let name = try componentName(line)
                guard let innermost = open.popLast() else {
                    throw ICalendarReadError(.unbalancedComponents, line: line.line, "END:\(name) without a BEGIN")
                }
                guard innermost.name == name else {
                    throw ICalendarReadError(.unbalancedComponents, line: line.line,
                                             "END:\(name) where \(innermost.name) from line \(innermost.line) is still open")
                }
                if open.isEmpty {
                    topLevel.append(innermost)
                } else {
                    open[open.count - 1].components.append(innermost)
                }
            default:
                guard !open.isEmpty else {
                    throw ICalendarReadError(topLevel.isEmpty ? .notACalendar : .unbalancedComponents, line: line.line,
                                             "\(line.name) outside BEGIN:VCALENDAR … END:VCALENDAR")
                }
                open[open.count - 1].properties.append(line)
            }
        }
        if let unclosed = open.last {
            throw ICalendarReadError(.unbalancedComponents, line: unclosed.line, "BEGIN:\(unclosed.name) is never closed by END:\(unclosed.name)")
        }
        guard !topLevel.isEmpty else {
            throw ICalendarReadError(.notACalendar, line: 0, "no BEGIN:VCALENDAR in the text")
        }
        return topLevel
    }

    private static func componentName(_ line: ContentLine) throws(ICalendarReadError) -> String {
        var name = Substring(line.value.uppercased())
        while name.last == " " || name.last == "\t" { name.removeLast() }
        let isName = !name.isEmpty && name.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-")
        }
        guard isName else {
            throw ICalendarReadError(.malformedLine, line: line.line, "\(line.name) must name a component, such as VEVENT")
        }
        return String(name)
    }
}
