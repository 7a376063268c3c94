import AvailabilityStore
import Foundation
import GRDB
import PostgresStorage
import PostgresTesting
import SQLiteStorage
import StoreSQL
import Testing

/// The engines the store tests run on: every test of `CalendarStore`'s behaviour runs on both;
/// what only one engine has is tested on its own.
enum CalendarEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }
}

/// A new, empty store on one engine: an SQLite file in a temporary directory, or a database of
/// its own on the tests' PostgreSQL server (in the schema `availabilityd`, as the daemon opens it).
struct CalendarStoreFixture {
    let engine: CalendarEngine
    let store: any CalendarStore
    /// The SQLite file's path, or the PostgreSQL database's settings.
    let path: String
    let postgres: PostgresSettings?

    init(_ engine: CalendarEngine) async throws {
        self.engine = engine
        switch engine {
        case .sqlite:
            path = NSTemporaryDirectory() + "calendar-store-\(UUID().uuidString)/availabilityd.sqlite"
            postgres = nil
            store = try SQLiteCalendarStore(path: path)
        case .postgresql:
            let settings = try await PostgresTestServer.shared.makeDatabase().schema("availabilityd")
            path = ""
            postgres = settings
            store = try await PostgresCalendarStore(settings: settings)
        }
    }

    /// Another replica on the same store: its own pool on the database, or its own handle on the file.
    func secondReplica() async throws -> any CalendarStore {
        switch engine {
        case .sqlite: try SQLiteCalendarStore(path: path)
        case .postgresql: try await PostgresCalendarStore(settings: try #require(postgres))
        }
    }

    /// One column of a table's rows as the engine keeps them, read past the store.
    func integers(_ sql: String) async throws -> [Int64] {
        let rows: [SQLRow]
        switch engine {
        case .sqlite:
            let pool = try DatabasePool(path: path)
            defer { try? pool.close() }
            rows = try await pool.read { db in try SQLiteTransaction(db).rows(sql, []) }
        case .postgresql:
            let pool = PostgresPool(settings: try #require(postgres), connections: 1)
            rows = try await pool.transaction { transaction in try transaction.rows(sql, []) }
            await pool.close()
        }
        return rows.compactMap { Int64(sqlValue: $0[0]) }
    }
}
