import BookingDomain
import CivilTime
import Foundation
import BookingProtocol
import BookingStore
import DaemonKit
import SQLiteStorage
import StoreSQL

/// bookingd's edge: its domain's and its store's errors as wire errors, each mapped here once.
enum BookingErrors {
    /// `zone`: the calendar's, in which refusals give their times.
    static func wire(_ error: any Error, zone: TimeZone) -> ProtocolError? {
        switch error {
        case let refusal as RefusalWithAlternatives:
            guard let wire = wire(refusal.refusal, zone: zone) else { return nil }
            return ProtocolError(wire.code, refusal.message, field: wire.field)
        case let refusal as BookingRefusal:
            switch refusal {
            case .slotTaken, .noConsultantFree:
                return ProtocolError(.slotUnavailable, refusal.message)
            case .consultantNotFree:
                return ProtocolError(.slotUnavailable, refusal.message, field: "consultant_id")
            case .notFound:
                return ProtocolError(.notFound, refusal.message, field: "reference")
            case let .transition(error):
                return ProtocolError(.invalidTransition, error.message(in: zone))
            case let .contactLimitReached(_, field):
                return ProtocolError(.contactLimitReached, refusal.message, field: "contact.\(field.rawValue)")
            }
        case let error as ReferenceError:
            return ProtocolError(.invalidReference, error.message, field: "reference")
        case let error as ValidationError:
            return ProtocolError(.validationFailed, error.message, field: "contact.\(error.field.rawValue)")
        case let error as TransitionError:
            return ProtocolError(.invalidTransition, error.message(in: zone))
        case let reused as IdempotencyKeyReused:
            return ProtocolError(.idempotencyConflict, reused.description, field: "header.idempotency_key")
        case StoreError.commitFailed(let problem):
            // Nothing was committed (a full disk, an I/O error): the client may try again.
            return ProtocolError(.unavailable, "the booking database could not commit: \(problem)")
        case let failure as SQLFailure:
            // A lock not granted in time, a full disk, a lost connection: nothing was changed,
            // and the client may try again. Any other failure is a bug, answered as internal.
            switch failure {
            case .retryable, .unavailable: return ProtocolError(.unavailable, "the booking database is unavailable: \(failure)")
            case .constraint, .statement: return nil
            }
        default:
            return nil
        }
    }
}

/// A slot refusal of bookingd's own (its database said the slot is taken) with the next free
/// times availabilityd offers, so the client and the operator are told what would work.
struct RefusalWithAlternatives: Error {
    var refusal: BookingRefusal
    var nextFree: [Date]
    var zone: String

    var message: String {
        guard !nextFree.isEmpty, let timeZone = TimeZone(identifier: zone) else { return refusal.message }
        return "\(refusal.situation); the next free times are \(nextFree.map { ISO8601.local($0, in: timeZone) }.joined(separator: ", ")) (\(zone))"
    }
}
