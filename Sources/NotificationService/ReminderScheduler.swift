import BookingDomain
import BookingProtocol
import DaemonKit
import Foundation
import Logging
import Metrics
import NotificationStore

/// Every second: queues the reminders that are due (after downtime too, while the appointment
/// is still ahead), and tells bookingd of each one whose email went out. A reminder keeps no
/// contact: it is asked of bookingd when the reminder is due, and a reminder bookingd cannot
/// answer for waits for the next tick.
struct ReminderScheduler: Sendable {
    let store: any NotificationStore
    let composer: MessageComposer
    let directory: ConsultantDirectory
    let contacts: ClientContacts
    let bookingd: DaemonClient
    let clock: SuiteClock
    let dispatcher: WakeSignal
    let logger: Logger

    let failures: FailureStreak

    func tick() async {
        do {
            try await queueDue()
            try await acknowledge()
            failures.succeeded()
        } catch {
            // The next tick tries again; a store or bookingd that stays away is one line.
            failures.failed(error)
        }
    }

    private func queueDue() async throws {
        let now = clock.now()
        let due = try await store.dueReminders(now: now)
        guard !due.isEmpty else { return }
        for reminder in due {
            guard composer.settings.reminders.stillUseful(start: reminder.start, now: now) else {
                try await store.queue(reminder, deliveries: [], now: now)
                logger.notice("a reminder came due after its appointment began; dropped", metadata: ["reference": "\(BookingReference.masked(reminder.reference))"])
                continue
            }
            let consultant = try await directory.facts(reminder.appointment.consultantId)
            let personal: ContactReply
            do {
                personal = try await contacts.contact(for: reminder)
            } catch {
                throw ClientContactUnavailable(description: ClientContacts.describe(error, reference: reminder.reference))
            }
            try await store.queue(reminder, deliveries: composer.reminderDeliveries(reminder, personal: personal, consultant: consultant), now: now)
            Counter(label: "notify_reminders_queued_total").increment()
        }
        dispatcher.notify()
    }

    private func acknowledge() async throws {
        for reminder in try await store.remindersToAcknowledge() {
            do {
                let _: AppointmentBody = try await bookingd.call(
                    MessageType.markReminderSent, MarkReminderSentRequest(reference: reminder.reference, start: reminder.start),
                    idempotencyKey: reminder.key.description, timeout: .seconds(2), attempts: 1
                )
            } catch let error as ProtocolError where [.conflict, .invalidTransition, .notFound].contains(error.code) {
                // Moved, cancelled or gone since: bookingd has nothing to mark.
                logger.info("bookingd did not mark a reminder", metadata: ["reference": "\(BookingReference.masked(reminder.reference))", "reason": "\(error.body.message)"])
            }
            try await store.acknowledge(appointmentId: reminder.appointmentId, start: reminder.start)
        }
    }
}
