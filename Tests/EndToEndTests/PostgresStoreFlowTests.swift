import BookingProtocol
import CivilTime
import Foundation
import PostgresTesting
import Testing

/// bookingd on PostgreSQL (`storage: postgresql`), the real daemons against the tests' real
/// PostgreSQL 15 server: what it acknowledged is in the database, whatever happens to the process.
@Suite struct PostgresStoreFlowTests {
    @Test func bookingdKeepsItsBookingsInPostgreSQLAcrossARestart() async throws {
        let database = try await PostgresTestServer.shared.makeDatabase()
        var options = SuiteProcess.Options()
        options.extra = try SuiteProcess.Options.postgresql(database)
        let suite = try SuiteProcess(options)
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd", attempts: 3)
        let booked: AppointmentBody = try await bookingd.call(
            MessageType.book, BookRequest(start: try #require(ISO8601.parseInstant("2026-12-03T11:00:00+03:00")), contact: contact(4)),
            idempotencyKey: "on-postgresql"
        )
        #expect(suite.log("bookingd").contains("store: PostgreSQL"))
        let files = (try? FileManager.default.subpathsOfDirectory(atPath: suite.directory)) ?? []
        #expect(!files.contains { $0.hasSuffix("bookingd.sqlite") }, "no SQLite file: \(files)")

        suite.kill9("bookingd")
        try await suite.start("bookingd")
        let shown: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: booked.reference))
        #expect(shown == booked)
        let again: AppointmentBody = try await bookingd.call(
            MessageType.book, BookRequest(start: try #require(ISO8601.parseInstant("2026-12-03T11:00:00+03:00")), contact: contact(4)),
            idempotencyKey: "on-postgresql"
        )
        #expect(again == booked, "the retry after the restart gets the first answer")
        let listed = try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]])
        #expect(listed.map { $0["reference"] as? String } == [booked.reference])
    }
}
