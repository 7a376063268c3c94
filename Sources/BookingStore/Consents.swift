import BookingDomain
import Foundation
import StoreSQL

/// The consents given on the booking form, one row per purpose, kept apart from the appointment
/// so marketing consent stands on its own. No personal data but the masked address, which an
/// erasure clears; the rest (which notice, when) is the operator's proof and stays. No index
/// beside the table: export and erasure are rare and scan it, every booking would pay for one.
enum Consents {
    static func insert(_ records: [ConsentRecord], appointmentId: String, clientId: String, in transaction: some SQLTransaction) throws {
        for record in records {
            try transaction.execute(
                "INSERT INTO consents (appointment_id, client_id, purpose, notice, given_at, address) VALUES (?, ?, ?, ?, ?, ?)",
                appointmentId, clientId, record.purpose.rawValue, record.notice, Millis.of(record.givenAt), record.address
            )
        }
    }

    static func records(clientIds: [String], in transaction: some SQLTransaction) throws -> [(reference: String, record: ConsentRecord)] {
        let list = SQLList(clientIds)
        return try transaction.rows("""
            SELECT consents.id, appointments.reference, consents.purpose, consents.notice, consents.given_at, consents.address
            FROM consents JOIN appointments ON appointments.id = consents.appointment_id
            WHERE consents.client_id IN \(list.sql) ORDER BY consents.given_at, consents.id
            """, list.arguments).map { row in
            let stored = StoredRow(row, table: "consents", keyColumn: "id")
            return (try stored.value("reference"), ConsentRecord(
                purpose: try stored.parsed("purpose", ConsentPurpose.init(rawValue:)), notice: try stored.value("notice"),
                givenAt: try stored.instant("given_at"), address: try stored.value("address")
            ))
        }
    }

    /// Part of an erasure: the masked addresses go, the proof of what was agreed to stays.
    /// `column` names the rows: `client_id` (on request) or `appointment_id` (retention).
    static func eraseAddresses(where column: Column, in values: [String], transaction: some SQLTransaction) throws {
        let list = SQLList(values)
        try transaction.execute("UPDATE consents SET address = NULL WHERE \(column.name) IN \(list.sql)", list.arguments)
    }

    enum Column: String {
        case clientId = "client_id", appointmentId = "appointment_id"
        var name: String { rawValue }
    }
}
