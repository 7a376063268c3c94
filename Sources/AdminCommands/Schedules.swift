import ArgumentParser
import BookingProtocol
import Foundation

/// `bookctl consultants hours|buffers|limit`: a consultant's own schedule within the business
/// calendar. Each changes new bookings only; those already made stay.
extension Consultants {
    struct Hours: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a consultant's own weekly hours, read in their zone (within the business hours).",
            discussion: "For example: bookctl consultants hours anna 'mon-fri 09:00-13:00, thu 14:00-18:00'. --clear: the business hours again.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The consultant's id.") var id: String
        @Argument(help: "Days and periods: 'mon-fri 09:00-13:00, sat 10:00-12:00'.") var hours: String?
        @Flag(help: "Work the business hours again.") var clear = false

        func validate() throws {
            guard (hours == nil) == clear else { throw ValidationError("give the hours or --clear, not both or neither") }
        }

        func run() async throws {
            try await ScheduleEdit.send(global, ConsultantEditRequest(id: id, hours: clear ? "" : hours))
        }
    }

    struct Buffers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Minutes a consultant keeps free before and after each appointment, of other appointments and of busy time.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The consultant's id.") var id: String
        @Option(help: "Minutes free before each appointment (0 to 240).") var before: Int?
        @Option(help: "Minutes free after each appointment (0 to 240).") var after: Int?

        func validate() throws {
            guard before != nil || after != nil else { throw ValidationError("give --before, --after or both") }
        }

        func run() async throws {
            try await ScheduleEdit.send(global, ConsultantEditRequest(id: id, bufferBeforeMinutes: before, bufferAfterMinutes: after))
        }
    }

    struct Limit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The most appointments a consultant takes a day (their zone's day).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The consultant's id.") var id: String
        @Argument(help: "1 to 48, or 'none'.") var limit: String

        func run() async throws {
            let value: Int
            if limit.lowercased() == "none" {
                value = 0
            } else if let number = Int(limit), number > 0 {
                value = number
            } else {
                throw CommandFailure(message: "'\(limit)' is not a number of appointments or 'none'", code: Exit.usage)
            }
            try await ScheduleEdit.send(global, ConsultantEditRequest(id: id, dailyLimit: value))
        }
    }
}

enum ScheduleEdit {
    static func send(_ global: GlobalOptions, _ request: ConsultantEditRequest) async throws {
        let suite = try Suite.open(global)
        let edited: ConsultantBody = try await suite.call("availabilityd", MessageType.consultantEdit, request, idempotent: true)
        if global.json { Output.json(edited) } else { Output.line("\(edited.id): \(line(edited))") }
    }

    /// `hours mon-fri 09:00-13:00; buffers 10/15 min; at most 6 a day`, or the business hours.
    static func line(_ consultant: ConsultantBody) -> String {
        var parts = ["hours " + (consultant.hours.map { "\($0) (\(consultant.timeZone))" } ?? "of the business calendar")]
        let before = consultant.bufferBeforeMinutes ?? 0, after = consultant.bufferAfterMinutes ?? 0
        if before > 0 || after > 0 { parts.append("buffers \(before) min before, \(after) min after") }
        if let limit = consultant.dailyLimit { parts.append("at most \(limit) a day") }
        return parts.joined(separator: "; ")
    }
}
