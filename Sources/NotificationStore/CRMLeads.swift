import StoreSQL

/// The CRM's leads as notifyd keeps them: which lead is each booking's, per provider (a lead id
/// means nothing to another CRM), and the order a booking's CRM deliveries go in.
enum CRMLeads {
    /// A due delivery may go unless it is a CRM change with an earlier one of the same booking
    /// still to send (pending or being sent): an update never overtakes the creation whose lead
    /// id it needs, nor a change before it. A dead letter holds nothing up (the next change
    /// makes the lead if it is missing). `d` is the delivery's alias. The order is the rows'
    /// order of insertion: SQLite's rowid, PostgreSQL's `position` identity column.
    static func mayGo(_ engine: SQLEngine) -> String {
        let order = engine == .sqlite ? "rowid" : "position"
        return """
            (d.channel <> 'crm' OR NOT EXISTS (
                SELECT 1 FROM deliveries e WHERE e.channel = 'crm' AND e.appointment_id = d.appointment_id AND e.\(order) < d.\(order)
                    AND e.state IN ('pending', 'sending')))
            """
    }
}
