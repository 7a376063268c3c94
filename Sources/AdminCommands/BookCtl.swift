import ArgumentParser
import BookingProtocol
import DaemonKit
import Foundation

struct BookCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: AdminCommandLine.name,
        abstract: "Administer the consultation booking suite.",
        discussion: """
            Exit codes: 0 done; 1 refused or not found (the message says why); 2 usage or configuration error; \
            3 a daemon did not answer.
            """,
        version: SuiteVersion.current,
        subcommands: [Slots.self, Book.self, Show.self, History.self, Reschedule.self, Cancel.self, List.self,
                      CalendarCommand.self, Block.self, Unblock.self, Consultants.self, CalendarsCommand.self, Events.self,
                      Attended.self, NoShow.self, Report.self, Status.self, Health.self, Reload.self, Pause.self, Resume.self, ConfigCommand.self, Backup.self, Restore.self, MetricsCommand.self,
                      NotificationsCommand.self, PrivacyCommand.self, KeysCommand.self, FeedsCommand.self]
    )
}

/// bookctl's command line: the `bookctl` program and the multi-call `booking` program both run it.
public enum AdminCommandLine {
    public static let name = "bookctl"

    /// Runs the command `arguments` (without the program's name) names, then exits with its code.
    public static func run(arguments: [String]) async -> Never {
        do {
            var command = try BookCtl.parseAsRoot(GlobalOptions.leadingConfig(arguments))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch let failure as CommandFailure {
            fail(failure.message, failure.code)
        } catch let error as DaemonUnreachable {
            fail(error.message, Exit.unreachable)
        } catch let error as ProtocolError where error.code == .forbidden {
            // The message already says which daemon refused what, and why: one line.
            fail(error.message, Exit.refused)
        } catch let error as ProtocolError {
            fail("\(error.code.rawValue): \(error.message)\(error.field.map { " (field: \($0))" } ?? "")\(references(error))", Exit.refused)
        } catch {
            let code = BookCtl.exitCode(for: error)
            if code == .success {
                Output.line(Output.message(BookCtl.fullMessage(for: error)))
                exit(0)
            }
            fail(BookCtl.fullMessage(for: error), code == .validationFailure ? Exit.usage : code.rawValue)
        }
    }

    private static func references(_ error: ProtocolError) -> String {
        guard let references = error.body.references, !references.isEmpty else { return "" }
        return "\n" + references.joined(separator: "\n")
    }

    private static func fail(_ message: String, _ code: Int32) -> Never {
        Output.error("bookctl: \(Output.message(message))")
        exit(code)
    }
}
