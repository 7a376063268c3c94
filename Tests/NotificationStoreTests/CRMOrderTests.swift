import BookingProtocol
import FieldEncryption
import Foundation
import GRDB
import Notifications
@testable import NotificationStore
import Testing

/// A booking's CRM changes go one at a time and in order, so an update never goes before the
/// creation whose lead id it needs; other bookings and channels are not held up.
@Suite struct CRMOrderTests {
    let store: SQLiteNotificationStore
    let directory = NSTemporaryDirectory() + "crm-order-\(UUID().uuidString)"
    let master = MasterKey(.random())
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteNotificationStore(path: directory + "/notifyd.sqlite", masterKey: master)
    }

    @Test func theMigrationKeepsEveryDeliveryInItsOrder() async throws {
        let path = directory + "/v5.sqlite"
        let old = try DatabasePool(path: path)
        try SQLiteNotificationStore.migrator(masterKey: master).migrate(old, upTo: "v5: master key rotation")
        try await old.write { db in
            for id in ["d2", "d1", "d3"] {
                try db.execute(sql: """
                    INSERT INTO deliveries (id, appointment_id, client_id, reference, purpose, channel, audience, recipient, payload, state, created_at,
                                            next_attempt_at, erased_at)
                    VALUES (?, 'a1', 'c1', 'BK-REF', 'client-confirmation', 'email', 'client', x'00', x'00', 'sent', 1, 1, 5)
                    """, arguments: [id])
            }
        }
        try old.close()
        let migrated = try SQLiteNotificationStore(path: path, masterKey: master)
        try await migrated.queue([delivery("e9.lead-created.crm", appointment: "a1")], now: now)
        try migrated.close()
        let rows = try await DatabasePool(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT id, channel, erased_at FROM deliveries ORDER BY rowid").map { "\($0["id"] as String):\($0["channel"] as String)" }
        }
        #expect(rows == ["d2:email", "d1:email", "d3:email", "e9.lead-created.crm:crm"])
    }

    func delivery(_ id: String, appointment: String, channel: Channel = .crm) -> NewDelivery {
        NewDelivery(id: id, appointmentId: appointment, clientId: "c1", reference: "BK-REF", purpose: channel == .crm ? .leadCreated : .clientConfirmation,
                    channel: channel, audience: channel == .crm ? .team : .client, recipient: channel == .crm ? "crm" : "anna@example.com",
                    payload: Array(id.utf8))
    }

    @Test func anUpdateWaitsForTheCreation() async throws {
        try await store.apply([
            AppliedEvent(eventId: "e1", sequence: 1, deliveries: [delivery("e1.lead-created.crm", appointment: "a1"), delivery("e1.mail", appointment: "a1", channel: .email)],
                         reminder: .keep),
            AppliedEvent(eventId: "e2", sequence: 2, deliveries: [delivery("e2.lead-rescheduled.crm", appointment: "a1"), delivery("e2.lead-created.crm", appointment: "a2")],
                         reminder: .keep),
        ], now: now)
        let first = try await store.claimDue(now: now, limit: 10).map(\.delivery.id)
        #expect(Set(first) == ["e1.lead-created.crm", "e1.mail", "e2.lead-created.crm"])
        #expect(try await store.claimDue(now: now, limit: 10).isEmpty)
        // Nothing that may go is due: the dispatcher sleeps until woken, it does not spin.
        #expect(try await store.nextDue() == nil)
        // A failed attempt to be retried later still holds the update back.
        try await store.record([("e1.lead-created.crm", .retry(error: "HTTP 503", at: now.addingTimeInterval(60)))], at: now)
        #expect(try await store.claimDue(now: now, limit: 10).isEmpty)
        #expect(try await store.nextDue() == now.addingTimeInterval(60))
        let retried = try await store.claimDue(now: now.addingTimeInterval(60), limit: 10).map(\.delivery.id)
        #expect(retried == ["e1.lead-created.crm"])
        try await store.record([("e1.lead-created.crm", .sent)], at: now)
        #expect(try await store.claimDue(now: now.addingTimeInterval(60), limit: 10).map(\.delivery.id) == ["e2.lead-rescheduled.crm"])
    }

    @Test func aDeadLetterHoldsNothingUp() async throws {
        try await store.apply([AppliedEvent(eventId: "e1", sequence: 1, deliveries: [delivery("e1.lead-created.crm", appointment: "a1"),
                                                                                     delivery("e2.lead-cancelled.crm", appointment: "a1")], reminder: .keep)], now: now)
        #expect(try await store.claimDue(now: now, limit: 10).map(\.delivery.id) == ["e1.lead-created.crm"])
        try await store.record([("e1.lead-created.crm", .failed(error: "HTTP 400"))], at: now)
        #expect(try await store.claimDue(now: now, limit: 10).map(\.delivery.id) == ["e2.lead-cancelled.crm"])
    }

    @Test func theLeadIdIsKeptPerProviderAndTheFirstStays() async throws {
        #expect(try await store.lead(appointmentId: "a1", provider: "bitrix24") == nil)
        try await store.keepLead(appointmentId: "a1", provider: "bitrix24", leadId: "101", at: now)
        try await store.keepLead(appointmentId: "a1", provider: "bitrix24", leadId: "102", at: now)
        #expect(try await store.lead(appointmentId: "a1", provider: "bitrix24") == "101")
        #expect(try await store.lead(appointmentId: "a1", provider: "amocrm") == nil)
    }
}
