import BookingProtocol
import CivilTime
import Foundation

/// A plain text table: columns padded to their widest cell, every cell escaped.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    mutating func add(_ row: [String]) { rows.append(row.map(Output.escaped)) }

    var rendered: TerminalText { rendered(indent: "") }

    func rendered(indent: String) -> TerminalText {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            indent + zip(cells, widths).map { cell, width in cell + String(repeating: " ", count: width - cell.count) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return TerminalText(verbatim: ([line(header)] + rows.map(line)).joined(separator: "\n"))
    }
}

/// Text for the admin's terminal. The literal parts are bookctl's own; every interpolated value
/// may come from a daemon, and so from whoever typed it into a form, and goes through
/// `Output.escaped`. Text already made safe (a table, an appointment) is interpolated as it is.
struct TerminalText: ExpressibleByStringInterpolation, Sendable {
    private(set) var text: String

    init(stringLiteral value: String) { text = value }
    init(stringInterpolation: StringInterpolation) { text = stringInterpolation.text }
    fileprivate init(verbatim text: String) { self.text = text }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var text = ""
        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity) }
        mutating func appendLiteral(_ literal: String) { text += literal }
        mutating func appendInterpolation(_ value: some Any) { text += Output.escaped("\(value)") }
        mutating func appendInterpolation(_ value: TerminalText) { text += value.text }
    }

    /// Lines joined, each already safe.
    static func lines(_ lines: [TerminalText], separator: String = "\n") -> TerminalText {
        TerminalText(verbatim: lines.map(\.text).joined(separator: separator))
    }
}

enum Output {
    /// The one escaping of values bookctl shows: control characters and invisible format
    /// characters (bidi overrides, zero-width spaces) as `\u{…}` escapes, line breaks as `\n`,
    /// so a value can neither drive the terminal nor pass for a line of bookctl's own.
    static func escaped(_ value: String) -> String { WireText.escaped(value) }

    /// A line on standard output.
    static func line(_ text: TerminalText) {
        print(text.text)
    }

    /// A line on standard error, unbuffered.
    static func error(_ text: TerminalText) {
        FileHandle.standardError.write(Data((text.text + "\n").utf8))
    }

    /// A message of several lines (bookctl's own line breaks), each line's text escaped.
    static func message(_ text: String) -> TerminalText {
        TerminalText.lines(text.split(separator: "\n", omittingEmptySubsequences: false).map { "\(String($0))" })
    }

    /// The protocol's own JSON (as `bookctl events --json` prints it), safe for a terminal.
    static func json(wire bytes: [UInt8]) -> TerminalText {
        TerminalText(verbatim: jsonForTerminal(String(decoding: bytes, as: UTF8.self)))
    }

    /// JSON as a terminal gets it: the encoders escape C0 characters but leave DEL, C1 and the
    /// invisible format characters raw; those become `\uXXXX` too (they only occur in strings).
    static func jsonForTerminal(_ json: String) -> String {
        var out = ""
        for scalar in json.unicodeScalars {
            if WireText.needsEscape(scalar), scalar != "\n" {
                // Beyond the BMP (tag and musical format characters) as a UTF-16 surrogate pair.
                for unit in String(scalar).utf16 { out += String(format: "\\u%04X", unit) }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// bookctl's own JSON: camelCase keys (`consultantId`), instants as ISO 8601. The event
    /// stream (`bookctl events --json`) prints the protocol's objects instead, unchanged.
    static func json<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.instant(date))
        }
        print(jsonForTerminal((try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "null"))
    }

    /// What `--force` did with the bookings in the way: given to a colleague, or cancelled because nobody was free.
    static func withdrawal(_ reply: WithdrawalReply) {
        for moved in reply.moved { line("moved \(moved.reference) to \(moved.consultantId)") }
        for reference in reply.cancelled { line("cancelled \(reference) (no colleague free then)") }
    }

    static func local(_ date: Date, _ zone: TimeZone, format: String = "yyyy-MM-dd HH:mm") -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = format
        return formatter.string(from: date)
    }

    static func appointment(_ body: AppointmentBody, calendarZone: TimeZone) -> TerminalText {
        let clientZone = TimeZone(identifier: body.timeZone) ?? calendarZone
        var lines: [TerminalText] = [
            "Reference:   \(body.reference)",
            "Status:      \(body.status)",
            "Time:        \(local(body.start, calendarZone))–\(local(body.end, calendarZone, format: "HH:mm")) \(calendarZone.identifier)",
        ]
        if clientZone.identifier != calendarZone.identifier {
            lines.append("Client time: \(local(body.start, clientZone))–\(local(body.end, clientZone, format: "HH:mm")) \(clientZone.identifier)")
        }
        lines += [
            "Consultant:  \(body.consultantId)",
        ]
        if let meeting = body.meeting { lines.append("Meeting:     \(meetingLine(meeting))") }
        lines += [
            "Client:      \(body.contact.name)\(body.contact.company.map { " (\($0))" } ?? "")",
            "Email:       \(body.contact.email)",
            "Phone:       \(body.contact.phone)",
            "Locale:      \(body.locale)",
            "Reminder:    \(body.reminderSent ? "sent" : "not sent")",
            "Created:     \(ISO8601.instant(body.createdAt))",
            "Updated:     \(ISO8601.instant(body.updatedAt))",
        ]
        if let topic = body.topic {
            // The topic's own line breaks are kept, each line escaped and indented under the first.
            let topicLines: [TerminalText] = topic.split(separator: "\n", omittingEmptySubsequences: false).map { "\(String($0))" }
            lines.append("Topic:       \(TerminalText.lines(topicLines, separator: "\n             "))")
        }
        return TerminalText.lines(lines)
    }

    /// `video https://…`, `office <address>` or `phone (the consultant calls)`.
    static func meetingLine(_ meeting: MeetingBody) -> String {
        "\(meeting.format) " + (meeting.link ?? meeting.address ?? "(the consultant calls)")
    }

    /// The JSON object `book`, `show`, `reschedule` and `cancel` print.
    struct AppointmentJSON: Encodable {
        var reference: String
        var start: String
        var end: String
        var consultantId: String
        var status: String
        var contact: ContactBody
        var timeZone: String
        var locale: String
        var reminderSent: Bool
        var createdAt: Date
        var updatedAt: Date
        var meeting: MeetingBody?
        var topic: String?

        init(_ body: AppointmentBody, zone: TimeZone) {
            reference = body.reference
            start = ISO8601.local(body.start, in: zone)
            end = ISO8601.local(body.end, in: zone)
            consultantId = body.consultantId
            status = body.status
            contact = body.contact
            timeZone = body.timeZone
            locale = body.locale
            reminderSent = body.reminderSent
            createdAt = body.createdAt
            updatedAt = body.updatedAt
            meeting = body.meeting
            topic = body.topic
        }
    }
}
