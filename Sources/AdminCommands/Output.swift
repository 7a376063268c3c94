import BookingProtocol
import CivilTime
import Foundation

/// A plain text table: columns padded to their widest cell.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    mutating func add(_ row: [String]) { rows.append(row) }

    var rendered: String {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { cell, width in cell + String(repeating: " ", count: width - cell.count) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

enum Output {
    /// bookctl's own JSON: camelCase keys (`consultantId`), instants as ISO 8601. The event
    /// stream (`bookctl events --json`) prints the protocol's objects instead, unchanged.
    static func json<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.instant(date))
        }
        print((try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "null")
    }

    /// What `--force` did with the bookings in the way: given to a colleague, or cancelled because nobody was free.
    static func withdrawal(_ reply: WithdrawalReply) {
        for moved in reply.moved { print("moved \(moved.reference) to \(moved.consultantId)") }
        for reference in reply.cancelled { print("cancelled \(reference) (no colleague free then)") }
    }

    static func local(_ date: Date, _ zone: TimeZone, format: String = "yyyy-MM-dd HH:mm") -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = format
        return formatter.string(from: date)
    }

    static func appointment(_ body: AppointmentBody, calendarZone: TimeZone) -> String {
        let clientZone = TimeZone(identifier: body.timeZone) ?? calendarZone
        var lines = [
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
            lines.append("Topic:       " + topic.replacingOccurrences(of: "\n", with: "\n             "))
        }
        return lines.joined(separator: "\n")
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
