import PostgresStorage
import PostgresTesting
import StoreSQL
import Testing

/// Migrations run once, whichever instance starts first.
struct PostgresMigratorTests {
    static let migrator = PostgresMigrator(store: "bookingd", migrations: [
        PostgresMigration(version: 1, name: "steps") { transaction in
            try transaction.execute("CREATE TABLE steps (version bigint NOT NULL)", [])
            // Long enough that the other instance is waiting on the lock meanwhile.
            try transaction.execute("SELECT pg_sleep(0.3)", [])
            try transaction.execute("INSERT INTO steps VALUES (1)", [])
        },
        PostgresMigration(version: 2, name: "second step", statements: ["INSERT INTO steps VALUES (2)"]),
    ])

    @Test func twoInstancesStartingAtOnceRunEachStepOnce() async throws {
        let settings = try await PostgresTestServer.shared.makeDatabase()
        let first = PostgresPool(settings: settings, connections: 1)
        let second = PostgresPool(settings: settings, connections: 1)
        async let one = Self.migrator.migrate(first)
        async let other = Self.migrator.migrate(second)
        let applied = try await [one, other]
        #expect(applied.sorted { $0.count < $1.count } == [[], [1, 2]])
        let steps = try await first.transaction { try $0.rows("SELECT version FROM steps ORDER BY version", []).map { $0[0] } }
        #expect(steps == [.integer(1), .integer(2)])
        let recorded = try await first.transaction { try $0.rows("SELECT store, version, name FROM schema_migrations ORDER BY version", []).map(\.values) }
        #expect(recorded == [[.text("bookingd"), .integer(1), .text("steps")], [.text("bookingd"), .integer(2), .text("second step")]])
        #expect(try await Self.migrator.migrate(first) == [])
        await first.close()
        await second.close()
    }

    @Test func aStoreWhoseSchemaIsNewerThanTheProgramIsRefused() async throws {
        try await withDatabase { pool in
            try await Self.migrator.migrate(pool)
            let older = PostgresMigrator(store: "bookingd", migrations: Array(Self.migrator.migrations.prefix(1)))
            await #expect(throws: PostgresStorageError.schemaNewerThanProgram(store: "bookingd", databaseVersion: 2, programVersion: 1)) {
                try await older.migrate(pool)
            }
            // Another store's steps in the same database are its own.
            let other = PostgresMigrator(store: "notifyd", migrations: [PostgresMigration(version: 1, name: "n", statements: ["CREATE TABLE n (x bigint)"])])
            #expect(try await other.migrate(pool) == [1])
        }
    }

    @Test func aFailedStepLeavesTheSchemaAsItWas() async throws {
        try await withDatabase { pool in
            let broken = PostgresMigrator(store: "bookingd", migrations: [
                PostgresMigration(version: 1, name: "fine", statements: ["CREATE TABLE fine (x bigint)"]),
                PostgresMigration(version: 2, name: "broken", statements: ["CREATE TABLE broken (x nosuchtype)"]),
            ])
            await #expect(throws: SQLFailure.self) { try await broken.migrate(pool) }
            let tables = try await pool.transaction {
                try $0.rows("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('fine', 'schema_migrations')", [])[0][0]
            }
            #expect(tables == .integer(0))
        }
    }

    @Test func eachDaemonsTablesLiveInItsOwnSchemaMadeByItsMigrator() async throws {
        let database = try await PostgresTestServer.shared.makeDatabase()
        let bookingd = PostgresPool(settings: database.schema("bookingd"), connections: 1)
        let notifyd = PostgresPool(settings: database.schema("notifyd"), connections: 1)
        let table = [PostgresMigration(version: 1, name: "things", statements: ["CREATE TABLE things (daemon text)"])]
        #expect(try await PostgresMigrator(store: "bookingd", migrations: table).migrate(bookingd) == [1])
        #expect(try await PostgresMigrator(store: "notifyd", migrations: table).migrate(notifyd) == [1], "its own schema_migrations too")
        try await bookingd.transaction { try $0.execute("INSERT INTO things VALUES ('bookingd')", []) }
        let schemas = try await notifyd.transaction { transaction in
            try transaction.rows("SELECT table_schema FROM information_schema.tables WHERE table_name = 'things' ORDER BY 1", []).map { $0[0] }
        }
        #expect(schemas == [.text("bookingd"), .text("notifyd")])
        #expect(try await notifyd.transaction { try $0.rows("SELECT count(*) FROM things", [])[0][0] } == .integer(0))
        await bookingd.close()
        await notifyd.close()
    }
}
