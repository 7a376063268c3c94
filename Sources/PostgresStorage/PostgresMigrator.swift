import StoreSQL

/// One step of a store's schema, run once in the database's life.
public struct PostgresMigration: Sendable {
    public let version: Int64
    public let name: String
    public let apply: @Sendable (PostgresTransaction) throws -> Void

    public init(version: Int64, name: String, apply: @escaping @Sendable (PostgresTransaction) throws -> Void) {
        self.version = version
        self.name = name
        self.apply = apply
    }

    /// A step that is only statements without arguments.
    public init(version: Int64, name: String, statements: [String]) {
        self.init(version: version, name: name) { transaction in
            for statement in statements { try transaction.execute(statement, []) }
        }
    }
}

/// Brings a store's schema forward: the steps the database has not had, in order, in one
/// transaction that holds an advisory lock for its length, each recorded in
/// `schema_migrations`. Several instances starting at once queue on the lock, and each step
/// runs once whichever instance comes first; a failed step leaves the schema as it was.
public struct PostgresMigrator: Sendable {
    public let store: String
    public let migrations: [PostgresMigration]

    /// The one lock every store's migrations take (any 64-bit number the suite keeps for this).
    static let lockKey: Int64 = 0x626F_6F6B_696E_6701

    public init(store: String, migrations: [PostgresMigration]) {
        precondition(zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version }, "migrations are listed in increasing version order")
        self.store = store
        self.migrations = migrations
    }

    /// The versions this call applied (none when another instance had applied them).
    @discardableResult
    public func migrate(_ pool: PostgresPool) async throws -> [Int64] {
        let schema = pool.settings.schema
        return try await pool.transaction { [store, migrations] transaction in
            try transaction.execute("SELECT pg_advisory_xact_lock(?)", Self.lockKey)
            // Made under the lock: two instances starting together would both try to make it.
            if let schema {
                try transaction.execute("CREATE SCHEMA IF NOT EXISTS \(schema)", [])
            }
            try transaction.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    store text NOT NULL,
                    version bigint NOT NULL,
                    name text NOT NULL,
                    applied_at_ms bigint NOT NULL,
                    PRIMARY KEY (store, version)
                )
                """, [])
            let newest = try transaction.row("SELECT max(version) AS version FROM schema_migrations WHERE store = ?", store)?["version"]
            let applied = newest.flatMap { Int64(sqlValue: $0) } ?? 0
            let programVersion = migrations.last?.version ?? 0
            guard applied <= programVersion else {
                throw PostgresStorageError.schemaNewerThanProgram(store: store, databaseVersion: applied, programVersion: programVersion)
            }
            var ran: [Int64] = []
            for migration in migrations where migration.version > applied {
                try migration.apply(transaction)
                try transaction.execute("""
                    INSERT INTO schema_migrations (store, version, name, applied_at_ms)
                    VALUES (?, ?, ?, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
                    """, store, migration.version, migration.name)
                ran.append(migration.version)
            }
            return ran
        }
    }
}
