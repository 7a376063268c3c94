import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import PostgresTesting
import SuiteTesting
import Testing

/// Two availabilityd replicas and bookingd on one PostgreSQL database, all real processes
/// (issue 12: availabilityd's replicas are stateless followers): an admin's change through
/// either replica reaches both, bookingd's checks agree whichever replica answers, and the
/// suite goes on answering when one replica dies.
@Suite(.serialized) struct AvailabilityReplicasTests {
    static let replicas = ["availabilityd", "availabilityd-2"]

    static func makeSuite() async throws -> SuiteProcess {
        let database = try await PostgresTestServer.shared.makeDatabase()
        var options = SuiteProcess.Options()
        options.extra = try SuiteProcess.Options.postgresql(database, connections: 2) + """
            endpoints:
              availabilityd: [ipc://RUN/availabilityd.ipc, ipc://RUN/availabilityd-2.ipc]

            """
        let suite = try SuiteProcess(options)
        try suite.editConfiguration { $0.replacingOccurrences(of: "ipc://RUN/", with: "ipc://\(suite.runDirectory)/") }
        try await suite.start("bookingd")
        try await suite.start("availabilityd", environment: ["BOOKING_INSTANCE": "1"])
        try await suite.start("availabilityd", as: "availabilityd-2", environment: ["BOOKING_INSTANCE": "2"])
        try await suite.start("webd")
        for replica in replicas { try await waitUntilSynced(suite, replica) }
        return suite
    }

    static func waitUntilSynced(_ suite: SuiteProcess, _ replica: String) async throws {
        let client = try await suite.client(replica)
        try await eventually(TestTimeouts.scaled(.seconds(15))) {
            let ping: PingReply? = try? await client.call(MessageType.ping, Empty(), timeout: .seconds(1))
            return ping?.state == "ready"
        }
        await client.close()
    }

    /// The starts `replica` offers on `day`, with how many consultants are free at each.
    static func offered(_ suite: SuiteProcess, _ replica: String, on day: String) async throws -> [Date: Int] {
        let client = try await suite.client(replica)
        let reply: SlotsReply = try await client.call(MessageType.slots, SlotsRequest(from: day, days: 1))
        await client.close()
        return Dictionary(reply.slots.map { ($0.start, $0.free) }, uniquingKeysWith: max)
    }

    /// Whether `replica` takes a booking at `start` (`check_slot`), and the code when it does not.
    static func check(_ suite: SuiteProcess, _ replica: String, _ start: Date) async throws -> String {
        let client = try await suite.client(replica)
        let outcome: String
        do {
            let _: CheckSlotReply = try await client.call(MessageType.checkSlot, CheckSlotRequest(start: start))
            outcome = "free"
        } catch let error as ProtocolError {
            outcome = error.code.rawValue
        }
        await client.close()
        return outcome
    }

    @Test func aDayBlockedThroughOneReplicaLeavesBothAndBookingdAgrees() async throws {
        let suite = try await Self.makeSuite()
        defer { suite.tearDown() }
        let day = "2026-12-03", start = try #require(ISO8601.parseInstant("2026-12-03T11:00:00+03:00"))
        for replica in Self.replicas {
            #expect(try await Self.offered(suite, replica, on: day)[start] == 2, "\(replica) offers the day before the block")
        }

        let blocked = try suite.bookctl(["block", day, "--reason", "Works"])
        #expect(blocked.status == 0, "\(blocked.stderr)")
        try await eventually(TestTimeouts.scaled(.seconds(15))) {
            try await Self.replicas.asyncMap { try await Self.offered(suite, $0, on: day).isEmpty }.allSatisfy { $0 }
        }
        for replica in Self.replicas {
            #expect(try await Self.offered(suite, replica, on: day).isEmpty, "\(replica) still offers the blocked day")
            #expect(try await Self.check(suite, replica, start) == ErrorCode.outsideWorkingHours.rawValue)
        }

        // bookingd asks either replica: the same refusal every time, the same acceptance on an open day.
        let bookingd = try await suite.client("bookingd", timeout: .seconds(10))
        for n in 1...4 {
            do {
                let _: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: start, contact: contact(n)), idempotencyKey: "blocked-\(n)")
                Issue.record("booking \(n) on the blocked day was taken")
            } catch let error as ProtocolError {
                #expect(error.code == .outsideWorkingHours, "\(error)")
            }
        }
        let open = try #require(ISO8601.parseInstant("2026-12-04T11:00:00+03:00"))
        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: open, contact: contact(5)), idempotencyKey: "open-5")
        #expect(booked.status == "scheduled" || booked.status == "confirmed", "\(booked.status)")
        try await eventually(TestTimeouts.scaled(.seconds(15))) {
            try await Self.replicas.asyncMap { try await Self.offered(suite, $0, on: "2026-12-04")[open] }.allSatisfy { $0 == 1 }
        }
        for replica in Self.replicas {
            #expect(try await Self.offered(suite, replica, on: "2026-12-04")[open] == 1, "\(replica) sees the booking")
        }

        // Unblocked through the suite again: both offer the day once more.
        let unblocked = try suite.bookctl(["unblock", day])
        #expect(unblocked.status == 0, "\(unblocked.stderr)")
        try await eventually(TestTimeouts.scaled(.seconds(15))) {
            try await Self.replicas.asyncMap { try await Self.offered(suite, $0, on: day)[start] }.allSatisfy { $0 == 2 }
        }
        await bookingd.close()
    }

    /// One SQLite file has one availabilityd: a list of two with `storage: sqlite` stops it at start.
    @Test func sqliteRefusesSeveralReplicasNamingTheSetting() throws {
        var options = SuiteProcess.Options()
        options.extra = "endpoints:\n  availabilityd: [ipc://RUN/availabilityd.ipc, ipc://RUN/availabilityd-2.ipc]\n"
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try suite.editConfiguration { $0.replacingOccurrences(of: "ipc://RUN/", with: "ipc://\(suite.runDirectory)/") }
        let run = try SuiteProcess.run(SuiteProcess.binDirectory + "/availabilityd", ["--config", suite.configPath], limit: .seconds(60))
        #expect(run.status == 78, "\(run.stdout)\(run.stderr)")
        let lines = (run.stdout + run.stderr).split(separator: "\n").filter { $0.contains("endpoints.availabilityd") }
        #expect(lines.count == 1 && lines[0].contains("several availabilityd replicas need `storage: postgresql`"), "\(run.stderr)")
    }

    @Test func whenOneReplicaDiesBookctlAndWebdAnswerThroughTheOther() async throws {
        let suite = try await Self.makeSuite()
        defer { suite.tearDown() }
        suite.kill9("availabilityd")

        let slots = try suite.bookctl(["slots", "--from", "2026-12-03", "--days", "1", "--json"])
        #expect(slots.status == 0, "\(slots.stderr)")
        #expect(slots.stdout.contains("2026-12-03"), "\(slots.stdout)")
        let page = try await OneCalendarEntryTests.http("GET", suite.webURL + "/api/v1/slots?from=2026-12-03&days=1")
        #expect(page.status == 200, "\(String(decoding: page.body, as: UTF8.self))")
        #expect(((page.json["slots"] as? [[String: Any]])?.count ?? 0) > 0, "\(String(decoding: page.body, as: UTF8.self))")

        // An admin's change still goes through, and bookingd still books.
        let blocked = try suite.bookctl(["block", "2026-12-07", "--reason", "Works"])
        #expect(blocked.status == 0, "\(blocked.stderr)")
        #expect(try await Self.offered(suite, "availabilityd-2", on: "2026-12-07").isEmpty)
        let bookingd = try await suite.client("bookingd", timeout: .seconds(10))
        let start = try #require(ISO8601.parseInstant("2026-12-04T12:00:00+03:00"))
        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: start, contact: contact(7)), idempotencyKey: "after-kill")
        #expect(booked.reference.isEmpty == false)
        await bookingd.close()
    }
}
