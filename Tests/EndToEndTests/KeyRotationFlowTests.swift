import BookingProtocol
import CivilTime
import DaemonKit
import FieldEncryption
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `bookctl keys rotate-master` against the running suite: bookingd killed with -9 in the middle
/// of a rotation starts again with its old key, reads every booking, and the same command
/// finishes the rotation; afterwards the new key opens everything and the old one nothing.
@Suite(.serialized) struct KeyRotationFlowTests {
    @Test func aRotationKilledMidwayIsFinishedByTheSameCommand() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd", attempts: 3)
        var booked: [AppointmentBody] = []
        for (n, time) in zip(60..., Self.times) {
            booked.append(try await bookingd.call(MessageType.book, BookRequest(start: try #require(ISO8601.parseInstant(time)), contact: contact(n)),
                                                  idempotencyKey: "rotation-\(n)"))
        }
        let configuration = try suite.configuration()
        let keyFile = MasterKeySource(daemon: "bookingd", databasePath: configuration.databasePath("bookingd.sqlite")).developmentFile
        let oldKey = try #require(FileManager.default.contents(atPath: keyFile))

        // One client key per step, and bookingd killed as soon as bookctl reports the first.
        let run = try Self.startBookctl(suite, ["keys", "rotate-master", "--daemon", "bookingd", "--batch", "1"])
        var said = ""
        while !said.contains("re-wrapped") {
            let chunk = run.stderr.availableData
            if chunk.isEmpty { break }
            said += String(decoding: chunk, as: UTF8.self)
        }
        suite.kill9("bookingd")
        run.process.waitUntilExit()
        said += String(decoding: try run.stderr.readToEnd() ?? Data(), as: UTF8.self)
        #expect(run.process.terminationStatus != 0, "bookctl cannot have finished: \(said)")
        #expect(said.contains("rotating the master key"), "\(said)")
        let nextKey = try #require(FileManager.default.contents(atPath: keyFile + ".next"), "the new key is kept beside the old one")
        #expect(FileManager.default.contents(atPath: keyFile) == oldKey)

        // Started again with its old key, bookingd is in the middle of the rotation and reads everything.
        try await suite.start("bookingd")
        let halfway = try #require(try suite.bookctlJSON(["keys", "status"]) as? [[String: Any]])
        let next = MasterKey(try SecretKey(keyFile: Array(nextKey)))
        let bookingdStatus = try #require(halfway.first { $0["daemon"] as? String == "bookingd" })
        #expect(bookingdStatus["rotation_to"] as? String == next.fingerprint, "\(halfway)")
        #expect((bookingdStatus["remaining"] as? Int ?? 0) > 0, "\(halfway)")
        try await Self.expectEveryBookingReads(booked, bookingd)

        // The same command goes on with the same key, finishes, and rotates notifyd's as well.
        let again = try suite.bookctl(["keys", "rotate-master"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("going on with the rotation to \(next.fingerprint)"), "\(again.stderr)")
        #expect(again.stdout.contains("bookingd: the master key is now \(next.fingerprint)"), "\(again.stdout)")
        #expect(again.stdout.contains("notifyd: the master key is now"), "\(again.stdout)")
        #expect(FileManager.default.contents(atPath: keyFile) == nextKey)
        #expect(!FileManager.default.fileExists(atPath: keyFile + ".next"))
        let folder = (keyFile as NSString).deletingLastPathComponent
        let retired = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("bookingd-master.key.retired-") }
        #expect(retired.count == 1)
        #expect(retired.first.flatMap { FileManager.default.contents(atPath: folder + "/" + $0) } == oldKey, "the old key is kept for older backups")
        let after = try #require(try suite.bookctlJSON(["keys", "status"]) as? [[String: Any]])
        #expect(after.allSatisfy { $0["rotation_to"] == nil }, "\(after)")
        #expect(after.first { $0["daemon"] as? String == "bookingd" }?["fingerprint"] as? String == next.fingerprint)

        // Restarted, bookingd takes the new key and reads everything; the old key opens nothing.
        #expect(suite.terminate("bookingd") == 0)
        try await suite.start("bookingd")
        try await Self.expectEveryBookingReads(booked, bookingd)
        #expect(suite.log("bookingd").contains("master key for clients' personal data from the development key file"))
        #expect(suite.terminate("bookingd") == 0)
        try oldKey.write(to: URL(fileURLWithPath: keyFile))
        let refused = try SuiteProcess.run(SuiteProcess.binDirectory + "/bookingd", ["--config", suite.configPath])
        #expect(refused.status == 1)
        #expect((refused.stdout + refused.stderr).contains("is not the one"), "\(refused.stderr)")
        try nextKey.write(to: URL(fileURLWithPath: keyFile))
        try await suite.start("bookingd")
        // notifyd, restarted with its new key, still shows what it sent.
        #expect(suite.terminate("notifyd") == 0)
        try await suite.start("notifyd")
        let notifications = try suite.bookctl(["notifications", booked[0].reference])
        #expect(notifications.status == 0 && notifications.stdout.contains("email"), "\(notifications.stdout)\(notifications.stderr)")
    }

    static let times = (2...4).flatMap { day in
        ["10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "14:00", "14:30"].map { "2026-12-0\(day)T\($0):00+03:00" }
    }

    static func expectEveryBookingReads(_ booked: [AppointmentBody], _ bookingd: DaemonClient) async throws {
        for appointment in booked {
            let shown: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: appointment.reference))
            #expect(shown == appointment)
        }
    }

    static func startBookctl(_ suite: SuiteProcess, _ arguments: [String]) throws -> (process: Process, stderr: FileHandle) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SuiteProcess.binDirectory + "/bookctl")
        process.arguments = arguments + ["--config", suite.configPath]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, err.fileHandleForReading)
    }
}
