import BookingDomain
import BookingProtocol
import DaemonKit

/// What webd asks of the booking core: free slots (availabilityd) and everything about a
/// booking (bookingd). webd keeps nothing of its own but rate-limit counters.
///
/// Every appointment comes back as webd shows it, to the API and the pages alike
/// (`AppointmentBody.shownOnTheWeb`): a reference is all it takes to ask for one, so the
/// client's contact is masked and their company and topic are left out.
///
/// A refusal by the core is a `ProtocolError` with its wire code (e.g. `contact_limit_reached`
/// from `book`, which bookingd decides inside the transaction that writes the appointment); a
/// core that does not answer is `DaemonUnreachable`. webd maps both to HTTP once, in `Problem`.
public protocol BookingServices: Sendable {
    func slots(_ request: SlotsRequest) async throws -> SlotsReply
    /// The slots reply as JSON bytes on the wire: the API sends it on without decoding it.
    func slotsJSON(_ request: SlotsRequest) async throws -> [UInt8]
    func book(_ request: BookRequest, idempotencyKey: String) async throws -> AppointmentBody
    func appointment(_ reference: String) async throws -> AppointmentBody
    func reschedule(_ request: RescheduleRequest, idempotencyKey: String?) async throws -> AppointmentBody
    func cancel(_ request: CancelRequest, idempotencyKey: String?) async throws -> AppointmentBody
    /// A held booking confirmed by its link's token or its code.
    func confirm(_ request: ConfirmRequest) async throws -> AppointmentBody
    /// The client asked on the manage page for a copy or the erasure of their data: notifyd
    /// emails the link that confirms it to the booking's address.
    func sendDataLink(_ request: DataLinkRequest) async throws -> SentDataLinkReply
    /// What bookingd holds about the client, as JSON, once the link's token confirms it.
    func clientExport(_ request: ClientDataRequest) async throws -> [UInt8]
    /// The client's data erased, once the link's token confirms it.
    func clientErase(_ request: ClientDataRequest) async throws -> ErasureBody
    /// Each service's state, for `/readyz`.
    func readiness() async -> [ServiceReadiness]
    /// Whether bookingd takes new bookings (nil) or is paused (`bookctl pause`), and what the
    /// client may be told why.
    func bookingPause() async throws -> BookingPause?
    /// Whether bookingd holds clients' bookings now (hold-then-confirm on, or switched on
    /// automatically): the proof of work is raised meanwhile.
    func holdsBookings() async throws -> Bool
    /// A private calendar feed's appointments, every page, by the token of its address, as
    /// bookingd lets a feed show them at `detail`; a token bookingd does not serve is `not_found`.
    func feed(token: String, detail: FeedDetail) async throws -> FeedBookings
    /// A visit to the booking page reached a step of the funnel. Asked off the request path
    /// (`FunnelReports`), with a short deadline of its own.
    func recordVisitStep(_ request: VisitStepRequest) async throws
    /// A consultant's one-click link marks an appointment attended or no-show; bookingd checks
    /// the link's token and answers the appointment as it is then.
    func markOutcome(_ request: MarkOutcomeRequest) async throws -> AppointmentBody
    /// A consultant by id (removed ones too), for the outcome page to name; nil when
    /// availabilityd does not know them.
    func consultant(_ id: String) async throws -> ConsultantBody?
}

/// What a calendar feed holds: a consultant's appointments (`scope` their id) or the team's
/// (`team`), and the consultants by id, for their names and languages (empty when availabilityd
/// did not answer: the feed is still served, by ids).
public struct FeedBookings: Sendable, Equatable {
    public var scope: String
    public var appointments: [AppointmentBody]
    public var consultants: [String: ConsultantBody]

    public init(scope: String, appointments: [AppointmentBody], consultants: [String: ConsultantBody]) {
        self.scope = scope
        self.appointments = appointments
        self.consultants = consultants
    }
}

/// New bookings are paused; `publicReason` is the text bookingd gives clients for it.
public struct BookingPause: Sendable, Equatable {
    public var publicReason: String?
    public init(publicReason: String?) { self.publicReason = publicReason }
}

/// Whether one service can take requests now, and what it said (`ready`, `paused`, `syncing`)
/// or why it did not answer.
public struct ServiceReadiness: Sendable, Equatable {
    public var service: String
    public var ready: Bool
    public var detail: String

    public init(service: String, ready: Bool, detail: String) {
        self.service = service
        self.ready = ready
        self.detail = detail
    }
}

/// The booking core as daemons over ZeroMQ: bookingd and availabilityd, and notifyd for the
/// emailed links of clients' requests about their data.
public struct DaemonBookingServices: BookingServices {
    public let bookingd: DaemonClient
    public let availabilityd: DaemonClient
    public let notifyd: DaemonClient

    public init(bookingd: DaemonClient, availabilityd: DaemonClient, notifyd: DaemonClient) {
        self.bookingd = bookingd
        self.availabilityd = availabilityd
        self.notifyd = notifyd
    }

    public func sendDataLink(_ request: DataLinkRequest) async throws -> SentDataLinkReply {
        try await notifyd.call(MessageType.sendDataLink, request)
    }

    public func clientExport(_ request: ClientDataRequest) async throws -> [UInt8] {
        // Sent on as bookingd wrote it: webd has no reason to read it.
        try await bookingd.exchange(MessageType.clientExport, body: try WireJSON.encode(request)).body
    }

    public func clientErase(_ request: ClientDataRequest) async throws -> ErasureBody {
        try await bookingd.call(MessageType.clientErase, request)
    }

    public func slots(_ request: SlotsRequest) async throws -> SlotsReply {
        try await availabilityd.call(MessageType.slots, request)
    }

    public func slotsJSON(_ request: SlotsRequest) async throws -> [UInt8] {
        try await availabilityd.exchange(MessageType.slots, body: try WireJSON.encode(request)).body
    }

    public func book(_ request: BookRequest, idempotencyKey: String) async throws -> AppointmentBody {
        try await shown(bookingd.call(MessageType.book, request, idempotencyKey: idempotencyKey))
    }

    public func appointment(_ reference: String) async throws -> AppointmentBody {
        try await shown(bookingd.call(MessageType.get, ReferenceRequest(reference: reference)))
    }

    public func reschedule(_ request: RescheduleRequest, idempotencyKey: String?) async throws -> AppointmentBody {
        try await shown(bookingd.call(MessageType.reschedule, request, idempotencyKey: idempotencyKey))
    }

    public func cancel(_ request: CancelRequest, idempotencyKey: String?) async throws -> AppointmentBody {
        try await shown(bookingd.call(MessageType.cancel, request, idempotencyKey: idempotencyKey))
    }

    public func confirm(_ request: ConfirmRequest) async throws -> AppointmentBody {
        try await shown(bookingd.call(MessageType.confirm, request))
    }

    private func shown(_ appointment: AppointmentBody) -> AppointmentBody {
        appointment.shownOnTheWeb
    }

    public func feed(token: String, detail: FeedDetail) async throws -> FeedBookings {
        var request = FeedRequest(token: token, detail: detail)
        var page: FeedReply = try await bookingd.call(MessageType.feed, request)
        var appointments = page.appointments
        while let next = page.next, !page.appointments.isEmpty {
            request.after = next
            page = try await bookingd.call(MessageType.feed, request)
            appointments += page.appointments
        }
        let reply: ConsultantsReply? = try? await availabilityd.call(MessageType.consultants, ConsultantsRequest(includeRemoved: true))
        let consultants = Dictionary((reply?.consultants ?? []).map { ($0.id, $0) }) { first, _ in first }
        return FeedBookings(scope: page.scope, appointments: appointments, consultants: consultants)
    }

    /// Counting must never hold a page up: one attempt, a second at most.
    static let visitStepDeadline: Duration = .seconds(1)

    public func recordVisitStep(_ request: VisitStepRequest) async throws {
        _ = try await bookingd.exchange(MessageType.visitStep, body: try WireJSON.encode(request), timeout: Self.visitStepDeadline, attempts: 1)
    }

    public func markOutcome(_ request: MarkOutcomeRequest) async throws -> AppointmentBody {
        try await shown(bookingd.call(MessageType.markOutcome, request))
    }

    public func consultant(_ id: String) async throws -> ConsultantBody? {
        let reply: ConsultantsReply = try await availabilityd.call(MessageType.consultants, ConsultantsRequest(includeRemoved: true))
        return reply.consultants.first { $0.id == id }
    }

    public func holdsBookings() async throws -> Bool {
        let reply: PingReply = try await bookingd.call(MessageType.ping, Empty())
        return reply.confirmation == "on"
    }

    public func readiness() async -> [ServiceReadiness] {
        async let booking = Self.ping(bookingd)
        async let availability = Self.ping(availabilityd)
        return [await booking, await availability]
    }

    public func bookingPause() async throws -> BookingPause? {
        let reply: PingReply = try await bookingd.call(MessageType.ping, Empty())
        return reply.state == "paused" ? BookingPause(publicReason: reply.pauseReason) : nil
    }

    private static func ping(_ client: DaemonClient) async -> ServiceReadiness {
        do {
            let reply: PingReply = try await client.call(MessageType.ping, Empty(), timeout: .milliseconds(500), attempts: 1)
            let state = reply.state ?? "ready"
            // A paused bookingd still answers; a syncing availabilityd does not know the free slots yet.
            return ServiceReadiness(service: client.daemon, ready: state != "syncing", detail: state)
        } catch {
            return ServiceReadiness(service: client.daemon, ready: false, detail: "\(error)")
        }
    }
}

extension AppointmentBody {
    /// The appointment as webd shows it to whoever holds its reference: enough of the contact
    /// for its client to recognise it (`И*** П***`, `i***@example.com`, `+7916*****67`, the forms
    /// of the logs and the events), no company, no topic.
    public var shownOnTheWeb: AppointmentBody {
        var shown = self
        shown.contact = ContactBody(name: ContactInfo.maskedName(contact.name), email: ContactInfo.maskedEmail(contact.email),
                                    phone: ContactInfo.maskedPhone(contact.phone))
        shown.topic = nil
        return shown
    }
}
