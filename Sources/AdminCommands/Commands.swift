import ArgumentParser
import BookingProtocol
import DaemonKit
import Foundation

struct Slots: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Free slots, in the client's zone.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "First day (YYYY-MM-DD, in --tz). Default: today.") var from: String?
    @Option(help: "How many days (default: the horizon).") var days: Int?
    @Option(help: "Show times in this IANA zone (default: the calendar's).") var tz: String?
    @Option(help: "Only this consultant's free slots.") var consultant: String?

    func run() async throws {
        let suite = try Suite.open(global)
        let zone = try suite.zone(tz)
        let reply: SlotsReply = try await suite.call("availabilityd", MessageType.slots,
                                                     SlotsRequest(from: from, days: days, timeZone: zone.identifier, consultantId: consultant))
        if global.json {
            struct Slot: Encodable { var start: String; var end: String; var free: Int }
            Output.json(reply.slots.map { Slot(start: $0.localStart, end: $0.localEnd, free: $0.free) })
            return
        }
        for warning in reply.warnings { Output.error("warning: \(warning)") }
        if reply.slots.isEmpty {
            Output.line("No free slots:")
            for reason in try await NoSlotsExplanation.reasons(global, suite.configuration, from: from, days: days) { Output.line("- \(reason)") }
            return
        }
        var table = TextTable(header: ["DATE", "TIME (\(zone.identifier))", "\(suite.calendarZone.identifier)", "FREE"])
        for slot in reply.slots {
            table.add([
                Output.local(slot.start, zone, format: "EEE yyyy-MM-dd"),
                "\(Output.local(slot.start, zone, format: "HH:mm"))–\(Output.local(slot.end, zone, format: "HH:mm"))",
                Output.local(slot.start, suite.calendarZone, format: "HH:mm"),
                "\(slot.free)",
            ])
        }
        Output.line(table.rendered)
    }
}

struct Book: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Book a slot for a client; prints the reference.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The slot's start: 2026-12-01T10:00 (read in --tz) or with an offset.") var start: String
    @Option(help: "The client's name.") var name: String
    @Option(help: "The client's email.") var email: String
    @Option(help: "The client's phone with country code, e.g. +7 916 123-45-67, or as dialled in --phone-region.") var phone: String
    @Option(help: "The country (ISO 3166, e.g. RU, GB) a --phone without + is dialled in.") var phoneRegion: String?
    @Option(help: "The client's company.") var company: String?
    @Option(help: "The client's IANA zone (default: the calendar's).") var tz: String?
    @Option(help: "Book with this consultant.") var consultant: String?
    @Option(help: "The client's language: ru or en.") var locale: String?
    @Option(help: "What the client would like to discuss (told to the consultant).") var topic: String?

    func run() async throws {
        let suite = try Suite.open(global)
        let zone = try suite.zone(tz)
        let request = BookRequest(
            start: try InstantArgument.parse(start, in: zone), contact: ContactBody(name: name, email: email, phone: phone, phoneRegion: phoneRegion, company: company),
            timeZone: zone.identifier, locale: locale, consultantId: consultant, actor: "admin", topic: topic
        )
        let booked: AppointmentBody = try await suite.call("bookingd", MessageType.book, request, idempotent: true)
        if global.json {
            Output.json(Output.AppointmentJSON(booked, zone: zone))
        } else {
            Output.line("\(booked.reference)")
            Output.error("booked \(Output.local(booked.start, zone)) \(zone.identifier) with \(booked.consultantId)")
        }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an appointment by its reference.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The booking reference, e.g. BK-7Q2M-X9TD-4KHN-ZP3CG.") var reference: String

    func run() async throws {
        let suite = try Suite.open(global)
        let body: AppointmentBody = try await suite.call("bookingd", MessageType.get, ReferenceRequest(reference: reference))
        if global.json {
            Output.json(Output.AppointmentJSON(body, zone: TimeZone(identifier: body.timeZone) ?? suite.calendarZone))
        } else {
            Output.line(Output.appointment(body, calendarZone: suite.calendarZone))
        }
    }
}

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every change of an appointment.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The booking reference.") var reference: String

    func run() async throws {
        let suite = try Suite.open(global)
        let reply: HistoryReply = try await suite.call("bookingd", MessageType.history, ReferenceRequest(reference: reference))
        if global.json {
            Output.json(reply)
            return
        }
        let zone = suite.calendarZone
        var table = TextTable(header: ["WHEN (UTC)", "CHANGE", "STATUS", "TIME (\(zone.identifier))", "CONSULTANT", "BY", "REASON"])
        for entry in reply.entries {
            var time = entry.newStart.map { Output.local($0, zone) } ?? ""
            if let old = entry.oldStart, let new = entry.newStart, old != new {
                time = "\(Output.local(old, zone)) → \(Output.local(new, zone))"
            }
            var consultant = entry.newConsultantId ?? ""
            if let old = entry.oldConsultantId, let new = entry.newConsultantId, old != new { consultant = "\(old) → \(new)" }
            table.add([
                Output.local(entry.at, TimeZone(identifier: "UTC")!, format: "yyyy-MM-dd HH:mm:ss"), entry.kind,
                [entry.fromStatus, entry.toStatus].compactMap { $0 }.joined(separator: " → "), time, consultant,
                entry.actor + (entry.user.map { " (\($0))" } ?? ""), entry.reason ?? "",
            ])
        }
        Output.line(table.rendered)
    }
}

struct Reschedule: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move an appointment to another free slot (same reference).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The booking reference.") var reference: String
    @Option(help: "The new start: 2026-12-01T10:00 (read in --tz) or with an offset.") var start: String
    @Option(help: "Read --start in this IANA zone (default: the calendar's).") var tz: String?
    @Option(help: "Move to this consultant.") var consultant: String?
    @Option(help: "Why (internal: kept in the history, never told to the client).") var reason: String?
    @Option(help: "What the client (and @chat) are told about the change.") var clientMessage: String?

    func run() async throws {
        let suite = try Suite.open(global)
        let zone = try suite.zone(tz)
        let request = RescheduleRequest(reference: reference, start: try InstantArgument.parse(start, in: zone), consultantId: consultant, reason: reason,
                                        clientMessage: clientMessage, actor: "admin")
        let body: AppointmentBody = try await suite.call("bookingd", MessageType.reschedule, request, idempotent: true)
        if global.json {
            Output.json(Output.AppointmentJSON(body, zone: zone))
        } else {
            Output.line("\(body.reference) moved to \(Output.local(body.start, zone)) \(zone.identifier) with \(body.consultantId)")
        }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel an appointment.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The booking reference.") var reference: String
    @Option(help: "Why (internal: kept in the history, never told to the client).") var reason: String?
    @Option(help: "What the client (and @chat) are told; default: a neutral apology in the client's language.") var clientMessage: String?

    func run() async throws {
        let suite = try Suite.open(global)
        let body: AppointmentBody = try await suite.call(
            "bookingd", MessageType.cancel, CancelRequest(reference: reference, reason: reason, clientMessage: clientMessage, actor: "admin"), idempotent: true)
        if global.json {
            Output.json(Output.AppointmentJSON(body, zone: suite.calendarZone))
        } else {
            Output.line("\(body.reference) cancelled")
        }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Appointments by time range and status.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "From this day (YYYY-MM-DD) or instant.") var from: String?
    @Option(help: "Up to this day (exclusive) or instant.") var to: String?
    @Option(help: "scheduled, confirmed, cancelled, completed or no_show.") var status: String?
    @Option(help: "Show times in this IANA zone (default: the calendar's).") var tz: String?

    func run() async throws {
        let suite = try Suite.open(global)
        let zone = try suite.zone(tz)
        let appointments = try await suite.appointments(ListRequest(from: try InstantArgument.bound(from, in: zone),
                                                                    to: try InstantArgument.bound(to, in: zone), status: status))
        if global.json {
            Output.json(appointments.map { Output.AppointmentJSON($0, zone: zone) })
            return
        }
        var table = TextTable(header: ["REFERENCE", "TIME (\(zone.identifier))", "CONSULTANT", "STATUS", "CLIENT"])
        for appointment in appointments {
            table.add([appointment.reference, Output.local(appointment.start, zone), appointment.consultantId, appointment.status, appointment.contact.name])
        }
        Output.line(appointments.isEmpty ? "No appointments." : table.rendered)
    }
}

struct CalendarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calendar", abstract: "The working calendar of a year: each day's kind and hours.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The year.") var year: Int

    func run() async throws {
        let suite = try Suite.open(global)
        let reply: CalendarReply = try await suite.call("availabilityd", MessageType.calendar, CalendarRequest(year: year))
        for warning in reply.warnings { Output.error("warning: \(warning)") }
        if global.json {
            struct Day: Encodable {
                var date: String
                var kind: String
                var opens: String?
                var closes: String?
                func encode(to encoder: any Encoder) throws {
                    // opens/closes are null, not absent, on days without hours.
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(date, forKey: .date)
                    try container.encode(kind, forKey: .kind)
                    try container.encode(opens, forKey: .opens)
                    try container.encode(closes, forKey: .closes)
                }
                enum CodingKeys: String, CodingKey { case date, kind, opens, closes }
            }
            Output.json(reply.days.map { Day(date: $0.date, kind: $0.kind, opens: $0.opens, closes: $0.closes) })
            return
        }
        var table = TextTable(header: ["DATE", "DAY", "KIND", "HOURS (\(reply.timeZone))", "NOTE"])
        let parser = DateFormatter()
        parser.locale = Locale(identifier: "en_US_POSIX")
        parser.timeZone = TimeZone(identifier: "UTC")
        parser.dateFormat = "yyyy-MM-dd"
        for day in reply.days {
            let weekday = parser.date(from: day.date).map { Output.local($0, TimeZone(identifier: "UTC")!, format: "EEE") } ?? ""
            let hours = day.opens.flatMap { opens in day.closes.map { "\(opens)–\($0)" } } ?? "—"
            table.add([day.date, weekday, day.kind, hours, day.reason ?? ""])
        }
        Output.line(table.rendered)
        let working = reply.days.filter { ["working", "shortened", "working_weekend"].contains($0.kind) }.count
        Output.line("\n\(working) working days in \(year)")
    }
}

/// `2026-12-01` or `2026-12-01..2026-12-05`.
enum DateRangeArgument {
    static func parse(_ text: String) throws -> (String, String) {
        let parts = text.components(separatedBy: "..")
        guard parts.count <= 2, let first = parts.first, !first.isEmpty else {
            throw CommandFailure(message: "'\(text)' is not DATE or DATE..DATE (YYYY-MM-DD)", code: Exit.usage)
        }
        return (first, parts.count == 2 ? parts[1] : first)
    }
}

struct Block: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Take days out of the offer.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "DATE or DATE..DATE (YYYY-MM-DD, calendar zone).") var dates: String
    @Option(help: "Why (internal: shown in the calendar to admins, never told to clients).") var reason: String
    @Flag(help: "Cancel the active bookings on those days instead of refusing.") var force = false
    @Option(help: "What the clients (and @chat) are told; default: a neutral sentence in each client's language.") var clientMessage: String?

    func run() async throws {
        let suite = try Suite.open(global)
        let (from, through) = try DateRangeArgument.parse(dates)
        let reply: BlockReply = try await suite.call(
            "availabilityd", MessageType.block, BlockRequest(from: from, through: through, reason: reason, force: force, clientMessage: clientMessage), idempotent: true)
        if global.json {
            Output.json(reply)
        } else {
            for warning in reply.warnings ?? [] { Output.error("warning: \(warning)") }
            Output.line("blocked \(reply.blocked.from)..\(reply.blocked.through): \(reply.blocked.reason)")
            for reference in reply.cancelled { Output.line("cancelled \(reference)") }
        }
    }
}

struct Unblock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Give blocked days back to the offer.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "DATE or DATE..DATE (YYYY-MM-DD).") var dates: String

    func run() async throws {
        let suite = try Suite.open(global)
        let (from, through) = try DateRangeArgument.parse(dates)
        let reply: UnblockReply = try await suite.call("availabilityd", MessageType.unblock, UnblockRequest(from: from, through: through), idempotent: true)
        if global.json {
            Output.json(reply)
        } else {
            for period in reply.removed { Output.line("unblocked \(period.from)..\(period.through) (\(period.reason))") }
        }
    }
}

struct Consultants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The consultants: list, add, remove, time off, their own hours, buffers and daily limit.",
        discussion: "The list starts as booking.yaml's consultants: and is kept by availabilityd from then on.",
        subcommands: [ListConsultants.self, AddConsultant.self, EditConsultant.self, RemoveConsultant.self, TimeOff.self, RemoveTimeOff.self,
                      Hours.self, Buffers.self, Limit.self],
        defaultSubcommand: ListConsultants.self
    )

    struct ListConsultants: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The consultants and their time off.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let suite = try Suite.open(global)
            let reply: ConsultantsReply = try await suite.call("availabilityd", MessageType.consultants, Empty())
            if global.json {
                Output.json(reply.consultants)
                return
            }
            var table = TextTable(header: ["ID", "NAME", "EMAIL", "ZONE", "LOCALE", "MEETING", "SCHEDULE", "TIME OFF"])
            let zone = suite.calendarZone
            for consultant in reply.consultants {
                let away = (consultant.timeOff ?? []).map {
                    "#\($0.id) \(Output.local($0.start, zone, format: "yyyy-MM-dd"))..\(Output.local($0.end.addingTimeInterval(-1), zone, format: "yyyy-MM-dd")) (\($0.reason))"
                }.joined(separator: "; ")
                table.add([consultant.id, consultant.name, consultant.email ?? "", consultant.timeZone, consultant.locale ?? "",
                           consultant.meeting.map(Output.meetingLine) ?? "(the suite's)", ScheduleEdit.line(consultant), away])
            }
            Output.line(table.rendered)
        }
    }

    struct AddConsultant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a consultant (or bring back a removed one).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The id: letters, digits, '-' or '_'.") var id: String
        @Option(help: "The name shown to the team.") var name: String
        @Option(help: "Where the consultant's notices go (required).") var email: String?
        @Option(help: "The consultant's IANA zone (default: the calendar's).") var tz: String?
        @Option(help: "The language of the consultant's notices: ru or en (default: ru).") var locale: String?
        @OptionGroup var meeting: MeetingOptions

        func run() async throws {
            let suite = try Suite.open(global)
            let body = ConsultantBody(id: id, name: name, email: email, timeZone: tz ?? suite.calendarZone.identifier, locale: locale,
                                      meeting: meeting.body)
            let added: ConsultantBody = try await suite.call("availabilityd", MessageType.consultantAdd, body, idempotent: true)
            if global.json { Output.json(added) } else { Output.line("added \(added.id) (\(added.name))") }
        }
    }

    struct EditConsultant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "edit", abstract: "Change a consultant's name, email, zone, language or meeting format.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The consultant's id.") var id: String
        @Option(help: "The name shown to clients and the team.") var name: String?
        @Option(help: "Where the consultant's notices go.") var email: String?
        @Option(help: "The consultant's IANA zone.") var tz: String?
        @Option(help: "The language of the consultant's notices: ru or en.") var locale: String?
        @OptionGroup var meeting: MeetingOptions

        func run() async throws {
            let suite = try Suite.open(global)
            let request = ConsultantEditRequest(id: id, name: name, email: email, timeZone: tz, locale: locale, meeting: meeting.body)
            let edited: ConsultantBody = try await suite.call("availabilityd", MessageType.consultantEdit, request, idempotent: true)
            if global.json {
                Output.json(edited)
            } else {
                Output.line("\(edited.id): \(edited.name) <\(edited.email ?? "")>, \(edited.timeZone), \(edited.locale ?? "")")
            }
        }
    }

    struct RemoveConsultant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Take a consultant out of the offer; with bookings ahead it refuses and lists them, unless --force.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The consultant's id.") var id: String
        @Flag(help: "Give the consultant's bookings ahead to colleagues free then, and cancel those nobody can take, instead of refusing.") var force = false
        @Option(help: "What the clients (and @chat) are told; default: a neutral sentence in each client's language.") var clientMessage: String?

        func run() async throws {
            let suite = try Suite.open(global)
            let reply: WithdrawalReply = try await suite.call(
                "availabilityd", MessageType.consultantRemove, ConsultantRemoveRequest(id: id, force: force, clientMessage: clientMessage), idempotent: true)
            if global.json { Output.json(reply) } else {
                Output.line("removed \(reply.id)")
                Output.withdrawal(reply)
            }
        }
    }

    struct TimeOff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "time-off", abstract: "Days a consultant is away; with bookings then it refuses and lists them, unless --force.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The consultant's id.") var id: String
        @Argument(help: "DATE or DATE..DATE (YYYY-MM-DD, calendar zone).") var dates: String
        @Option(help: "Why (internal: kept with the time off, never told to clients).") var reason: String
        @Flag(help: "Give the consultant's bookings on those days to colleagues free then, and cancel those nobody can take, instead of refusing.") var force = false
    @Option(help: "What the clients (and @chat) are told; default: a neutral sentence in each client's language.") var clientMessage: String?

        func run() async throws {
            let suite = try Suite.open(global)
            let (from, through) = try DateRangeArgument.parse(dates)
            let request = TimeOffRequest(consultantId: id, from: from, through: through, reason: reason, force: force, clientMessage: clientMessage)
            let reply: WithdrawalReply = try await suite.call("availabilityd", MessageType.timeOffAdd, request, idempotent: true)
            if global.json { Output.json(reply) } else {
                Output.line("time off #\(reply.id) for \(id): \(from)..\(through)")
                Output.withdrawal(reply)
            }
        }
    }

    struct RemoveTimeOff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "time-off-remove", abstract: "Cancel a consultant's time off by its number.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The time off's number (see bookctl consultants).") var number: Int64

        func run() async throws {
            let suite = try Suite.open(global)
            let _: WithdrawalReply = try await suite.call("availabilityd", MessageType.timeOffRemove, TimeOffRemoveRequest(id: number), idempotent: true)
            Output.line("time off #\(number) removed")
        }
    }
}

/// A consultant's meeting format, as `consultants add` and `consultants edit` take it.
struct MeetingOptions: ParsableArguments {
    @Option(help: "How the consultant meets clients: phone, video (with --meeting-link) or office (with --meeting-address). Default: the suite's meeting:.")
    var meeting: String?
    @Option(help: "The video room: a fixed link, or one per booking such as https://meet.example.com/{reference}.") var meetingLink: String?
    @Option(help: "The office's address.") var meetingAddress: String?

    func validate() throws {
        if meeting == nil, meetingLink != nil || meetingAddress != nil {
            throw ValidationError("--meeting-link and --meeting-address need --meeting video or --meeting office")
        }
    }

    var body: MeetingBody? { meeting.map { MeetingBody(format: $0, link: meetingLink, address: meetingAddress) } }
}
