import BookingDomain
import BookingProtocol

/// availabilityd's edge: the calendar's refusals as wire errors, each mapped here once.
enum AvailabilityErrors {
    static func wire(_ error: any Error) -> ProtocolError? {
        guard let violation = error as? SlotRuleViolation else { return nil }
        let code: ErrorCode
        var field = "start"
        switch violation {
        case .offGrid: code = .offGrid
        case .inPast: code = .inPast
        case .outsideWorkingHours, .nonWorkingDay: code = .outsideWorkingHours
        case .tooSoon: code = .tooSoon
        case .beyondHorizon: code = .beyondHorizon
        case .unknownConsultant:
            code = .notFound
            field = "consultant_id"
        case .consultantUnavailable:
            code = .slotUnavailable
            field = "consultant_id"
        case .noConsultantFree: code = .slotUnavailable
        }
        return ProtocolError(code, violation.message, field: field)
    }
}
