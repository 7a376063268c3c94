import Foundation
import PostgresTesting
import StoreSQL
import Testing
@testable import PostgresStorage

/// pg_dump and pg_restore as bookctl runs them: how the connection URL becomes their arguments,
/// and a real dump of the test server checked and restored.
struct PostgresDumpTests {
    @Test func aUnixSocketURLBecomesItsDirectoryAndPort() throws {
        let settings = try PostgresSettings(url: "postgresql://booking@/suite?host=/run/postgresql&port=5433", passwordFile: "/run/credentials/x/pg")
        let connection = PostgresClientConnection(settings)
        #expect(connection.arguments == ["--host=/run/postgresql", "--port=5433", "--username=booking", "--dbname=dbname='suite'"])
        #expect(connection.environment.isEmpty)
    }

    @Test func aTCPURLKeepsItsHostPortAndTLS() throws {
        let verified = PostgresClientConnection(try PostgresSettings(url: "postgresql://booking@db1.example/suite", passwordFile: nil))
        #expect(verified.arguments == ["--host=db1.example", "--port=5432", "--username=booking", "--dbname=dbname='suite'"])
        #expect(verified.environment == ["PGSSLMODE": "verify-full"])
        let plain = PostgresClientConnection(try PostgresSettings(url: "postgresql://booking@[::1]:6432/suite?sslmode=disable", passwordFile: nil))
        #expect(plain.arguments == ["--host=::1", "--port=6432", "--username=booking", "--dbname=dbname='suite'"])
        #expect(plain.environment == ["PGSSLMODE": "disable"])
    }

    @Test func aDatabaseNameCannotBecomeConnectionParameters() throws {
        let settings = try PostgresSettings(url: "postgresql://booking@/x%27%20host%3Devil?host=/run/postgresql", passwordFile: nil)
        #expect(PostgresClientConnection(settings).arguments.last == #"--dbname=dbname='x\' host=evil'"#)
    }

    @Test func thePasswordFileLineEscapesColonsAndBackslashes() {
        #expect(PostgresClientConnection.passwordFileLine(#"a:b\c"#) == #"*:*:*:*:a\:b\\c"# + "\n")
    }

    @Test func theListGivesTheServerVersionAndTheSchemas() {
        let list = """
            ;
            ; Archive created at 2026-12-05 13:00:00 UTC
            ;     dbname: test_1
            ;     Dumped from database version: 15.14 (Debian 15.14-0+deb12u1)
            ;     Dumped by pg_dump version: 15.14 (Debian 15.14-0+deb12u1)
            ;
            6; 2615 16390 SCHEMA - notifyd postgres
            5; 2615 16386 SCHEMA - bookingd postgres
            2; 3079 16400 EXTENSION - btree_gist
            220; 1259 16401 TABLE bookingd appointments postgres
            """
        let contents = PostgresDumpContents(list: list)
        #expect(contents == PostgresDumpContents(serverVersion: "15.14 (Debian 15.14-0+deb12u1)", schemas: ["bookingd", "notifyd"]))
    }

    @Test func aDumpOfTheTestServerIsListedAndRestoredAndADamagedOneIsRefused() async throws {
        let server = try await PostgresTestServer.shared
        let source = try await server.makeDatabase()
        let pool = PostgresPool(settings: source, connections: 1)
        try await pool.withoutTransaction { transaction in
            try transaction.execute("CREATE SCHEMA bookingd", [])
            try transaction.execute("CREATE TABLE bookingd.kept (n integer)", [])
            try transaction.execute("INSERT INTO bookingd.kept VALUES (7)", [])
        }
        await pool.close()
        let directory = NSTemporaryDirectory() + "/pgdump-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The test server asks for a password: the dump gets it from its password file.
        try PostgresDump.dump(source, to: directory + "/all.dump")
        let contents = try PostgresDump.contents(of: directory + "/all.dump")
        #expect(contents.schemas == ["bookingd"])
        #expect(contents.serverVersion?.hasPrefix("15.") == true)

        let target = try await server.makeDatabase()
        #expect(try await PostgresDump.existingSchemas(["bookingd"], in: target) == [])
        try PostgresDump.restore(directory + "/all.dump", into: target)
        #expect(try await PostgresDump.existingSchemas(["bookingd", "notifyd"], in: target) == ["bookingd"])
        let restored = PostgresPool(settings: target, connections: 1)
        let rows = try await restored.transaction { try $0.rows("SELECT n FROM bookingd.kept", []).count }
        await restored.close()
        #expect(rows == 1)

        let whole = try Data(contentsOf: URL(fileURLWithPath: directory + "/all.dump"))
        // Cut inside its table of contents: the data after it is the manifest's SHA-256's to check.
        try whole.prefix(100).write(to: URL(fileURLWithPath: directory + "/half.dump"))
        #expect(throws: PostgresDumpError.self) { try PostgresDump.contents(of: directory + "/half.dump") }
    }

    @Test func aMissingProgramIsNamed() {
        #expect(throws: PostgresDumpError.programMissing(name: "pg_nothing", looked: PostgresDump.debianBinaries)) {
            try PostgresDump.program("pg_nothing", path: "/nonexistent")
        }
    }
}
