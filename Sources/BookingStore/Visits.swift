import BookingAnalytics
import BookingDomain
import BookingProtocol
import CivilTime
import Foundation
import StoreSQL

/// The booking page's visits, for the funnel: an opaque id from webd's signed visit token and
/// the first time each step was reached. Nothing personal, no cookie behind it.
enum Visits {
    /// Keeps the first time of each step. A step reported before `viewed` (webd restarted, a
    /// visit token older than this store) starts the visit at that step.
    static func record(_ transaction: some SQLTransaction, visit: String, step: VisitStep, reference: String?, at now: Date) throws {
        let column = switch step {
        case .viewed: "viewed_ms"
        case .slots: "slots_ms"
        case .chose: "chose_ms"
        case .sent: "sent_ms"
        case .booked: "booked_ms"
        }
        let ms = Millis.of(now)
        // One statement: the row's first step makes it; later ones keep each first time.
        let columns = step == .viewed ? "id, viewed_ms, reference" : "id, viewed_ms, \(column), reference"
        let values = step == .viewed ? [visit.sqlValue, ms.sqlValue, reference.sqlValue] : [visit.sqlValue, ms.sqlValue, ms.sqlValue, reference.sqlValue]
        try transaction.execute("""
            INSERT INTO visits (\(columns)) VALUES (\(step == .viewed ? "?, ?, ?" : "?, ?, ?, ?"))
            ON CONFLICT (id) DO UPDATE SET \(column) = COALESCE(visits.\(column), excluded.\(column)),
                                          reference = COALESCE(visits.reference, excluded.reference)
            """, values)
    }

    static func started(_ transaction: some SQLTransaction, in range: Range<Date>) throws -> [FunnelVisit] {
        try transaction.rows("SELECT * FROM visits WHERE viewed_ms >= ? AND viewed_ms < ? ORDER BY viewed_ms",
                             Millis.of(range.lowerBound), Millis.of(range.upperBound)).map { row in
            let stored = StoredRow(row, table: "visits", keyColumn: "id")
            return FunnelVisit(viewedAt: try stored.instant("viewed_ms"), slotsAt: try stored.optionalInstant("slots_ms"),
                               choseAt: try stored.optionalInstant("chose_ms"), sentAt: try stored.optionalInstant("sent_ms"),
                               bookedAt: try stored.optionalInstant("booked_ms"))
        }
    }

    /// The appointments booked in `range` or with their slot in it, each with its history
    /// (without reasons: they are the client's or the team's words, not figures).
    static func bookings(_ transaction: some SQLTransaction, in range: Range<Date>, consultantId: String?) throws -> [BookedConsultation] {
        let (from, to) = (Millis.of(range.lowerBound), Millis.of(range.upperBound))
        var sql = """
            SELECT id, reference, consultant_id, start_ms, end_ms, created_at, status, utm_source, utm_medium, utm_campaign, referrer
            FROM appointments WHERE ((created_at >= ? AND created_at < ?) OR (start_ms >= ? AND start_ms < ?))
            """
        var arguments = [from, to, from, to].map(\.sqlValue)
        if let consultantId {
            // A booking that changed hands counts where it is now.
            sql += " AND consultant_id = ?"
            arguments.append(consultantId.sqlValue)
        }
        let rows = try transaction.rows(sql + " ORDER BY created_at, id", arguments)
        return try rows.map { row in
            let stored = StoredRow(row, table: "appointments", keyColumn: "reference")
            let id: String = try stored.value("id")
            guard let slot = try? DateTimeRange(start: try stored.instant("start_ms"), end: try stored.instant("end_ms")),
                  let appointmentId = UUID(uuidString: id) else {
                throw stored.unreadable("id or slot")
            }
            let changes = try transaction.rows("SELECT * FROM history WHERE appointment_id = ? ORDER BY id", id).map { row in
                let entry = StoredRow(row, table: "history", keyColumn: "id")
                let oldSlot = try entry.optionalInstant("old_start_ms").flatMap { start in
                    try entry.optionalInstant("old_end_ms").flatMap { try? DateTimeRange(start: start, end: $0) }
                }
                let newSlot = try entry.optionalInstant("new_start_ms").flatMap { start in
                    try entry.optionalInstant("new_end_ms").flatMap { try? DateTimeRange(start: start, end: $0) }
                }
                return Transition(
                    appointmentId: appointmentId, kind: try entry.parsed("kind", TransitionKind.init(rawValue:)),
                    fromStatus: try entry.value("from_status", as: String?.self).map { text in
                        guard let status = AppointmentStatus(rawValue: text) else { throw entry.unreadable("from_status: \(text)") }
                        return status
                    },
                    toStatus: try entry.parsed("to_status", AppointmentStatus.init(rawValue:)),
                    oldSlot: oldSlot, newSlot: newSlot,
                    oldConsultantId: try entry.value("old_consultant_id"), newConsultantId: try entry.value("new_consultant_id"),
                    actor: try entry.parsed("actor", Actor.init(rawValue:)), at: try entry.instant("at")
                )
            }
            return BookedConsultation(
                reference: try stored.value("reference"), consultantId: try stored.value("consultant_id"), slot: slot,
                bookedAt: try stored.instant("created_at"), status: try stored.parsed("status", AppointmentStatus.init(rawValue:)),
                source: try LeadSource(stored), changes: changes
            )
        }
    }
}
