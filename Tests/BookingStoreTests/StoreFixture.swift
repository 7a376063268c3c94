import BookingDomain
import BookingProtocol
@testable import BookingStore
import FieldEncryption
import Foundation
import PostgresStorage
import PostgresTesting
import Testing

/// The engines the shared store tests run on: every test of `BookingStore`'s behaviour runs on
/// both; what only one engine has is tested on its own.
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }
}

/// A day of bookings to test with: the clock, a slot, the horizon and a booking per number.
protocol StoreScenario {}

extension StoreScenario {
    var now: Date { Date(timeIntervalSince1970: 1_796_101_200) }  // 2026-12-01T05:00:00Z = 08:00 MSK
    var slot: DateTimeRange { try! DateTimeRange(start: Date(timeIntervalSince1970: 1_796_194_800), end: Date(timeIntervalSince1970: 1_796_196_600)) }
    var horizon: Date { Date(timeIntervalSince1970: 1_796_101_200 + 14 * 86_400) }

    func context(_ command: String = "book", key: String? = nil, digest: String = "d", actor: Actor = .client) -> CommandContext {
        CommandContext(command: command, correlationId: UUID().uuidString, idempotencyKey: key, digest: digest, actor: actor, user: nil, now: now)
    }

    func booking(_ n: Int, candidates: [String] = ["anna", "boris"], slot: DateTimeRange? = nil, consultant: String? = nil) throws -> NewBooking {
        NewBooking(
            reference: .random(), slot: slot ?? self.slot, candidates: candidates, requestedConsultant: consultant, horizonEnd: horizon,
            contact: try ContactInfo.validated(name: "Client \(n)", email: "c\(n)@example.com", phone: "+7916123\(String(format: "%04d", n))"),
            timeZone: "Europe/Moscow", locale: "ru"
        )
    }
}

/// A new, empty store on one engine: an SQLite file in a temporary directory, or a database of
/// its own on the tests' PostgreSQL server.
struct StoreFixture: StoreScenario {
    let engine: StoreEngine
    let store: any BookingStore
    let master: MasterKey
    /// The PostgreSQL database's settings (nil on SQLite), for a test that opens another pool on it.
    let postgres: PostgresSettings?
    private let temporary: TemporaryDirectory
    /// Where the SQLite file is (`bookingd.sqlite`); empty on PostgreSQL.
    var directory: String { temporary.path }

    init(_ engine: StoreEngine, master: MasterKey = MasterKey(SecretKey.random())) async throws {
        self.engine = engine
        self.master = master
        temporary = TemporaryDirectory()
        switch engine {
        case .sqlite:
            postgres = nil
            store = try SQLiteBookingStore(path: temporary.path + "/bookingd.sqlite", masterKey: master)
        case .postgresql:
            let settings = try await PostgresTestServer.shared.makeDatabase().schema("bookingd")
            postgres = settings
            store = try await PostgresBookingStore(pool: PostgresPool(settings: settings), masterKey: master)
        }
    }

    /// Another instance on the same PostgreSQL database: a pool and a store of its own.
    func secondInstance(retryPolicy: PostgresPool.RetryPolicy = .init()) async throws -> PostgresBookingStore {
        let settings = try #require(postgres, "a second instance is PostgreSQL's")
        return try await PostgresBookingStore(pool: PostgresPool(settings: settings, retryPolicy: retryPolicy), masterKey: master)
    }
}
