import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import Testing

@Suite(.serialized) struct BackupTests {
    @Test func aBackupTakenDuringABurstRestoresEveryBookingAcknowledgedBeforeIt() async throws {
        var options = SuiteProcess.Options()
        options.consultants = (1...8).map { "c\($0)" }
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start()
        let bookingd = try await suite.client("bookingd", timeout: .seconds(10))
        let acknowledged = Collected<String>()
        let burst = Task {
            await withTaskGroup(of: Void.self) { group in
                for n in 0..<144 {
                    group.addTask {
                        let day = [2, 3, 4, 7, 8, 9, 10, 11][n / 18], slot = n % 18
                        let start = ISO8601.parseInstant(String(format: "2026-12-%02dT%02d:%02d:00+03:00", day, 9 + slot / 2, slot % 2 * 30))!
                        if let booked: AppointmentBody = try? await bookingd.call(MessageType.book, BookRequest(start: start, contact: contact(n)), idempotencyKey: "b-\(n)") {
                            acknowledged.append(booked.reference)
                        }
                    }
                }
            }
        }
        try await eventually { acknowledged.items.count >= 20 }
        let before = Set(acknowledged.items)
        let directory = suite.directory + "/backup"
        let backup = try suite.bookctl(["backup", directory])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("integrity ok"))
        await burst.value

        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))) as? [String: Any])
        #expect((manifest["files"] as? [[String: Any]])?.compactMap { $0["daemon"] as? String } == ["bookingd", "availabilityd", "notifyd"])
        #expect((try? FileManager.default.contentsOfDirectory(atPath: suite.directory + "/lib/backups"))?.isEmpty ?? true, "the daemons' hand-over copies are gone")

        // Restoring needs a stopped suite.
        let running = try suite.bookctl(["restore", directory])
        #expect(running.status == 1)
        #expect(running.stderr.contains("stop the suite"))

        suite.stop()
        let restore = try suite.bookctl(["restore", directory])
        #expect(restore.status == 0, "\(restore.stderr)")
        try await suite.start()
        let listed = try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]])
        let restored = Set(listed.compactMap { $0["reference"] as? String })
        #expect(before.isSubset(of: restored), "every booking acknowledged before the backup began is back")
        // Healthy once notifyd has worked off the burst's messages.
        try await eventually(.seconds(30)) { try suite.bookctl(["health"]).status == 0 }

        // A backup never overwrites, and a damaged one is refused before anything changes.
        let again = try suite.bookctl(["backup", directory])
        #expect(again.status == 2)
        #expect(again.stderr.contains("not empty"))
        suite.stop()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/bookingd.sqlite"))
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data(repeating: 0xAB, count: 8192))
        try handle.close()
        let files = { try FileManager.default.contentsOfDirectory(atPath: suite.directory + "/lib").sorted() }
        let untouched = try files()
        let damaged = try suite.bookctl(["restore", directory])
        #expect(damaged.status != 0)
        #expect(damaged.stderr.contains("nothing was restored") || damaged.stderr.contains("malformed") || damaged.stderr.contains("not a database"), "\(damaged.stderr)")
        #expect(try files() == untouched, "a refused restore moves and writes nothing")
        try await suite.start()
        let still = try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]])
        #expect(Set(still.compactMap { $0["reference"] as? String }) == restored)
    }

    @Test func dailyBackupsAreTakenAndOnlyTheNewestAreKept() async throws {
        var options = SuiteProcess.Options()
        options.extra = "backups:\n  keep_daily: 2\n  at: \"00:00\"\n"
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        let backups = suite.directory + "/lib/backups"
        for day in ["2026-11-28", "2026-11-29", "2026-11-30"] {
            try FileManager.default.createDirectory(atPath: "\(backups)/\(day)", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: "\(backups)/\(day)/bookingd.sqlite", contents: Data("old".utf8))
        }
        try await suite.start()
        try await eventually {
            FileManager.default.fileExists(atPath: "\(backups)/2026-12-01/bookingd.sqlite")
                && FileManager.default.fileExists(atPath: "\(backups)/2026-12-01/availabilityd.sqlite")
        }
        try await eventually { (try? FileManager.default.contentsOfDirectory(atPath: backups).sorted()) == ["2026-11-30", "2026-12-01"] }
    }
}
