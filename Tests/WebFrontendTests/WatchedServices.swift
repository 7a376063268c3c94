import BookingProtocol
import Foundation
import NIOConcurrencyHelpers
@testable import WebFrontend

/// The core's services with a record of the funnel's steps and the bookings the site asked
/// for, each passed on to the core as it came.
final class WatchedServices: BookingServices {
    let core: any BookingServices
    private let steps = NIOLockedValueBox<[VisitStepRequest]>([])
    private let booked = NIOLockedValueBox<[BookRequest]>([])

    init(_ core: any BookingServices) { self.core = core }

    var visitSteps: [VisitStepRequest] { steps.withLockedValue { $0 } }
    var bookRequests: [BookRequest] { booked.withLockedValue { $0 } }

    /// The steps reported of `visit`, in order.
    func steps(of visit: String) -> [VisitStep] { visitSteps.filter { $0.visit == visit }.map(\.step) }

    func recordVisitStep(_ request: VisitStepRequest) async throws {
        steps.withLockedValue { $0.append(request) }
        try await core.recordVisitStep(request)
    }

    func book(_ request: BookRequest, idempotencyKey: String) async throws -> AppointmentBody {
        booked.withLockedValue { $0.append(request) }
        return try await core.book(request, idempotencyKey: idempotencyKey)
    }

    func slots(_ request: SlotsRequest) async throws -> SlotsReply { try await core.slots(request) }
    func slotsJSON(_ request: SlotsRequest) async throws -> [UInt8] { try await core.slotsJSON(request) }
    func appointment(_ reference: String) async throws -> AppointmentBody { try await core.appointment(reference) }
    func reschedule(_ request: RescheduleRequest, idempotencyKey: String?) async throws -> AppointmentBody {
        try await core.reschedule(request, idempotencyKey: idempotencyKey)
    }
    func cancel(_ request: CancelRequest, idempotencyKey: String?) async throws -> AppointmentBody { try await core.cancel(request, idempotencyKey: idempotencyKey) }
    func confirm(_ request: ConfirmRequest) async throws -> AppointmentBody { try await core.confirm(request) }
    func sendDataLink(_ request: DataLinkRequest) async throws -> SentDataLinkReply { try await core.sendDataLink(request) }
    func clientExport(_ request: ClientDataRequest) async throws -> [UInt8] { try await core.clientExport(request) }
    func clientErase(_ request: ClientDataRequest) async throws -> ErasureBody { try await core.clientErase(request) }
    func readiness() async -> [ServiceReadiness] { await core.readiness() }
    func bookingPause() async throws -> BookingPause? { try await core.bookingPause() }
    func holdsBookings() async throws -> Bool { try await core.holdsBookings() }
    func feed(token: String, detail: FeedDetail) async throws -> FeedBookings { try await core.feed(token: token, detail: detail) }
    func markOutcome(_ request: MarkOutcomeRequest) async throws -> AppointmentBody { try await core.markOutcome(request) }
    func consultant(_ id: String) async throws -> ConsultantBody? { try await core.consultant(id) }
}
