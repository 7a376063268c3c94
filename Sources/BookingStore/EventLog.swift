import BookingProtocol
import Foundation
import StoreSQL

/// An event a transaction wrote, waiting for its sequence number.
struct PendingEvent {
    /// Its sequence is 0 until `EventLog.append` numbers it.
    var event: EventBody
    var appointmentId: String
}

/// The `events` table: the outbox and the event log in one, committed with the changes and
/// published after. Sequence numbers come from one counter row (`event_counter`), taken once
/// per transaction, at its end: a transaction that rolls back takes none, so committed numbers
/// have no gap; and the row stays locked until the transaction commits, so with several writers
/// (PostgreSQL) numbers follow commit order.
enum EventLog {
    /// Numbers `events` in order and writes them: the transaction's last statements.
    static func append(_ events: [PendingEvent], in transaction: some SQLTransaction) throws {
        guard !events.isEmpty else { return }
        guard let counter = try transaction.row("UPDATE event_counter SET last = last + ? WHERE id = 1 RETURNING last", events.count) else {
            throw StoreError.unreadableRow(table: "event_counter", key: "1", problem: "the counter row is missing")
        }
        let last: Int64 = try StoredRow(counter, table: "event_counter", key: "1").value("last")
        var sequence = last - Int64(events.count)
        for pending in events {
            sequence += 1
            var event = pending.event
            event.sequence = UInt64(sequence)
            try transaction.execute(
                "INSERT INTO events (sequence, id, kind, appointment_id, body, correlation_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                sequence, event.id, event.kind.rawValue, pending.appointmentId, try WireJSON.encode(event), event.correlationId,
                Millis.of(event.occurredAt)
            )
        }
    }

    /// The newest committed event's sequence number (0 before the first).
    static func lastSequence(_ transaction: some SQLTransaction) throws -> UInt64 {
        guard let row = try transaction.row("SELECT COALESCE(MAX(sequence), 0) AS last FROM events") else { return 0 }
        return UInt64(try StoredRow(row, table: "events", key: "last").value("last", as: Int64.self))
    }
}
