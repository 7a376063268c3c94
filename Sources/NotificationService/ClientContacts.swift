import BookingDomain
import BookingProtocol
import DaemonKit
import NotificationStore

/// What a message to a person needs and events leave out (the client's contact, which they
/// carry masked, the topic, the client's own words on a change): asked of bookingd with
/// `contact`, which answers notifyd's OS identity and no client's.
struct ClientContacts: Sendable {
    private let ask: @Sendable (ContactRequest) async throws -> ContactReply

    init(bookingd: DaemonClient) {
        // One attempt: the caller tries again later (the event's replay, the reminder's next tick).
        ask = { request in try await bookingd.call(MessageType.contact, request, timeout: .seconds(2), attempts: 1) }
    }

    /// Answers as given (tests: a bookingd that is away, or events masked as bookingd writes them).
    init(answering ask: @escaping @Sendable (ContactRequest) async throws -> ContactReply) {
        self.ask = ask
    }

    /// For the change `event` made: with the client's own words on it.
    func contact(for event: EventBody) async throws -> ContactReply {
        try await ask(ContactRequest(reference: event.appointment.reference, eventId: event.id))
    }

    func contact(for reminder: ReminderEntry) async throws -> ContactReply {
        try await ask(ContactRequest(reference: reminder.reference))
    }

    /// A failed question as the log says it: with the reference masked, in bookingd's answer too
    /// (its `not_found` names the reference).
    static func describe(_ error: any Error, reference: String) -> String {
        let masked = BookingReference.masked(reference)
        return "\(error)".replacingOccurrences(of: reference, with: masked) + " (\(masked))"
    }
}
