import BookingDomain
import BookingProtocol
import BookingStore
import SQLiteStorage

/// The store's refusals in the wire contract's codes, each mapped here once; anything else goes
/// on to the request server, which answers `internal` and logs it.
func wireErrors<Value>(_ body: () async throws -> Value) async throws -> Value {
    do {
        return try await body()
    } catch let refusal as BookingRefusal {
        throw ProtocolError(refusal)
    } catch let reused as IdempotencyKeyReused {
        throw ProtocolError(.idempotencyConflict, reused.description, field: "header.idempotency_key")
    } catch StoreError.commitFailed(let problem) {
        throw ProtocolError(.unavailable, "the booking database could not commit: \(problem)")
    }
}

extension ProtocolError {
    init(_ refusal: BookingRefusal) {
        switch refusal {
        case .slotTaken, .noConsultantFree:
            self.init(.slotUnavailable, refusal.message)
        case .consultantNotFree:
            self.init(.slotUnavailable, refusal.message, field: "consultant_id")
        case .notFound:
            self.init(.notFound, refusal.message, field: "reference")
        case .transition:
            self.init(.invalidTransition, refusal.message)
        case let .contactLimitReached(_, field):
            self.init(.contactLimitReached, refusal.message, field: "contact.\(field.rawValue)")
        }
    }
}
