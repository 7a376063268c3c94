import BookingDomain
import Foundation
import StoreSQL

extension ErasureLedger {
    /// Applies each of `requested` (erasures asked for by a client, recorded in the database a
    /// restore replaces) that `transaction`'s database has no record of: a restored older copy
    /// still holds those clients' keys and contacts. Plain SQL, without the master key: it only
    /// deletes keys and blanks columns, and records each erasure as the original did. Returns the
    /// number applied. `consents`: the database has the consents table (older SQLite copies lack it).
    static func reapply(_ requested: [ErasureRecord], in transaction: some SQLTransaction, consents: Bool) throws -> Int {
        var applied = 0
        for record in requested {
            let id = record.id.uuidString.lowercased()
            if try transaction.row("SELECT 1 AS found FROM erasures WHERE id = ?", id) != nil { continue }
            let clientIds = record.clientIds.map { $0.uuidString.lowercased() }
            let list = SQLList(clientIds)
            try transaction.execute("UPDATE appointments SET contact = NULL, erased_at = ? WHERE client_id IN \(list.sql) AND contact IS NOT NULL",
                                    [Millis.of(record.at).sqlValue] + list.arguments)
            try transaction.execute("""
                UPDATE history SET reason = NULL WHERE appointment_id IN (SELECT id FROM appointments WHERE client_id IN \(list.sql))
                """, list.arguments)
            try transaction.execute("DELETE FROM idempotency WHERE client_id IN \(list.sql)", list.arguments)
            try transaction.execute("DELETE FROM client_keys WHERE client_id IN \(list.sql)", list.arguments)
            if consents {
                try Consents.eraseAddresses(where: .clientId, in: clientIds, transaction: transaction)
            }
            try insert(record, in: transaction)
            applied += 1
        }
        return applied
    }
}
