import ArgumentParser
import BookingProtocol
import Foundation

/// `bookctl calendars`: consultants' own calendars, connected through calsyncd, and the busy
/// time availabilityd holds from them.
struct CalendarsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendars", abstract: "Consultants' own calendars: connect, status, sync, busy time, conflicts, disconnect.",
        discussion: "calsyncd reads each connected calendar every calendars.sync_interval_seconds (docs/calendars.md).",
        subcommands: [Connect.self, List.self, Status.self, Sync.self, Busy.self, Conflicts.self, Disconnect.self], defaultSubcommand: Status.self)

    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect a consultant's calendar (or change the connection); it is read at once and the outcome shown.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The consultant's id.") var id: String
        @Option(help: "caldav (Nextcloud, Radicale, Fastmail, ...), yandex or google.") var provider: String
        @Option(help: "The calendar collection's URL (Google: https://apidata.googleusercontent.com/caldav/v2/CALENDAR_ID/events/).") var url: String
        @Option(help: "The account's user name (Google: the calendar owner's address).") var username: String
        @Option(help: "The systemd credential (or, in development, the file) holding the password or app password; for Google, the service account's JSON key or an authorized_user JSON with a refresh token.")
        var passwordCredential: String
        @Flag(inversion: .prefixedNo, help: "Whether tentative events take the consultant out of the offer.") var tentativeBlocks = true
        @Flag(inversion: .prefixedNo, help: "Whether the consultant's bookings are written into the calendar.") var writeBookings = true
        @Option(help: "What a booking's event says of the client: minimal (the reference and the manage link) or full (name, phone, email). Default: minimal for google, full otherwise.")
        var privacy: String?
        @Option(help: "When a booking's event is deleted in the calendar: recreate it, or report a conflict.") var onRemoteDelete: String?

        func run() async throws {
            let suite = try Suite.open(global)
            let reply: CalendarsReply = try await suite.call("calsyncd", MessageType.calendarConnect, CalendarConnectRequest(
                consultantId: id, provider: provider, url: url, username: username, passwordCredential: passwordCredential,
                tentativeBlocks: tentativeBlocks, writeBookings: writeBookings, privacy: privacy, onRemoteDelete: onRemoteDelete), idempotent: true,
                patience: CalendarsCommand.patience)
            try CalendarsCommand.show(reply, global, suite.calendarZone, failOnError: true)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The connected calendars.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let suite = try Suite.open(global)
            let reply: CalendarsReply = try await suite.call("calsyncd", MessageType.calendars, CalendarConsultantRequest())
            try CalendarsCommand.show(reply, global, suite.calendarZone, failOnError: false)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each connection's last successful sync, its error and whether it is stale; exit 1 when one is failing or stale.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Only this consultant's.") var id: String?

        func run() async throws {
            let suite = try Suite.open(global)
            let reply: CalendarsReply = try await suite.call("calsyncd", MessageType.calendars, CalendarConsultantRequest(consultantId: id))
            try CalendarsCommand.show(reply, global, suite.calendarZone, failOnError: true)
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read the calendars now (one consultant's, or all) and show the outcome.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Only this consultant's.") var id: String?

        func run() async throws {
            let suite = try Suite.open(global)
            let reply: CalendarsReply = try await suite.call("calsyncd", MessageType.calendarSync, CalendarConsultantRequest(consultantId: id), idempotent: true,
                                                             patience: CalendarsCommand.patience)
            try CalendarsCommand.show(reply, global, suite.calendarZone, failOnError: true)
        }
    }

    struct Disconnect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a consultant's calendar; the busy time it gave is lifted.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The consultant's id.") var id: String

        func run() async throws {
            let suite = try Suite.open(global)
            let _: CalendarsReply = try await suite.call("calsyncd", MessageType.calendarDisconnect, CalendarConsultantRequest(consultantId: id),
                                                         idempotent: true)
            Output.line("disconnected the calendar of \(id)")
        }
    }

    struct Conflicts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Where a consultant's calendar and their bookings disagree: a meeting over a booking, a booking's event moved or deleted there.",
            discussion: "Nothing is cancelled by itself; the consultant and the team are told through notifyd. Exit 1 when a conflict is current.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Only this consultant's.") var id: String?
        @Flag(help: "Also the conflicts no longer current.") var all = false
        @Option(help: "Show times in this IANA zone (default: the calendar's).") var tz: String?

        func run() async throws {
            let suite = try Suite.open(global)
            let zone = try suite.zone(tz)
            let reply: CalendarConflictsReply = try await suite.call("calsyncd", MessageType.calendarConflicts,
                                                                     CalendarConflictsRequest(consultantId: id, all: all))
            if global.json {
                Output.json(reply.conflicts)
            } else if reply.conflicts.isEmpty {
                Output.line(all ? "No calendar conflict was ever found." : "No calendar conflict.")
            } else {
                var table = TextTable(header: ["CONSULTANT", "KIND", "BOOKING (\(zone.identifier))", "REFERENCE", "EVENT", "TOLD"])
                for conflict in reply.conflicts {
                    let event = [conflict.eventStart.map { "now at " + Output.local($0, zone) }, conflict.eventId].compactMap { $0 }.joined(separator: ", ")
                    table.add([conflict.consultantId, conflict.kind, Output.local(conflict.start, zone), conflict.reference ?? "", event,
                               conflict.notified ? "yes" : "not yet"])
                }
                Output.line(table.rendered)
            }
            // With --all the list is history; without, each one listed is current.
            if !all, !reply.conflicts.isEmpty {
                throw CommandFailure(message: "\(reply.conflicts.count) calendar conflict(s); nothing was cancelled, an admin decides", code: Exit.refused)
            }
        }
    }

    struct Busy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The busy time availabilityd holds for a consultant, and where each interval came from.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The consultant's id.") var id: String
        @Option(help: "From this day (YYYY-MM-DD) or instant (default: now).") var from: String?
        @Option(help: "Up to this day (exclusive) or instant (default: the end of the booking horizon).") var to: String?
        @Option(help: "Show times in this IANA zone (default: the calendar's).") var tz: String?

        func run() async throws {
            let suite = try Suite.open(global)
            let zone = try suite.zone(tz)
            let request = BusyRequest(consultantId: id, from: try InstantArgument.bound(from, in: zone), to: try InstantArgument.bound(to, in: zone))
            let reply: BusyReply = try await suite.call("availabilityd", MessageType.busy, request)
            if global.json {
                Output.json(reply.intervals)
                return
            }
            var table = TextTable(header: ["FROM (\(zone.identifier))", "TO", "SOURCE", "EVENT"])
            for interval in reply.intervals {
                table.add([Output.local(interval.start, zone), Output.local(interval.end, zone), interval.source ?? "", interval.eventId ?? ""])
            }
            Output.line(reply.intervals.isEmpty ? "No busy time for \(id)." : table.rendered)
        }
    }

    /// A connect or a sync waits on calendar servers (each request up to
    /// calendars.request_timeout_seconds, after any sync already running), not only on calsyncd.
    static let patience = Duration.seconds(120)

    /// Written, and pending, in the connection's privacy; "off" when bookings are not written there.
    static func bookings(_ connection: CalendarConnectionBody) -> String {
        guard connection.writeBookings else { return "off" }
        return "\(connection.bookingsWritten) \(connection.privacy)" + (connection.bookingsPending > 0 ? ", \(connection.bookingsPending) pending" : "")
    }

    /// One line per connection (JSON with --json); with `failOnError`, exit 1 when one is failing or stale.
    static func show(_ reply: CalendarsReply, _ global: GlobalOptions, _ zone: TimeZone, failOnError: Bool) throws {
        if global.json {
            Output.json(reply.connections)
        } else if reply.connections.isEmpty {
            Output.line("No calendar is connected.")
        } else {
            var table = TextTable(header: ["CONSULTANT", "PROVIDER", "LAST SYNC (\(zone.identifier))", "STATE", "EVENTS", "BUSY", "BOOKINGS", "ERROR"])
            for connection in reply.connections {
                let state = connection.lastError != nil ? "failing" : connection.stale ? "stale" : "ok"
                table.add([connection.consultantId, connection.provider, connection.lastSyncAt.map { Output.local($0, zone, format: "yyyy-MM-dd HH:mm:ss") } ?? "never",
                           state + (connection.stale && connection.lastError != nil ? ", stale" : ""), "\(connection.events)", "\(connection.busyIntervals)",
                           bookings(connection), [connection.lastError, connection.lastWriteError].compactMap { $0 }.joined(separator: "; ")])
            }
            Output.line(table.rendered)
            for connection in reply.connections {
                for warning in connection.warnings { Output.error("warning: \(connection.consultantId): \(warning)") }
            }
        }
        if failOnError, reply.connections.contains(where: { $0.lastError != nil || $0.stale || $0.lastWriteError != nil }) {
            throw CommandFailure(message: "a calendar is failing or stale; the busy time last read stays in force", code: Exit.refused)
        }
    }
}
