import ArgumentParser
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One person's personal data as bookingd holds it: all of it (export), or its erasure.
struct PrivacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Export or erase one person's personal data (152-FZ, GDPR).",
        discussion: """
            bookctl privacy export --email E [--output FILE]   everything the suite holds about them, as JSON (the file mode 0600)
            bookctl privacy erase --email E [--reason TEXT]    cancel their future bookings, then erase their data for good
            Either names the person by --email, --phone or --reference (one of their bookings). Both are audited.
            """,
        subcommands: [Export.self, Erase.self]
    )

    /// Exactly one way to name the person.
    struct Subject: ParsableArguments {
        @Option(name: .long, help: "Their email.") var email: String?
        @Option(name: .long, help: "Their phone, with its country code (+7…).") var phone: String?
        @Option(name: .long, help: "One of their booking references.") var reference: String?

        func validate() throws {
            let given = [email, phone, reference].compactMap { $0 }
            guard given.count == 1 else { throw ValidationError("name the person by exactly one of --email, --phone or --reference") }
            guard given[0].trimmingCharacters(in: .whitespaces).isEmpty == false else { throw ValidationError("the value is empty") }
        }

        var request: DataSubjectRequest { DataSubjectRequest(email: email, phone: phone, reference: reference) }

        /// For the confirmation question: what the admin typed, as they typed it.
        var described: String {
            if let email { return "the email \(email)" }
            if let phone { return "the phone \(phone)" }
            return "the booking \(reference ?? "")"
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write everything the suite holds about one person as JSON: bookings, history, messages sent, erasure records.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var subject: Subject
        @Option(name: .long, help: "Write it to this file (created with mode 0600) instead of standard output.") var output: String?

        /// bookingd's part (bookings, history, erasure records) and notifyd's (the messages sent
        /// about the person): both, or nothing is written.
        func run() async throws {
            let suite = try Suite.open(global)
            var reply: ExportReply
            do {
                reply = try await suite.client("bookingd").call(MessageType.export, subject.request)
                let messages: MessagesExportReply = try await suite.client("notifyd").call(MessageType.export, MessagesExportRequest(clientIds: reply.clientIds))
                reply.messages = messages.messages
            } catch {
                await suite.context.shutdown()
                throw error
            }
            await suite.context.shutdown()
            let json = try WireJSON.encode(reply)
            guard let output else {
                Output.line(Output.json(wire: json))
                return
            }
            try PrivacyCommand.writePrivately(json + Array("\n".utf8), to: output)
            Output.line("\(reply.bookings.count) bookings, \(reply.messages?.count ?? 0) messages and \(reply.erasures.count) erasure records written to \(output)")
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel one person's future bookings, then erase their personal data for good.",
            discussion: "Their bookings stay, anonymised, for the counts. Running it again erases nothing more."
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var subject: Subject
        @Option(name: .long, help: "Why (for the cancellations; default: erasure requested).") var reason: String?
        @Flag(name: .long, help: "Do not ask for confirmation.") var yes = false

        func run() async throws {
            if !yes {
                guard isatty(STDIN_FILENO) != 0 else {
                    throw CommandFailure(message: "not asked on a terminal: give --yes to erase without confirmation", code: Exit.usage)
                }
                FileHandle.standardError.write(Data("Erase every personal data bookingd holds for \(subject.described), after cancelling their future bookings? This cannot be undone. Type yes: ".utf8))
                guard readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                    throw CommandFailure(message: "nothing erased", code: Exit.refused)
                }
            }
            let suite = try Suite.open(global)
            let request = subject.request
            let record: ErasureBody = try await suite.call(
                "bookingd", MessageType.erase, EraseRequest(email: request.email, phone: request.phone, reference: request.reference, reason: reason)
            )
            if global.json {
                Output.line(Output.json(wire: try WireJSON.encode(record)))
                return
            }
            if record.appointments == 0 && record.cancelled == 0 && record.clientKeys == 0 && record.historyEntries == 0 && record.idempotencyRecords == 0 {
                Output.line("Nothing left to erase (erased before).")
                return
            }
            let erased = "\(record.appointments) bookings' contact, \(record.historyEntries) history reasons, "
                + "\(record.idempotencyRecords) stored replies and \(record.clientKeys) client keys erased"
            Output.line("Erasure \(record.id) at \(ISO8601.instant(record.at)) by \(record.user): \(record.cancelled) bookings cancelled, \(erased)")
        }
    }

    /// Created 0600 before anything is written (an existing file is refused: it may be someone else's).
    static func writePrivately(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CommandFailure(message: "cannot create \(path): \(String(cString: strerror(errno)))", code: Exit.refused)
        }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                throw CommandFailure(message: "cannot write \(path): \(String(cString: strerror(errno)))", code: Exit.refused)
            }
            written += count
        }
    }
}
