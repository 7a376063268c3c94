import ArgumentParser
import BookingProtocol
import DaemonKit
import Foundation

/// notifyd's record: what was sent for an appointment, the dead letters, and sending again.
struct NotificationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications",
        abstract: "What notifyd sent for an appointment, its dead letters, or send one again.",
        discussion: """
            bookctl notifications REF        every message for the appointment: when, over which channel, its state
            bookctl notifications --failed   every dead letter (gave up), with its last error
            bookctl notifications retry ID   send one again (a dead letter, or any other)
            bookctl notifications test-email ADDRESS   send a test message through the configured mail transport
            """,
        subcommands: [Show.self, Retry.self, TestEmail.self],
        defaultSubcommand: Show.self
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One appointment's notifications, or the dead letters.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The booking reference.") var reference: String?
        @Flag(name: .long, help: "List the dead letters instead.") var failed = false

        func validate() throws {
            if reference == nil && !failed { throw ValidationError("give a booking reference, or --failed for the dead letters") }
            if reference != nil && failed { throw ValidationError("give either a booking reference or --failed, not both") }
        }

        func run() async throws {
            let suite = try Suite.open(global)
            let reply: NotificationsReply = try await suite.call(
                "notifyd", MessageType.notifications, NotificationsRequest(reference: reference, failed: failed ? true : nil)
            )
            if global.json {
                Output.json(reply.notifications)
                return
            }
            guard !reply.notifications.isEmpty else {
                Output.line(failed ? "No dead letters." : "No notifications for \(reference ?? "") (yet).")
                return
            }
            NotificationsCommand.table(reply.notifications, zone: suite.calendarZone)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send one notification again.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The notification's id (from bookctl notifications).") var id: String

        func run() async throws {
            let suite = try Suite.open(global)
            let body: NotificationBody = try await suite.call("notifyd", MessageType.notificationRetry, NotificationRetryRequest(id: id), idempotent: true)
            if global.json {
                Output.json(body)
            } else {
                Output.line("Queued again: \(body.id) (\(body.channel) to \(body.recipient))")
            }
        }
    }

    struct TestEmail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test-email", abstract: "Send a test message through the configured mail transport (SMTP, sendmail or the mail directory).",
            discussion: "Exit codes: 0 sent; 1 not sent (the transport's answer is printed); 3 notifyd does not answer."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Where to send it, e.g. ops@example.com.") var address: String

        func run() async throws {
            let suite = try Suite.open(global)
            let reply: TestEmailReply = try await suite.call("notifyd", MessageType.testEmail, TestEmailRequest(address: address))
            if global.json {
                Output.json(reply)
            } else {
                Output.line("Sent a test message to \(reply.recipient) through \(reply.transport) (Message-ID <\(reply.messageId)>).")
            }
        }
    }

    static func table(_ notifications: [NotificationBody], zone: TimeZone) {
        var table = TextTable(header: ["ID", "WHAT", "CHANNEL", "TO", "STATE", "TRIES", "WHEN (\(zone.identifier))", "LAST ERROR"])
        for body in notifications {
            let when = body.sentAt ?? body.nextAttemptAt ?? body.createdAt
            table.add([body.id, body.purpose, body.channel, body.recipient, body.state + (body.inDoubt ? " (resent after a crash)" : ""),
                       "\(body.attempts)", Output.local(when, zone, format: "yyyy-MM-dd HH:mm:ss"), body.lastError ?? ""])
        }
        Output.line(table.rendered)
    }
}
