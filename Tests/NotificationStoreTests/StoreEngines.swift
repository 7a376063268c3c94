import BookingProtocol
import FieldEncryption
import Foundation
import NotificationStore
import PostgresStorage
import PostgresTesting
import Testing

/// The engines every store test runs on.
enum Engine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }
}

/// One database of a test's own (a file, or a fresh database on the shared PostgreSQL test
/// server), and the notifyd instances opened on it.
final class TestDatabase: Sendable {
    let engine: Engine
    let master = MasterKey(.random())
    private let path: String?
    private let settings: PostgresSettings?

    init(_ engine: Engine) async throws {
        self.engine = engine
        switch engine {
        case .sqlite:
            let directory = NSTemporaryDirectory() + "notify-store-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            path = directory + "/notifyd.sqlite"
            settings = nil
        case .postgresql:
            path = nil
            settings = try await PostgresTestServer.shared.makeDatabase()
        }
    }

    /// An instance of notifyd's store on the database, claiming as `instance`.
    func open(instance: String = "local", lease: Duration = .seconds(600)) async throws -> any NotificationStore {
        let claimant = Claimant(instance: instance, lease: lease)
        if let path { return try SQLiteNotificationStore(path: path, masterKey: master, claimant: claimant) }
        return try await PostgresNotificationStore(settings: settings!, masterKey: master, claimant: claimant, connections: 2)
    }

    /// Ends an instance (its connections, or the file's pool).
    func close(_ store: any NotificationStore) async throws {
        if let store = store as? SQLiteNotificationStore { try store.close() }
        if let store = store as? PostgresNotificationStore { await store.close() }
    }
}

/// Runs `body` with an instance on a new database of `engine`, closed afterwards.
func withStore(_ engine: Engine, _ body: (any NotificationStore, TestDatabase) async throws -> Void) async throws {
    let database = try await TestDatabase(engine)
    let store = try await database.open()
    do {
        try await body(store, database)
    } catch {
        try? await database.close(store)
        throw error
    }
    try await database.close(store)
}

/// An appointment of client c1 with Anna, as bookingd's events carry it.
func appointmentBody(start: Date, now: Date) -> AppointmentBody {
    AppointmentBody(
        reference: "BK-REF", id: "a1", clientId: "c1", consultantId: "anna", start: start, end: start.addingTimeInterval(1800), status: "confirmed",
        contact: ContactBody(name: "Anna", email: "anna@example.com", phone: "+79161234567", company: nil), timeZone: "Europe/Moscow",
        locale: "ru", createdAt: now, updatedAt: now, reminderSent: false, revision: 0
    )
}
