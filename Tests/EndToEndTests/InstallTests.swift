import DaemonKit
import Foundation
import Testing

/// `script/install` and `script/uninstall` into a temporary DESTDIR, with the booking executable
/// of the build under test (`--no-build --bin-dir`): nothing is built in release mode and nothing
/// on this machine outside the temporary directory is touched. script/test-install installs for
/// real and runs the installed suite.
@Suite(.serialized) struct InstallTests {
    @Test func installLaysOutBinariesUnitsUserDirectoriesAndConfiguration() throws {
        let destination = try Destination()
        defer { destination.remove() }
        let run = try destination.install()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("install: DESTDIR is set: not running systemd-sysusers"), "\(run.stdout)")

        // One stripped executable; each program is a link to it and runs as its name says.
        #expect(destination.isExecutable("/usr/local/bin/booking"))
        let installed = try #require(destination.size("/usr/local/bin/booking"))
        let built = try #require(Self.size(SuiteProcess.binDirectory + "/booking"))
        #expect(installed < built, "stripped: \(installed) bytes installed, \(built) built")
        for program in ["bookingd", "availabilityd", "notifyd", "webd", "calsyncd", "bookctl"] {
            #expect(destination.link("/usr/local/bin/\(program)") == "booking", "\(program) links to booking")
            let version = try SuiteProcess.run(destination.path("/usr/local/bin/\(program)"), ["--version"])
            #expect(version.status == 0, "\(version.stdout)\(version.stderr)")
            #expect(version.stdout.hasSuffix("\(SuiteVersion.current)\n"), "\(program): \(version.stdout)")
            #expect(program == "bookctl" || version.stdout.hasPrefix("\(program) "), "runs as \(program): \(version.stdout)")
        }

        // Each daemon's own user (docs/operations.md): webd faces the internet, notifyd and calsyncd hold secrets.
        let users = ["bookingd": "booking", "availabilityd": "booking", "notifyd": "booking-notify", "webd": "booking-web",
                     "calsyncd": "booking-calendar"]
        for (daemon, user) in users.sorted(by: { $0.key < $1.key }) {
            #expect(destination.exists("/usr/local/bin/\(daemon)"))
            let unit = try destination.text("/usr/lib/systemd/system/\(daemon).service")
            #expect(unit.contains("ExecStart=/usr/local/bin/\(daemon) --config /etc/booking/booking.yaml\n"))
            #expect(unit.contains("Type=notify\n") && unit.contains("User=\(user)\n") && unit.contains("Group=booking\n") && unit.contains("PartOf=booking.target\n"))
            #expect(unit == (try Self.repositoryText("systemd/\(daemon).service")), "installed unchanged with PREFIX=/usr/local")
            #expect(destination.link("/etc/systemd/system/booking.target.wants/\(daemon).service") == "/usr/lib/systemd/system/\(daemon).service",
                    "enabled into booking.target")
        }
        #expect(try destination.text("/usr/lib/systemd/system/booking.target").contains("WantedBy=multi-user.target"))

        #expect(try destination.text("/usr/lib/sysusers.d/booking.conf") == (try Self.repositoryText("systemd/booking.sysusers")))
        #expect(try destination.text("/usr/lib/tmpfiles.d/booking.conf") == (try Self.repositoryText("systemd/booking.tmpfiles")))
        #expect(destination.exists("/usr/local/share/doc/booking/operations.md"))

        let configuration = try destination.text("/etc/booking/booking.yaml")
        let lines = configuration.split(separator: "\n").map(String.init)
        #expect(lines.contains("runtime_directory: /run/booking"), "\(configuration)")
        #expect(lines.contains("state_directory: /var/lib/booking"), "\(configuration)")
        #expect(lines.contains("  production_calendar: production-calendar.yaml"))
        #expect(try destination.text("/etc/booking/production-calendar.yaml") == (try Self.repositoryText("config/production-calendar.yaml")))
        // notifyd's templates beside it, and its development mail directory moved under the state directory.
        #expect(try destination.text("/etc/booking/templates/ru/client-confirmation.subject.mustache")
            == (try Self.repositoryText("config/templates/ru/client-confirmation.subject.mustache")))
        #expect(lines.contains("    directory: /var/lib/booking/mail"))
        #expect(destination.permissions("/etc/booking/booking.yaml") == 0o640)
        #expect(destination.permissions("/etc/booking") == 0o750)
        #expect(destination.permissions("/etc/credstore") == 0o700)
        // calsyncd's unit loads this directory, one credential a calendar, and would not start without it.
        #expect(destination.permissions("/etc/credstore/booking.calendars") == 0o700)
        #expect(try destination.text("/usr/lib/systemd/system/calsyncd.service").contains("LoadCredential=calendar:/etc/credstore/booking.calendars\n"))
        #expect(!destination.exists("/etc/booking/credentials"))
        // It ends with what the operator must edit, each with its file and key, then how to start.
        for placeholder in ["booking.yaml:", "notifications.sender.address: booking@example.com", "web.public_url: https://booking.example.com",
                            "consultants[].email: anna.smirnova@example.com", "notifications.email.transport: directory",
                            "/etc/credstore/booking.smtp-password", "/etc/booking/policy/personal-data.en.txt: a sample"] {
            #expect(run.stdout.contains(placeholder), "\(placeholder) in \(run.stdout)")
        }
        #expect(run.stdout.hasSuffix("install: done; start the suite with: systemctl enable --now booking.target\n"), "\(run.stdout)")
        #expect(!destination.exists("/etc/booking/booking.yaml.dist"))

        // The installed default is a configuration the daemons accept.
        let check = try SuiteProcess.run(SuiteProcess.binDirectory + "/bookctl", ["config", "check", destination.path("/etc/booking/booking.yaml")])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("sockets in /run/booking; data in /var/lib/booking"), "\(check.stdout)")
    }

    @Test func aSecondInstallKeepsTheOperatorsEditAndPutsTheNewDefaultBesideIt() throws {
        let destination = try Destination()
        defer { destination.remove() }
        let first = try destination.install()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let installed = try destination.text("/etc/booking/booking.yaml")
        let edited = installed.replacingOccurrences(of: "log_level: info", with: "log_level: debug") + "# edited by the operator\n"
        #expect(installed.contains("log_level: info\n"), "the edit changes something")
        try edited.write(toFile: destination.path("/etc/booking/booking.yaml"), atomically: true, encoding: .utf8)

        let second = try destination.install()
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try destination.text("/etc/booking/booking.yaml") == edited, "the edit survived")
        #expect(try destination.text("/etc/booking/booking.yaml.dist") == installed, "the default is beside it")
        #expect(second.stdout.contains("install: kept your edited /etc/booking/booking.yaml; the new default is /etc/booking/booking.yaml.dist"),
                "\(second.stdout)")
        // Unchanged files are left alone, and say so.
        #expect(second.stdout.contains("install: /etc/booking/production-calendar.yaml is up to date"), "\(second.stdout)")
        #expect(second.stdout.contains("install: /usr/local/bin/bookingd is up to date"), "\(second.stdout)")
        #expect(!destination.exists("/etc/booking/production-calendar.yaml.dist"))

        // A default the operator did not touch is upgraded in place.
        let calendar = destination.path("/etc/booking/production-calendar.yaml")
        let record = destination.path("/usr/local/share/booking/defaults/production-calendar.yaml")
        try "# last release's calendar\n".write(toFile: calendar, atomically: true, encoding: .utf8)
        try "# last release's calendar\n".write(toFile: record, atomically: true, encoding: .utf8)
        let third = try destination.install()
        #expect(third.status == 0, "\(third.stdout)\(third.stderr)")
        #expect(third.stdout.contains("install: updated /etc/booking/production-calendar.yaml (it had not been edited)"), "\(third.stdout)")
        #expect(try destination.text("/etc/booking/production-calendar.yaml") == (try Self.repositoryText("config/production-calendar.yaml")))
        #expect(try destination.text("/etc/booking/booking.yaml") == edited, "still the operator's")
    }

    @Test func secretsOfAnEarlierInstallMoveToTheCredentialStore() throws {
        let destination = try Destination()
        defer { destination.remove() }
        try FileManager.default.createDirectory(atPath: destination.path("/etc/booking/credentials"), withIntermediateDirectories: true)
        try "the password".write(toFile: destination.path("/etc/booking/credentials/smtp-password"), atomically: true, encoding: .utf8)
        let run = try destination.install()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try destination.text("/etc/credstore/booking.smtp-password") == "the password")
        #expect(!destination.exists("/etc/booking/credentials"))
        #expect(run.stdout.contains("install: moved /etc/booking/credentials/smtp-password to /etc/credstore/booking.smtp-password"), "\(run.stdout)")
        let unit = try destination.text("/usr/lib/systemd/system/notifyd.service")
        #expect(unit.contains("LoadCredential=smtp-password:booking.smtp-password\n"), "a store name: optional")
    }

    @Test func uninstallRemovesBinariesAndUnitsButKeepsConfigurationAndData() throws {
        let destination = try Destination()
        defer { destination.remove() }
        let install = try destination.install()
        #expect(install.status == 0, "\(install.stdout)\(install.stderr)")
        try FileManager.default.createDirectory(atPath: destination.path("/var/lib/booking"), withIntermediateDirectories: true)
        try "data".write(toFile: destination.path("/var/lib/booking/bookingd.sqlite"), atomically: true, encoding: .utf8)

        let run = try destination.uninstall()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        for path in ["/usr/local/bin/booking", "/usr/local/bin/bookingd", "/usr/local/bin/availabilityd", "/usr/local/bin/bookctl",
                     "/usr/lib/systemd/system/bookingd.service", "/usr/lib/systemd/system/availabilityd.service",
                     "/usr/lib/systemd/system/booking.target", "/etc/systemd/system/booking.target.wants/bookingd.service",
                     "/usr/lib/sysusers.d/booking.conf", "/usr/lib/tmpfiles.d/booking.conf", "/usr/local/share/doc/booking/operations.md"] {
            #expect(!destination.exists(path), "\(path) is removed")
        }
        #expect(try destination.text("/etc/booking/booking.yaml").contains("runtime_directory: /run/booking"), "configuration kept")
        #expect(destination.exists("/etc/booking/production-calendar.yaml"))
        #expect(try destination.text("/var/lib/booking/bookingd.sqlite") == "data", "data kept")
        #expect(run.stdout.contains("kept /etc/booking (configuration), /var/lib/booking (data)"), "\(run.stdout)")

        let again = try destination.uninstall()
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("nothing of the suite is installed"), "\(again.stdout)")
    }

    @Test func prefixMovesTheBinariesAndTheUnitsFollow() throws {
        let destination = try Destination()
        defer { destination.remove() }
        let run = try destination.install(prefix: "/opt/booking")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(destination.isExecutable("/opt/booking/bin/bookingd"))
        #expect(!destination.exists("/usr/local/bin/bookingd"))
        let unit = try destination.text("/usr/lib/systemd/system/bookingd.service")
        #expect(unit.contains("ExecStart=/opt/booking/bin/bookingd --config /etc/booking/booking.yaml\n"), "\(unit)")
        #expect(!unit.contains("/usr/local/"))
        let uninstall = try destination.uninstall(prefix: "/opt/booking")
        #expect(uninstall.status == 0, "\(uninstall.stdout)\(uninstall.stderr)")
        #expect(!destination.exists("/opt/booking/bin/bookingd"))
        #expect(!destination.exists("/opt/booking/bin/booking"))
    }

    // MARK: helpers

    /// A temporary DESTDIR.
    struct Destination {
        let root: String

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("booking-install-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        }

        func install(prefix: String = "/usr/local") throws -> SuiteProcess.Run {
            try SuiteProcess.run(SuiteProcess.repositoryRoot + "/script/install", ["--no-build", "--bin-dir", SuiteProcess.binDirectory],
                                 environment: ["DESTDIR": root, "PREFIX": prefix])
        }

        func uninstall(prefix: String = "/usr/local") throws -> SuiteProcess.Run {
            try SuiteProcess.run(SuiteProcess.repositoryRoot + "/script/uninstall", [], environment: ["DESTDIR": root, "PREFIX": prefix])
        }

        func path(_ inside: String) -> String { root + inside }
        func exists(_ inside: String) -> Bool {
            (try? FileManager.default.attributesOfItem(atPath: path(inside))) != nil
        }
        func isExecutable(_ inside: String) -> Bool { FileManager.default.isExecutableFile(atPath: path(inside)) }
        func text(_ inside: String) throws -> String { try String(contentsOfFile: path(inside), encoding: .utf8) }
        func size(_ inside: String) -> Int? { InstallTests.size(path(inside)) }
        func link(_ inside: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path(inside)) }
        func permissions(_ inside: String) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: path(inside)))?[.posixPermissions] as? Int
        }
        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    static func size(_ path: String) -> Int? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue
    }

    static func repositoryText(_ relative: String) throws -> String {
        try String(contentsOfFile: SuiteProcess.repositoryRoot + "/" + relative, encoding: .utf8)
    }
}
