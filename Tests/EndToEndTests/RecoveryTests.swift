import DaemonKit
import Foundation
import SuiteTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Refusals at start, the modes of what the suite writes, and notifyd after a full disk.
@Suite(.serialized) struct RecoveryTests {
    static let daemons = ["bookingd", "availabilityd", "notifyd", "webd"]

    /// The shipped file cut at 25 %, at 50 % and in the middle of a line, in a directory of its own.
    static func cutFiles(in directory: String) throws -> [String] {
        let shipped = Array(try String(contentsOfFile: SuiteProcess.repositoryRoot + "/config/booking.yaml", encoding: .utf8).utf8)
        let midLine = try #require(String(decoding: shipped, as: UTF8.self).range(of: "  slot_minutes: 30")).lowerBound
            .utf16Offset(in: String(decoding: shipped, as: UTF8.self)) + 8
        return try [("25", shipped.count / 4), ("50", shipped.count / 2), ("mid-line", midLine)].map { name, cut in
            let path = directory + "/cut-\(name).yaml"
            try Data(shipped.prefix(cut)).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    @Test func everyDaemonAndTheCheckRefuseACutFileInOneLine() throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        for file in try Self.cutFiles(in: suite.directory) {
            for daemon in Self.daemons {
                let run = try SuiteProcess.run(SuiteProcess.binDirectory + "/" + daemon, ["--config", file], limit: .seconds(60))
                #expect(run.status == 78, "\(daemon) on \(file): \(run.stderr)")
                #expect(run.stderr.split(separator: "\n").count == 1, "\(daemon) on \(file): one line: \(run.stderr)")
                #expect(run.stderr.contains(file), "\(daemon) on \(file): \(run.stderr)")
            }
            let check = try SuiteProcess.run(SuiteProcess.binDirectory + "/bookctl", ["config", "check", file])
            #expect(check.status == 1, "\(check.stdout)")
            #expect(check.stderr.split(separator: "\n").count == 1 && check.stderr.contains(file), "\(check.stderr)")
        }
    }

    @Test func garbageIsRefusedInOneLine() throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        let file = suite.directory + "/garbage.yaml"
        var generator = SystemRandomNumberGenerator()
        try Data((0..<2000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: file))
        for daemon in Self.daemons {
            let run = try SuiteProcess.run(SuiteProcess.binDirectory + "/" + daemon, ["--config", file], limit: .seconds(60))
            #expect(run.status == 78)
            #expect(run.stderr.split(separator: "\n").count == 1, "\(daemon): \(run.stderr.debugDescription)")
        }
    }

    @Test func theCheckAndEachDaemonSayTheDefaultsOfWhatTheFileLeavesOut() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        let check = try SuiteProcess.run(SuiteProcess.binDirectory + "/bookctl", ["config", "check", suite.configPath])
        #expect(check.status == 0, "\(check.stderr)")
        let said = "\(suite.configPath) has no `metrics` section: no daemon serves metrics"
        #expect(check.stdout.contains("defaults for what the file leaves out:\n"), "\(check.stdout)")
        #expect(check.stdout.contains(said), "\(check.stdout)")
        #expect(check.stdout.contains("has no `bookings` section: at most 2 future bookings per contact"), "\(check.stdout)")
        try await suite.start("bookingd")
        let log = suite.log("bookingd")
        #expect(log.components(separatedBy: "has no `metrics` section: bookingd serves no metrics").count == 2, "once: \(log)")
        #expect(log.contains("has no `bookings` section"), "\(log)")
    }

    @Test func anUnreadableDatabaseIsRefusedNamingTheFile() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try FileManager.default.createDirectory(atPath: suite.directory + "/lib", withIntermediateDirectories: true)
        try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: suite.directory + "/lib/notifyd.sqlite"))
        let run = try SuiteProcess.run(SuiteProcess.binDirectory + "/notifyd", ["--config", suite.configPath], limit: .seconds(60))
        #expect(run.status != 0)
        #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
        #expect(run.stderr.contains("\(suite.directory)/lib/notifyd.sqlite: it is not an SQLite database"), "\(run.stderr)")
    }

    /// Started outside systemd with umask 022, the suite's files are its own: no file or
    /// directory it wrote is writable by the group or others, or readable by others.
    @Test func whatTheSuiteWritesIsNotForOtherUsersWhateverTheUmask() async throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        var options = SuiteProcess.Options()
        options.extra = "backups:\n  keep_daily: 2\n  at: \"00:00\"\n"
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start()
        let booked = try suite.bookctl(["book", "--start", "2026-12-02T11:00:00+03:00", "--name", "Клиент", "--email", "client@example.com",
                                        "--phone", "+7 916 000-00-01"])
        #expect(booked.status == 0, "\(booked.stderr)")
        try await eventually(.seconds(30)) {
            ((try? FileManager.default.contentsOfDirectory(atPath: suite.directory + "/mail")) ?? []).filter { $0.hasSuffix(".eml") }.count >= 2
        }
        #expect(try suite.bookctl(["backup", suite.directory + "/backup/now"]).status == 0)
        try await eventually(.seconds(30)) { FileManager.default.fileExists(atPath: suite.directory + "/lib/backups") }
        suite.stop()

        // The test's own files (the configuration, secrets, daemons' output) are not the suite's.
        let tests = Set(["booking.yaml", "webhook-secret", "sms-api-key"])
        var checked = 0
        let enumerator = try #require(FileManager.default.enumerator(atPath: suite.directory))
        for case let relative as String in enumerator {
            let name = (relative as NSString).lastPathComponent
            if tests.contains(relative) || (!relative.contains("/") && name.hasSuffix(".log")) { continue }
            var status = stat()
            guard lstat(suite.directory + "/" + relative, &status) == 0 else { continue }
            let kind = status.st_mode & S_IFMT
            guard kind == S_IFREG || kind == S_IFDIR else { continue }
            checked += 1
            let mode = status.st_mode & 0o777
            // The daemons' shared backup folders are the group's (installed, they are three users
            // of the group `booking`), never others'.
            let shared = kind == S_IFDIR && (relative == "lib/backups" || relative.hasPrefix("lib/backups/"))
            #expect(mode & (shared ? 0o007 : 0o027) == 0, "\(relative) is \(String(mode, radix: 8))")
        }
        #expect(checked > 10, "the databases, their logs, mail, backups and manifest were found")
    }
}

/// notifyd on a disk that fills up while it works, then is freed: it goes on by itself.
@Suite(.serialized, .enabled(if: SmallDisk.isAvailable, "mounts a tmpfs: root only"))
struct FullDiskTests {
    @Test func notifydSendsEveryMessageOnceAfterTheDiskIsFreedWithoutARestart() async throws {
        let servers = try NotificationTests.Servers()
        defer { servers.stop() }
        let suite = try NotificationTests.suite(servers)
        defer { suite.tearDown() }
        let disk = try SmallDisk(megabytes: 4)
        defer { disk.unmount() }
        // notifyd alone keeps its database on the small disk.
        let notifydFile = suite.directory + "/notifyd.yaml"
        let text = try String(contentsOfFile: suite.configPath, encoding: .utf8)
        try text.replacingOccurrences(of: "state_directory: lib\n", with: "state_directory: \(disk.directory)\n")
            .write(toFile: notifydFile, atomically: true, encoding: .utf8)
        try await suite.start("bookingd")
        try await suite.start("availabilityd")
        try await suite.start("notifyd", config: notifydFile)
        let pid = suite.pid("notifyd")

        var references = [try NotificationTests().book(suite, "2026-12-02T11:00", 1)]
        _ = try await servers.smtp.waitForMessages(count: 2, timeout: .seconds(30))
        // Two bookings whose emails are being sent (the mail server hangs) when the disk fills:
        // what happened to them can only be recorded once it is freed. Their SMS and @chat
        // posts, sent meanwhile, say that their events were applied and their messages claimed.
        servers.smtp.pause()
        for (n, start) in ["2026-12-02T11:30", "2026-12-02T12:00"].enumerated() {
            references.append(try NotificationTests().book(suite, start, n + 2))
        }
        _ = try await servers.http.waitForRequests(count: 6, timeout: .seconds(60))
        try disk.fill()
        servers.smtp.resume()
        // And one booking whose event comes while the disk is full.
        references.append(try NotificationTests().book(suite, "2026-12-02T12:30", 4))
        try await eventually(.seconds(60)) { suite.log("notifyd").contains("recording a delivery's outcome failed; trying again until it works") }
        try await Task.sleep(for: .seconds(2))
        try disk.free()

        let mails = try await servers.smtp.waitForMessages(count: 8, timeout: .seconds(90))
        _ = try await servers.http.waitForRequests(count: 8, timeout: .seconds(90))
        try await eventually(.seconds(60)) {
            try references.allSatisfy { reference in
                let rows = try suite.bookctlJSON(["notifications", reference]) as? [[String: Any]] ?? []
                return rows.count == 4 && rows.allSatisfy { $0["state"] as? String == "sent" }
            }
        }
        #expect(suite.pid("notifyd") == pid && suite.daemons["notifyd"]?.isRunning == true, "no restart")
        #expect(suite.log("notifyd").contains("works again"))
        // Each message once: nothing more arrives, and no Message-ID twice.
        try await Task.sleep(for: .seconds(3))
        #expect(servers.smtp.messages.count == 8, "\(servers.smtp.messages.count) emails")
        #expect(Set(servers.smtp.messages.map(\.messageID)).count == 8)
        #expect(servers.http.requests.count == 8, "\(servers.http.requests.count) SMS and @chat posts")
        _ = mails
    }
}
