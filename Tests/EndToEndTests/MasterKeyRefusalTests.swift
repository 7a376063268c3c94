import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import Testing

/// bookingd's and notifyd's master keys: a database encrypted with one key is opened with that
/// key only; the wrong key, or none, is refused in one line before any file is touched.
@Suite struct MasterKeyRefusalTests {
    @Test func bookingdRefusesTheWrongKeyOrNoneInOneLineAndTouchesNoFile() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start("bookingd")
        try await suite.start("availabilityd")
        #expect(suite.log("bookingd").contains("made a new master key"), "a new development key is said")
        let bookingd = try await suite.client("bookingd", timeout: .seconds(10))
        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(
            start: try #require(ISO8601.parseInstant("2026-12-02T11:00:00+03:00")), contact: contact(1)))
        await bookingd.close()
        suite.terminate("bookingd")

        try expectRefusals(of: "bookingd", in: suite)

        try await suite.start("bookingd")
        let again = try await suite.client("bookingd", timeout: .seconds(10))
        let shown: AppointmentBody = try await again.call(MessageType.get, ReferenceRequest(reference: booked.reference))
        #expect(shown.start == booked.start && shown.consultantId == booked.consultantId && shown.status == booked.status)
        await again.close()
    }

    @Test func notifydRefusesTheWrongKeyOrNoneInOneLineAndTouchesNoFile() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()
        #expect(suite.log("notifyd").contains("made a new master key"), "a new development key is said")
        let booked = try #require(try suite.bookctlJSON([
            "book", "--start", "2026-12-02T11:00:00+03:00", "--name", "Иван Петров", "--email", "ivan@example.com", "--phone", "+79161234567",
        ]) as? [String: Any])
        let reference = try #require(booked["reference"] as? String)
        var sent: [[String: Any]] = []
        try await eventually {
            sent = try suite.bookctlJSON(["notifications", reference]) as? [[String: Any]] ?? []
            return !sent.isEmpty && sent.allSatisfy { $0["state"] as? String == "sent" }
        }
        suite.terminate("notifyd")

        try expectRefusals(of: "notifyd", in: suite)

        // With its key back, what it sent reads as before.
        try await suite.start("notifyd")
        let shown = try #require(try suite.bookctlJSON(["notifications", reference]) as? [[String: Any]])
        #expect(shown.map { $0["id"] as? String } == sent.map { $0["id"] as? String })
        #expect(shown.map { $0["recipient"] as? String } == sent.map { $0["recipient"] as? String })
    }

    /// The daemon, stopped, started with a wrong key and then with none: each time one line and
    /// exit 1, its database files byte for byte as they were, no new key made; its key is put back.
    func expectRefusals(of daemon: String, in suite: SuiteProcess) throws {
        let lib = suite.directory + "/lib"
        let keyFile = lib + "/\(daemon)-master.key"
        let key = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        let files = { () throws -> [String: Data] in
            let names = try FileManager.default.contentsOfDirectory(atPath: lib).filter { $0.hasPrefix("\(daemon).sqlite") }
            return Dictionary(uniqueKeysWithValues: try names.map { ($0, try Data(contentsOf: URL(fileURLWithPath: lib + "/" + $0))) })
        }
        let before = try files()

        try Data((Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))
        chmod(keyFile, 0o600)
        let wrong = try SuiteProcess.run(SuiteProcess.binDirectory + "/\(daemon)", ["--config", suite.configPath], limit: .seconds(60))
        #expect(wrong.status == 1)
        #expect(wrong.stderr.split(separator: "\n").count == 1, "one line: \(wrong.stderr)")
        #expect(wrong.stderr.contains("is not the one") && wrong.stderr.contains("nothing was changed"), "\(wrong.stderr)")
        #expect(try files() == before, "the database, its -wal and -shm are as they were")

        try FileManager.default.removeItem(atPath: keyFile)
        let missing = try SuiteProcess.run(SuiteProcess.binDirectory + "/\(daemon)", ["--config", suite.configPath], limit: .seconds(60))
        #expect(missing.status == 1)
        #expect(missing.stderr.split(separator: "\n").count == 1, "one line: \(missing.stderr)")
        #expect(missing.stderr.contains("no master key was given") && missing.stderr.contains("\(daemon)-master-key"), "\(missing.stderr)")
        #expect(try files() == before)
        #expect(!FileManager.default.fileExists(atPath: keyFile), "no new key is made for an encrypted database")

        try key.write(to: URL(fileURLWithPath: keyFile))
        chmod(keyFile, 0o600)
    }
}
