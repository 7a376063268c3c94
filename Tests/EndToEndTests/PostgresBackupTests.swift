import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import PostgresStorage
import PostgresTesting
import Testing

extension SuiteProcess.Options {
    /// The configuration's `storage: postgresql` and `postgresql:` section for `database` of the test server.
    static func postgresql(_ database: PostgresSettings, connections: Int = 2) throws -> String {
        guard let passwordFile = database.passwordFile else { throw SuiteFailure("the test server's database has no password file") }
        return """
            storage: postgresql
            postgresql:
              url: \(database)
              password: \(passwordFile)
              connections: \(connections)

            """
    }
}

/// `bookctl backup` and `restore` with `storage: postgresql`: one pg_dump of the whole database,
/// restored into an empty database that the suite then runs on, erasures made since kept.
@Suite struct PostgresBackupTests {
    static func book(_ client: DaemonClient, _ n: Int, at time: String) async throws -> AppointmentBody {
        try await client.call(MessageType.book, BookRequest(start: try #require(ISO8601.parseInstant(time)), contact: contact(n)), idempotencyKey: "pg-backup-\(n)")
    }

    static func epoch(_ client: DaemonClient) async throws -> String? {
        let reply: ReplayReply = try await client.call(MessageType.replay, ReplayRequest(after: 0, limit: 1))
        return reply.epoch
    }

    static func appointments(in database: PostgresSettings) async throws -> Int {
        let pool = PostgresPool(settings: database, connections: 1)
        let count = try await pool.transaction { try $0.rows("SELECT id FROM bookingd.appointments", []).count }
        await pool.close()
        return count
    }

    @Test func aDumpRestoredIntoAnEmptyDatabaseHasTheBookingsBeforeItAndKeepsLaterErasures() async throws {
        let server = try await PostgresTestServer.shared
        let old = try await server.makeDatabase()
        var options = SuiteProcess.Options()
        options.extra = try SuiteProcess.Options.postgresql(old)
        let suite = try SuiteProcess(options)
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd", attempts: 3)
        let kept = try await Self.book(bookingd, 51, at: "2026-12-03T10:00:00+03:00")
        let erasedLater = try await Self.book(bookingd, 52, at: "2026-12-03T11:00:00+03:00")
        let oldEpoch = try #require(try await Self.epoch(bookingd))

        let directory = suite.directory + "/backup"
        let backup = try suite.bookctl(["backup", directory])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("PostgreSQL (availabilityd, bookingd, notifyd): postgresql.dump"), "\(backup.stdout)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))) as? [String: Any])
        #expect(manifest["format"] as? Int == 2)
        #expect((manifest["files"] as? [[String: Any]])?.compactMap { $0["daemon"] as? String } == [], "availabilityd's tables are in the dump too")
        let dump = try #require(manifest["postgresql"] as? [String: Any])
        #expect(dump["file"] as? String == "postgresql.dump")
        #expect((dump["schemas"] as? [String]).map { Set(["availabilityd", "bookingd", "notifyd"]).isSubset(of: $0) } == true, "\(dump)")
        #expect((dump["server_version"] as? String ?? dump["serverVersion"] as? String)?.hasPrefix("15.") == true, "\(dump)")
        #expect((dump["sha256"] as? String)?.count == 64)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/postgresql.dump")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect((attributes[.size] as? NSNumber)?.intValue == dump["bytes"] as? Int)
        #expect(!(backup.stdout + backup.stderr).contains(try String(contentsOfFile: try #require(old.passwordFile), encoding: .utf8)))

        let later = try await Self.book(bookingd, 53, at: "2026-12-03T12:00:00+03:00")
        let erase = try suite.bookctl(["privacy", "erase", "--email", contact(52).email, "--yes"])
        #expect(erase.status == 0, "\(erase.stderr)")
        suite.stop()

        // Into a database that holds the suite already: refused, and nothing changes there.
        let before = try await Self.appointments(in: old)
        let occupied = try suite.bookctl(["restore", directory])
        #expect(occupied.status == 1)
        #expect(occupied.stderr.contains("already holds the schemas"), "\(occupied.stderr)")
        #expect(try await Self.appointments(in: old) == before)

        // A damaged dump is refused before anything is touched: the empty database stays empty
        // (the restore below needs it so).
        let fresh = try await server.makeDatabase()
        let damaged = suite.directory + "/damaged"
        try FileManager.default.copyItem(atPath: directory, toPath: damaged)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: damaged + "/postgresql.dump"))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: damaged + "/postgresql.dump"))
        let refused = try suite.bookctl(["restore", damaged, "--into", "\(fresh)"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("damaged"), "\(refused.stderr)")

        let restore = try suite.bookctl(["restore", directory, "--into", "\(fresh)"])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout.contains("1 erasures recorded in \(old) applied to it again"), "\(restore.stdout)")
        try suite.editConfiguration { $0.replacingOccurrences(of: "url: \(old)", with: "url: \(fresh)") }
        try await suite.start()
        let client = try await suite.client("bookingd", attempts: 3)
        let listed = try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]])
        #expect(Set(listed.compactMap { $0["reference"] as? String }) == Set([kept.reference, erasedLater.reference]), "not \(later.reference), booked after the dump")
        let stillErased: AppointmentBody = try await client.call(MessageType.get, ReferenceRequest(reference: erasedLater.reference))
        #expect(stillErased.contact == ContactBody(name: "", email: "", phone: "") && stillErased.erasedAt != nil)
        let other: AppointmentBody = try await client.call(MessageType.get, ReferenceRequest(reference: kept.reference))
        #expect(other.contact == kept.contact)
        let newEpoch = try #require(try await Self.epoch(client))
        #expect(newEpoch != oldEpoch)
    }
}
