import BookingDomain
import BookingProtocol
import BookingStore
import DaemonKit
import Foundation
import Logging

/// Private calendar feeds of bookings (issue 10): webd serves each consultant's, and the team's,
/// at an address whose token bookingd signs (`FeedToken`); admins show, rotate and revoke them.
extension BookingCommands {
    /// How far back a feed reaches. A subscribed calendar drops what the feed no longer holds, so
    /// the day's earlier meetings, and the month's, stay in it.
    static let feedHistory: TimeInterval = 30 * 86_400

    func addFeedRoutes(to routes: inout RequestRoutes) {
        routes.on(MessageType.feed, FeedRequest.self) { request, _ in try await feed(request) }
        routes.on(MessageType.feedShow, FeedScopeRequest.self) { request, _ in
            let scope = try await knownScope(request.scope)
            return stateReply(scope, try await store.feedState(scope: scope.description))
        }
        routes.on(MessageType.feedRotate, FeedScopeRequest.self) { request, header in
            let scope = try await knownScope(request.scope)
            let state = try await store.rotateFeed(scope: scope.description, at: clock.now())
            logger.notice("feed rotated: its earlier address no longer works", metadata: [
                "scope": "\(scope)", "generation": "\(state.generation)", "user": "\(header.user ?? "-")",
            ])
            return stateReply(scope, state)
        }
        routes.on(MessageType.feedRevoke, FeedScopeRequest.self) { request, header in
            let scope = try await knownScope(request.scope)
            let state = try await store.revokeFeed(scope: scope.description, at: clock.now())
            logger.notice("feed revoked: its address no longer works", metadata: ["scope": "\(scope)", "user": "\(header.user ?? "-")"])
            return stateReply(scope, state)
        }
    }

    /// One page of the feed the token names, by start. A forged token, one of an address rotated
    /// away and one of a revoked feed get the same answer: none of them learns the feed exists.
    private func feed(_ request: FeedRequest) async throws -> FeedReply {
        guard let token = FeedToken(parsing: request.token) else {
            throw ProtocolError(.validationFailed, "a feed's token is \(FeedToken.form)", field: "token")
        }
        let limit = try PageLimit.feed.resolved(request.limit)
        if let after = request.after, UUID(uuidString: after) == nil {
            throw ProtocolError(.validationFailed, "after is the next of the page before: an appointment's id", field: "after")
        }
        let state = try await store.feedState(scope: token.scope.description)
        guard signer.signed(token), token.generation == state.generation, state.revokedAt == nil else {
            throw ProtocolError(.notFound, "no feed has this token", field: "token")
        }
        // One more than asked tells whether another page follows.
        let found = try await store.feedAppointments(consultantId: token.scope.consultantId, from: clock.now().addingTimeInterval(-Self.feedHistory),
                                                     after: request.after?.lowercased(), limit: limit + 1)
        let detail = request.detail ?? .minimal
        var page = FeedReply(scope: token.scope.description, appointments: found.prefix(limit).map { AppointmentBody(inFeed: $0, detail: detail) })
        if found.count > limit { page.next = page.appointments.last?.id }
        // A page larger than a client accepts would be dropped: a shorter page, and a cursor.
        while page.appointments.count > 1, try WireJSON.encode(page).count > maxReplyBytes {
            page.appointments.removeLast(page.appointments.count / 2)
            page.next = page.appointments.last?.id
        }
        return page
    }

    /// `team`, or a consultant availabilityd knows (those taken out of the offer too: their feed
    /// may still need revoking), so a mistyped id is refused rather than given an empty feed.
    private func knownScope(_ text: String) async throws -> FeedScope {
        guard let scope = FeedScope(text) else {
            throw ProtocolError(.validationFailed, "a feed is a consultant's (their id: 1 to 64 letters, digits, '-' or '_') or the team's ('team')",
                                field: "scope")
        }
        if let id = scope.consultantId {
            let reply: ConsultantsReply = try await availability.call(MessageType.consultants, ConsultantsRequest(includeRemoved: true))
            guard reply.consultants.contains(where: { $0.id == id }) else {
                throw ProtocolError(.notFound, "no consultant has the id '\(id)'", field: "scope")
            }
        }
        return scope
    }

    private func stateReply(_ scope: FeedScope, _ state: FeedState) -> FeedStateReply {
        let served = state.revokedAt == nil
        return FeedStateReply(scope: state.scope, generation: state.generation, revoked: !served, revokedAt: state.revokedAt,
                              token: served ? signer.feedToken(scope, generation: state.generation).description : nil)
    }
}

extension AppointmentBody {
    /// The appointment as a feed may carry it, whoever reads the feed: the reference masked (it
    /// is the client's key to the booking), the client's name and phone only for `full`, never
    /// their email, company or topic. A room of the booking's own is named by its reference, so
    /// its link is left out too: the feed says there is a video call, the invite where.
    init(inFeed appointment: Appointment, detail: FeedDetail) {
        self.init(appointment)
        let whole = appointment.bookingReference.description
        reference = appointment.bookingReference.masked
        let client = appointment.contactInfo
        contact = detail == .full ? ContactBody(name: client.name, email: "", phone: client.phone) : ContactBody(name: "", email: "", phone: "")
        topic = nil
        if let link = meeting?.link, link.range(of: whole, options: .caseInsensitive) != nil {
            meeting?.link = nil
        }
    }
}
