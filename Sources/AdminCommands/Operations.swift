import ArgumentParser
import AvailabilityService
import BookingProtocol
import BookingService
import CalendarSync
import DaemonKit
import Foundation
import NotificationService
import WebFrontend

/// Each daemon's `ping`, or nil when it does not answer.
private func pingAll(_ suite: Suite) async throws -> [(String, PingReply?)] {
    var replies: [(String, PingReply?)] = []
    for daemon in suite.daemons {
        let client = try await suite.client(daemon)
        let reply: PingReply? = try? await client.call(MessageType.ping, Empty(), timeout: .seconds(1), attempts: 2)
        replies.append((daemon, reply))
    }
    await suite.context.shutdown()
    return replies
}

/// How far availabilityd's view is behind what bookingd published.
private func lag(_ replies: [(String, PingReply?)]) -> [String: UInt64] {
    guard let published = replies.first(where: { $0.0 == "bookingd" })?.1?.lastSequence else { return [:] }
    var lags: [String: UInt64] = [:]
    for (daemon, reply) in replies where daemon != "bookingd" {
        if let applied = reply?.lastSequence { lags[daemon] = published > applied ? published - applied : 0 }
    }
    return lags
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Every daemon's state, version, uptime, pid, events, lag and last error.",
        discussion: "Exit codes: 0 every daemon answers; 3 a daemon does not answer (its row says unreachable)."
    )
    @OptionGroup var global: GlobalOptions

    struct Row: Encodable {
        var daemon: String
        var state: String
        var version: String?
        var pid: Int32?
        var uptimeSeconds: Int?
        var lastSequence: UInt64?
        var lag: UInt64?
        var backlog: UInt64?
        var requestsAnswered: Int?
        var status: String?
        var lastError: String?
        var lastErrorAt: Date?
        var warnings: [String]
    }

    func run() async throws {
        let suite = try Suite.open(global)
        let replies = try await pingAll(suite)
        let lags = lag(replies)
        let now = Date()
        let rows = replies.map { daemon, reply in
            Row(daemon: daemon, state: reply?.state ?? (reply == nil ? "unreachable" : "ready"), version: reply?.version, pid: reply?.pid,
                uptimeSeconds: reply.map { Int(now.timeIntervalSince($0.startedAt)) }, lastSequence: reply?.lastSequence, lag: lags[daemon],
                backlog: reply?.backlog, requestsAnswered: reply?.requestsAnswered, status: reply?.status, lastError: reply?.lastError,
                lastErrorAt: reply?.lastErrorAt, warnings: reply?.warnings ?? [])
        }
        if global.json { Output.json(rows) } else { Self.printTable(rows) }
        // Printed either way; the exit code tells a script that a daemon is down.
        if rows.contains(where: { $0.state == "unreachable" }) { throw ExitCode(Exit.unreachable) }
    }

    private static func printTable(_ rows: [Row]) {
        var table = TextTable(header: ["DAEMON", "STATE", "VERSION", "PID", "UPTIME", "LAST EVENT", "LAG", "BACKLOG", "REQUESTS", "LAST ERROR"])
        for row in rows {
            table.add([
                row.daemon, row.state, row.version ?? "-", row.pid.map(String.init) ?? "-", row.uptimeSeconds.map(Self.uptime) ?? "-",
                row.lastSequence.map { "#\($0)" } ?? "-", row.lag.map(String.init) ?? "-", row.backlog.map(String.init) ?? "-",
                row.requestsAnswered.map(String.init) ?? "-", row.lastError.map { String($0.prefix(60)) } ?? "-",
            ])
        }
        Output.line(table.rendered)
        for row in rows {
            if let status = row.status { Output.line("\(row.daemon): \(status)") }
            for warning in row.warnings { Output.line("\(row.daemon): warning: \(warning)") }
        }
    }

    static func uptime(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(seconds % 60)s" }
        if seconds < 86_400 { return "\(seconds / 3600)h\(seconds % 3600 / 60)m" }
        return "\(seconds / 86_400)d\(seconds % 86_400 / 3600)h"
    }
}

struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 only when all is well (for monitoring): every daemon answers, followers keep up, the outbox drains, no dead letters.",
        discussion: "Exit codes: 0 healthy; 1 a problem (printed); 3 a daemon does not answer."
    )
    @OptionGroup var global: GlobalOptions
    @Option(help: "The most events a follower may be behind.") var maxLag: UInt64 = 100
    @Option(help: "The most committed events that may wait to be published.") var maxBacklog: UInt64 = 100

    func run() async throws {
        let suite = try Suite.open(global)
        // Asked before the pings, which close the suite's connections; nil when notifyd does not answer.
        let notifyd = try await suite.client("notifyd")
        let deadLetters: NotificationsReply? = try? await notifyd.call(
            MessageType.notifications, NotificationsRequest(failed: true, limit: 20), timeout: .seconds(1), attempts: 2)
        let replies = try await pingAll(suite)
        var problems: [String] = []
        for (daemon, reply) in replies where reply == nil { problems.append("\(daemon) does not answer") }
        for letter in deadLetters?.notifications ?? [] {
            problems.append("dead letter \(letter.reference) \(letter.purpose) to \(letter.recipient): \(letter.lastError ?? "failed") (bookctl notifications --failed)")
        }
        for (daemon, value) in lag(replies) where value > maxLag { problems.append("\(daemon) is \(value) events behind bookingd") }
        for (daemon, reply) in replies {
            if let backlog = reply?.backlog, backlog > maxBacklog {
                problems.append(daemon == "notifyd" ? "notifyd has \(backlog) notifications waiting to be sent" : "\(daemon) has \(backlog) events waiting to be published")
            }
            if reply?.state == "syncing" { problems.append("\(daemon) has not taken bookingd's snapshot yet") }
        }
        if problems.isEmpty {
            Output.line("healthy")
            return
        }
        for problem in problems { Output.error("unhealthy: \(problem)") }
        throw ExitCode(replies.contains { $0.1 == nil } ? Exit.unreachable : Exit.refused)
    }
}

struct Reload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make every daemon read its configuration again (as SIGHUP does).")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let suite = try Suite.open(global)
        // A file no daemon would take is refused here, by key, before any daemon is asked.
        do {
            _ = try ConfigCommand.checkEveryDaemon(suite.configuration)
        } catch {
            await suite.context.shutdown()
            throw CommandFailure(message: "\(error)", code: Exit.usage)
        }
        var failed = false
        for daemon in suite.daemons {
            let client = try await suite.client(daemon)
            do {
                let reply: ReloadReply = try await client.call(MessageType.reload, Empty())
                Output.line("\(daemon): reloaded; \(reply.status)")
            } catch let error as ProtocolError {
                failed = true
                Output.error("\(daemon): \(error.message)")
            }
        }
        await suite.context.shutdown()
        if failed { throw ExitCode(Exit.refused) }
    }
}

struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop taking new bookings (queries, reschedules and cancellations go on).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Why (shown to clients and in bookctl status).") var reason: String?

    func run() async throws {
        let suite = try Suite.open(global)
        let reply: PauseReply = try await suite.call("bookingd", MessageType.pause, PauseRequest(reason: reason))
        if global.json { Output.json(reply) } else { Output.line("new bookings paused: \(reply.reason ?? "")") }
    }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Take new bookings again.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let suite = try Suite.open(global)
        let reply: PauseReply = try await suite.call("bookingd", MessageType.resume, Empty())
        if global.json { Output.json(reply) } else { Output.line("new bookings taken again") }
    }
}

struct ConfigCommand: AsyncParsableCommand {
    /// Each daemon's own loading of its sections, so the check agrees with what each would do at
    /// start or on reload: a summary line per daemon, or the first problem.
    static func checkEveryDaemon(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> [String] {
        [
            "bookingd: " + (try BookingDaemon.checkConfiguration(configuration)),
            "availabilityd: " + (try AvailabilityDaemon.checkConfiguration(configuration)),
            "notifyd: " + (try NotificationDaemon.checkConfiguration(configuration)),
            "webd: " + (try WebDaemon.checkConfiguration(configuration)),
        ] + (configuration.presentKeys.contains("calendars") ? ["calsyncd: " + (try CalendarSyncDaemon.checkConfiguration(configuration))] : [])
    }

    /// What the daemons log at start for the optional sections the file leaves out, each once.
    static func defaultsApplied(_ configuration: SuiteConfiguration) -> [String] {
        configuration.defaultsApplied(by: nil) + BookingDaemon.defaultsApplied(configuration) + AvailabilityDaemon.defaultsApplied(configuration)
    }

    static let configuration = CommandConfiguration(commandName: "config", abstract: "Work with configuration files.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration file; a problem is named with its key and why (exit 1).")
        @Argument(help: "The file, e.g. /etc/booking/booking.yaml.") var file: String

        func run() async throws {
            do {
                let configuration = try SuiteConfiguration.load(path: file)
                let parts = try ConfigCommand.checkEveryDaemon(configuration)
                Output.line("\(file): ok (sockets in \(configuration.runtimeDirectory); data in \(configuration.stateDirectory))")
                for part in parts { Output.line("  \(part)") }
                let defaults = ConfigCommand.defaultsApplied(configuration)
                if !defaults.isEmpty { Output.line("defaults for what the file leaves out:") }
                for line in defaults { Output.line("  \(line)") }
            } catch {
                throw CommandFailure(message: "\(error)", code: Exit.refused)
            }
        }
    }
}
