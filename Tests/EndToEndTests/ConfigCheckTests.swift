import Foundation
import SuiteTesting
import Testing

/// `bookctl config check` says what the daemons would say: for each broken file, the check fails
/// exactly when a daemon refuses to start, and both name the same key.
@Suite struct ConfigCheckTests {
    struct BrokenFile: CustomTestStringConvertible, Sendable {
        var name: String
        /// What the operator got wrong, as a change of the suite's working file.
        var change: @Sendable (_ text: String, _ directory: String) throws -> String
        /// What both the check and a refusing daemon say (the key, often with the problem).
        var said: String
        var testDescription: String { name }
    }

    static func replacing(_ old: String, _ new: String) -> @Sendable (String, String) throws -> String {
        { text, _ in
            guard text.contains(old) else { throw SuiteFailure("the suite's file has no '\(old)'") }
            return text.replacingOccurrences(of: old, with: new)
        }
    }

    static let brokenFiles: [BrokenFile] = [
        BrokenFile(name: "a mistyped top-level key", change: { text, _ in "log_levl: debug\n" + text },
                   said: "log_levl: unknown key `log_levl` at the top level; did you mean `log_level`?"),
        BrokenFile(name: "a mistyped section", change: { text, _ in text + "\nbooking:\n  max_future_bookings_per_contact: 1\n" },
                   said: "unknown key `booking` at the top level; did you mean `bookings`?"),
        BrokenFile(name: "a bad log level", change: replacing("log_level: debug", "log_level: loud"), said: "log_level: 'loud' is not one of"),
        BrokenFile(name: "a mistyped calendar key", change: replacing("  time_zone: Europe/Moscow\n", "  time_zone: Europe/Moscow\n  opns: \"08:00\"\n"),
                   said: "calendar.opns: unknown key `opns` in `calendar`; did you mean `opens`?"),
        BrokenFile(name: "a zone that does not exist", change: replacing("time_zone: Europe/Moscow", "time_zone: Mars/Olympus"),
                   said: "calendar.time_zone: 'Mars/Olympus' is not an IANA time zone"),
        BrokenFile(name: "a mistyped consultant key", change: replacing("{id: anna, name: Consultant anna,", "{id: anna, nmae: Anna, name: Consultant anna,"),
                   said: "consultants.0.nmae: unknown key `nmae` in `consultants.0`; did you mean `name`?"),
        BrokenFile(name: "a mistyped key in the production calendar", change: { text, directory in
            try "years:\n  2026:\n    holidayz: []\n".write(toFile: directory + "/calendar.yaml", atomically: true, encoding: .utf8)
            return text.replacingOccurrences(of: "production_calendar: \(SuiteFiles.repositoryRoot)/config/production-calendar.yaml",
                                             with: "production_calendar: calendar.yaml")
        }, said: "years.2026.holidayz: unknown key `holidayz` in `years.2026`; did you mean `holidays`?"),
        BrokenFile(name: "a mistyped bookings key", change: { text, _ in text + "\nbookings:\n  max_future_booking_per_contact: 1\n" },
                   said: "bookings.max_future_booking_per_contact: unknown key `max_future_booking_per_contact` in `bookings`; did you mean `max_future_bookings_per_contact`?"),
        BrokenFile(name: "a mistyped notifications key", change: replacing("  manage_url:", "  manage_ulr:"),
                   said: "notifications.manage_ulr: unknown key `manage_ulr` in `notifications`; did you mean `manage_url`?"),
        BrokenFile(name: "a credential file that is not there", change: replacing(
            "email: {transport: directory, directory: mail}",
            "email: {transport: smtp, smtp: {host: 127.0.0.1, port: 2525, security: none, username: booking, password_file: smtp-password}}"
        ), said: "notifications.email.smtp.password_file: cannot read"),
        BrokenFile(name: "a templates directory that is not there", change: { text, _ in
            text.replacingOccurrences(of: "templates: \(SuiteFiles.repositoryRoot)/config/templates", with: "templates: no-such-templates")
        }, said: "no-such-templates"),
        BrokenFile(name: "a mistyped web key", change: replacing("web:\n", "web:\n  public_ulr: \"https://book.example.com\"\n"),
                   said: "web.public_ulr: unknown key `public_ulr` in `web`; did you mean `public_url`?"),
        BrokenFile(name: "a policy file that is not there", change: replacing("web:\n", "web:\n  policy_files: {en: policy/en.txt}\n"),
                   said: "web.policy_files.en: cannot read"),
        BrokenFile(name: "a secret key file that cannot be made", change: replacing("web:\n", "web:\n  secret_file: booking.yaml/webd.secret\n"),
                   said: "web.secret_file: "),
    ]

    static let daemons = ["bookingd", "availabilityd", "notifyd", "webd"]

    @Test(arguments: brokenFiles)
    func theCheckRefusesWhatADaemonRefusesAndSaysTheSame(file: BrokenFile) async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try suite.editConfiguration { text in (try? file.change(text, suite.directory)) ?? "the change failed" }
        #expect(!(try String(contentsOfFile: suite.configPath, encoding: .utf8)).hasPrefix("the change failed"), "\(file.name)")

        let check = try SuiteProcess.run(SuiteProcess.binDirectory + "/bookctl", ["config", "check", suite.configPath])
        var refusals: [String: String] = [:]
        for daemon in Self.daemons {
            do {
                try await suite.start(daemon)
            } catch {
                refusals[daemon] = "\(error)"
            }
        }
        #expect(!refusals.isEmpty, "\(file.name): every daemon started")
        #expect(check.status == 1, "\(file.name): \(check.stdout)")
        #expect(check.stderr.contains(file.said), "\(file.name): \(check.stderr)")
        for (daemon, refusal) in refusals {
            #expect(refusal.contains("exited with 78"), "\(daemon) \(file.name): \(refusal)")
            #expect(refusal.contains(file.said), "\(daemon) \(file.name): \(refusal)")
        }
    }

    @Test func theWorkingFileIsOkForTheCheckAndForEveryDaemon() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        let check = try SuiteProcess.run(SuiteProcess.binDirectory + "/bookctl", ["config", "check", suite.configPath])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains(": ok"))
        for daemon in Self.daemons { try await suite.start(daemon) }
    }
}
