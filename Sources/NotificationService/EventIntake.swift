import BookingDomain
import BookingProtocol
import DaemonKit
import Foundation
import Logging
import Metrics
import NotificationStore

/// The one place events are applied, one batch at a time and in sequence order.
/// The last sequence applied is kept in notifyd's database in the same transaction as the
/// messages an event causes, so each event is applied exactly once. An event whose consultant
/// or client cannot be asked about is not applied yet: it and those after it come again with
/// the follower's next catch-up, so no message is skipped, none goes out of order, and none is
/// written from the masked contact the event carries.
actor EventIntake: EventConsumer {
    private let store: any NotificationStore
    private let composer: MessageComposer
    private let directory: ConsultantDirectory
    private let contacts: ClientContacts
    private let clock: SuiteClock
    private let dispatcher: WakeSignal
    private let logger: Logger
    private let recording: FailureStreak
    private let askingContacts: FailureStreak
    private(set) var lastSequence: UInt64

    init(store: any NotificationStore, composer: MessageComposer, directory: ConsultantDirectory, contacts: ClientContacts, clock: SuiteClock,
         dispatcher: WakeSignal, logger: Logger) async throws {
        self.store = store
        self.composer = composer
        self.directory = directory
        self.contacts = contacts
        self.clock = clock
        self.dispatcher = dispatcher
        self.logger = logger
        recording = FailureStreak("recording events", logger: logger)
        askingContacts = FailureStreak("asking bookingd for a client's contact", logger: logger)
        lastSequence = try await store.lastSequence()
    }

    func apply(_ events: [EventBody]) async -> EventApplication {
        var batch: [AppliedEvent] = []
        var expected = lastSequence + 1
        var outcome = EventApplication.applied
        for event in events.sorted(by: { $0.sequence < $1.sequence }) where event.sequence >= expected {
            guard event.sequence == expected else {
                outcome = .gap
                break
            }
            let consultant: Consultant
            var previousConsultant: Consultant?
            do {
                consultant = try await directory.facts(event.appointment.consultantId)
                if let previous = event.previous?.consultantId, previous != consultant.id {
                    previousConsultant = try await directory.facts(previous)
                }
            } catch {
                logger.warning("cannot ask availabilityd about a consultant; will try again", metadata: ["error": "\(error)"])
                outcome = .interrupted
                break
            }
            var personal: ContactReply?
            if composer.causesMessages(event) {
                do {
                    personal = try await contacts.contact(for: event)
                    askingContacts.succeeded()
                } catch {
                    askingContacts.failed(ClientContactUnavailable(description: ClientContacts.describe(error, reference: event.appointment.reference)),
                                          metadata: ["sequence": "\(event.sequence)"])
                    outcome = .interrupted
                    break
                }
            }
            batch.append(composer.compose(event, personal: personal, consultant: consultant, previousConsultant: previousConsultant))
            expected += 1
        }
        guard !batch.isEmpty else { return outcome }
        do {
            let applied = try await store.apply(batch, now: clock.now())
            lastSequence = expected - 1
            Counter(label: "notify_events_applied_total").increment(by: applied)
            Gauge(label: "notify_last_sequence").record(lastSequence)
            dispatcher.notify()
            recording.succeeded()
        } catch {
            // The follower's catch-up brings the same events again.
            recording.failed(error)
            return .interrupted
        }
        return outcome
    }

    func appliedThrough() async -> UInt64? { lastSequence }

    func keptEpoch() async throws -> String? { try await store.followedEpoch() }

    func keep(epoch: String) async throws { try await store.keep(epoch: epoch) }

    /// After bookingd's database was replaced by an older copy: what is past is past; notifyd
    /// follows from bookingd's last event, and says so.
    func restart(asking bookingd: DaemonClient, lastSequence theirs: UInt64?) async throws {
        let sequence = theirs ?? 0
        logger.error("following bookingd's event log from its last event", metadata: ["sequence": "\(sequence)"])
        do {
            try await store.follow(from: sequence)
        } catch {
            logger.error("cannot record the restart point", metadata: ["error": "\(error)"])
        }
        lastSequence = sequence
    }
}

/// Why an event waits: bookingd did not give its client's contact (said with the reference masked).
struct ClientContactUnavailable: Error, CustomStringConvertible {
    var description: String
}
