import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import Testing

/// bookingd's master key: a database encrypted with one key is opened with that key only; the
/// wrong key, or none, is refused in one line before any file is touched.
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

        let lib = suite.directory + "/lib"
        let keyFile = lib + "/bookingd-master.key"
        let key = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        let files = { () throws -> [String: Data] in
            let names = try FileManager.default.contentsOfDirectory(atPath: lib).filter { $0.hasPrefix("bookingd.sqlite") }
            return Dictionary(uniqueKeysWithValues: try names.map { ($0, try Data(contentsOf: URL(fileURLWithPath: lib + "/" + $0))) })
        }
        let before = try files()

        try Data((Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))
        chmod(keyFile, 0o600)
        let wrong = try SuiteProcess.run(SuiteProcess.binDirectory + "/bookingd", ["--config", suite.configPath], limit: .seconds(60))
        #expect(wrong.status == 1)
        #expect(wrong.stderr.split(separator: "\n").count == 1, "one line: \(wrong.stderr)")
        #expect(wrong.stderr.contains("is not the one") && wrong.stderr.contains("nothing was changed"), "\(wrong.stderr)")
        #expect(try files() == before, "the database, its -wal and -shm are as they were")

        try FileManager.default.removeItem(atPath: keyFile)
        let missing = try SuiteProcess.run(SuiteProcess.binDirectory + "/bookingd", ["--config", suite.configPath], limit: .seconds(60))
        #expect(missing.status == 1)
        #expect(missing.stderr.split(separator: "\n").count == 1, "one line: \(missing.stderr)")
        #expect(missing.stderr.contains("no master key was given") && missing.stderr.contains("bookingd-master-key"), "\(missing.stderr)")
        #expect(try files() == before)
        #expect(!FileManager.default.fileExists(atPath: keyFile), "no new key is made for an encrypted database")

        // With its key back, the booking is there as it was.
        try key.write(to: URL(fileURLWithPath: keyFile))
        chmod(keyFile, 0o600)
        try await suite.start("bookingd")
        let again = try await suite.client("bookingd", timeout: .seconds(10))
        let shown: AppointmentBody = try await again.call(MessageType.get, ReferenceRequest(reference: booked.reference))
        #expect(shown.start == booked.start && shown.consultantId == booked.consultantId && shown.status == booked.status)
        await again.close()
    }
}
