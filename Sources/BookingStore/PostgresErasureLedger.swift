import BookingDomain
import Foundation
import PostgresStorage
import StoreSQL

extension ErasureLedger {
    /// Applies the requested erasures recorded in `replaced` (the database a restore takes the
    /// place of) to `restored` (a restored older dump), before any daemon reads it: a dump holds
    /// `client_keys` too, so without this a restore would bring an erased client's data back.
    /// Both settings name bookingd's schema. Returns the number applied (0 when `replaced` has no
    /// erasure table). Retention needs nothing here: bookingd applies its rule when it starts.
    public static func reapply(from replaced: PostgresSettings, onto restored: PostgresSettings) async throws -> Int {
        let old = PostgresPool(settings: replaced, connections: 1)
        let requested: [ErasureRecord]
        do {
            requested = try await old.transaction { transaction -> [ErasureRecord] in
                guard try transaction.row("SELECT to_regclass('erasures')::text AS found")?["found"] != .null else { return [] }
                return try records(transaction, clientIds: nil).filter { $0.reason == .request }
            }
            await old.close()
        } catch {
            await old.close()
            throw error
        }
        guard !requested.isEmpty else { return 0 }
        let target = PostgresPool(settings: restored, connections: 1)
        do {
            let applied = try await target.transaction { transaction in try reapply(requested, in: transaction, consents: true) }
            await target.close()
            return applied
        } catch {
            await target.close()
            throw error
        }
    }
}
