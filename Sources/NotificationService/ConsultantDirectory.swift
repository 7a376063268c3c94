import BookingDomain
import BookingProtocol
import DaemonKit
import Foundation
import NIOConcurrencyHelpers
import Notifications

/// Consultants' names, addresses and zones, as availabilityd (their owner) knows them; asked
/// again when an unknown one turns up, and at most once a minute otherwise.
final class ConsultantDirectory: Sendable {
    private let ask: @Sendable () async throws -> ConsultantsReply
    private let calendarZone: String
    private let state = NIOLockedValueBox<(consultants: [String: Consultant], fetchedAt: ContinuousClock.Instant?)>(([:], nil))

    convenience init(availabilityd: DaemonClient, calendarZone: String) {
        self.init(calendarZone: calendarZone) {
            try await availabilityd.call(MessageType.consultants, ConsultantsRequest(includeRemoved: true), timeout: .seconds(2), attempts: 1)
        }
    }

    /// `ask`: availabilityd's `consultants`, removed ones included (tests answer it themselves).
    init(calendarZone: String, asking ask: @escaping @Sendable () async throws -> ConsultantsReply) {
        self.ask = ask
        self.calendarZone = calendarZone
    }

    /// Throws when availabilityd cannot be asked: the caller waits and tries again rather than
    /// send a notice without the consultant's name.
    func facts(_ id: String) async throws -> Consultant {
        // Removed consultants are listed too; one unknown even so (a hand-edited database) goes
        // by their id, and their appointments are still told.
        try await known(id) ?? Consultant(id: id, name: id, email: nil, timeZone: calendarZone)
    }

    /// The consultant, or nil when availabilityd has no one by that id (removed ones included).
    func known(_ id: String) async throws -> Consultant? {
        let (known, fetchedAt) = state.withLockedValue { ($0.consultants[id], $0.fetchedAt) }
        if let known, let fetchedAt, ContinuousClock.now - fetchedAt < .seconds(60) { return known }
        do {
            let reply = try await ask()
            let consultants = Dictionary(reply.consultants.map {
                ($0.id, Consultant(id: $0.id, name: $0.name, email: $0.email, timeZone: $0.timeZone, locale: SupportedLocale(identifier: $0.locale ?? "")))
            }) { $1 }
            state.withLockedValue { $0 = (consultants, ContinuousClock.now) }
            return consultants[id]
        } catch {
            if let known { return known }
            throw error
        }
    }
}
