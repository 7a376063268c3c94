import AdminCommands
import AvailabilityService
import BookingService
import CalendarSync
import DaemonKit
import Foundation
import NotificationService
import WebFrontend

// The whole suite as one executable, installed once with the programs' names as links to it:
// one copy of the Swift runtime, Foundation and ICU instead of five. It runs the program its
// name says (`bookingd` -> booking), or the one its first argument names (`booking bookingd ...`).

/// Runs `program` with `arguments` and exits; returns only when `program` is not the suite's.
func run(_ program: String, _ arguments: [String]) async {
    switch program {
    case BookingDaemon.name: await DaemonRunner.main(name: program, arguments: arguments, build: BookingDaemon.services)
    case AvailabilityDaemon.name: await DaemonRunner.main(name: program, arguments: arguments, build: AvailabilityDaemon.services)
    case NotificationDaemon.name: await DaemonRunner.main(name: program, arguments: arguments, build: NotificationDaemon.services)
    case WebDaemon.name: await DaemonRunner.main(name: program, arguments: arguments, build: WebDaemon.services)
    case CalendarSyncDaemon.name: await DaemonRunner.main(name: program, arguments: arguments, build: CalendarSyncDaemon.services)
    case AdminCommandLine.name: await AdminCommandLine.run(arguments: arguments)
    default: return
    }
}

let programs = [BookingDaemon.name, AvailabilityDaemon.name, NotificationDaemon.name, WebDaemon.name, CalendarSyncDaemon.name, AdminCommandLine.name]
let usage = "usage: booking PROGRAM [ARGUMENTS...], or run it as one of its links: PROGRAM is \(programs.joined(separator: ", "))\n"
let given = Array(CommandLine.arguments.dropFirst())
await run(URL(fileURLWithPath: CommandLine.arguments[0]).lastPathComponent, given)
switch given.first {
case "--version":
    print("booking \(SuiteVersion.current)")
    exit(0)
case "--help", "-h":
    print(usage, terminator: "")
    exit(0)
case let program?:
    await run(program, Array(given.dropFirst()))
    FileHandle.standardError.write(Data("booking: unknown program '\(program)'; \(usage)".utf8))
case nil:
    FileHandle.standardError.write(Data("booking: \(usage)".utf8))
}
exit(2)
