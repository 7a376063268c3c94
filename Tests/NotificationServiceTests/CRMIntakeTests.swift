import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import FieldEncryption
import Foundation
import Logging
@testable import NotificationService
import Notifications
import NotificationStore
import SuiteTesting
import Synchronization
import Testing

/// With a CRM configured, the intake stores one lead change per booking change, written from
/// bookingd's answer to `contact` (events carry the contact masked), asking it for the outcome
/// events too; a replay adds nothing; an erased client's booking sends nothing.
@Suite struct CRMIntakeTests {
    let reference = BookingReference.random().description
    let start = ISO8601.parseInstant("2026-12-03T11:00:00+03:00")!
    let directory = NSTemporaryDirectory() + "crm-intake-\(UUID().uuidString)"
    static let contact = ContactBody(name: "Иван Петров", email: "ivan.petrov@example.com", phone: "+79161234567")

    /// The events bookingd was asked `contact` for.
    final class Asked: Sendable {
        let ids = Mutex<[String]>([])
    }

    func intake(asked: Asked, erased: Bool = false, store kept: SQLiteNotificationStore? = nil) async throws -> (EventIntake, SQLiteNotificationStore) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".write(toFile: directory + "/crm-secret", atomically: true, encoding: .utf8)
        let notifications = SuiteFiles.developmentNotifications
            + "\n  crm: {provider: webhook, webhook: {url: 'https://crm.example.com/in', secret_file: crm-secret}}\n"
        let yaml = SuiteFiles.configuration(consultants: ["anna"], clockStart: "2026-12-01T07:58:00+03:00", minimumNoticeMinutes: 120, logLevel: "warning",
                                            notifications: notifications, extra: "web: {}\n")
        let configuration = try SuiteConfiguration.parse(yaml, file: directory + "/booking.yaml")
        let settings = try NotifySettings.load(configuration)
        let logger = Logger(label: "notifyd")
        let composer = MessageComposer(settings: settings, templates: try NotificationDaemon.loadTemplates(settings.templatesDirectory),
                                       calendarZone: "Europe/Moscow", logger: logger)
        let consultants = ConsultantDirectory(calendarZone: "Europe/Moscow") {
            ConsultantsReply(consultants: [ConsultantBody(id: "anna", name: "Anna Smirnova", email: "anna@example.com", timeZone: "Europe/Moscow")])
        }
        let contacts = ClientContacts { request in
            asked.ids.withLock { $0.append(request.eventId ?? "") }
            return ContactReply(reference: request.reference, contact: erased ? ContactBody(name: "", email: "", phone: "") : Self.contact, topic: "Налоги")
        }
        let store = try kept ?? SQLiteNotificationStore(path: directory + "/notifyd.sqlite", masterKey: MasterKey(.random()))
        let intake = try await EventIntake(store: store, composer: composer, directory: consultants, contacts: contacts,
                                           clock: SuiteClock(configuration: configuration), dispatcher: WakeSignal(), logger: logger)
        return (intake, store)
    }

    func event(_ sequence: UInt64, _ kind: EventKind, start: Date? = nil, previous: Date? = nil) -> EventBody {
        var appointment = AppointmentBody(
            reference: reference, id: "a-1", clientId: "c-1", consultantId: "anna", start: start ?? self.start, end: (start ?? self.start).addingTimeInterval(1800),
            status: "confirmed", contact: ContactBody(name: "И*** П***", email: "i***@example.com", phone: "+7916*****67"), timeZone: "Europe/Moscow",
            locale: "ru", createdAt: self.start, updatedAt: self.start, reminderSent: false, revision: Int(sequence) - 1)
        appointment.source = LeadSourceBody(utmSource: "yandex")
        return EventBody(sequence: sequence, id: "e\(sequence)", kind: kind, occurredAt: self.start, appointment: appointment,
                         previous: previous.map { BookedSlotBody(consultantId: "anna", start: $0) }, actor: "admin")
    }

    @Test func oneChangePerBookingChangeWrittenFromBookingdsAnswer() async throws {
        let asked = Asked()
        let (intake, store) = try await intake(asked: asked)
        let later = start.addingTimeInterval(86_400)
        let events = [event(1, .created), event(2, .rescheduled, start: later, previous: start), event(3, .reminderSent, start: later),
                      event(4, .attended, start: later)]
        #expect(await intake.apply(events) == .applied)
        // The outcome causes no message to a person, but the CRM needs the contact.
        #expect(asked.ids.withLock { $0 } == ["e1", "e2", "e4"])
        let crm = try await store.deliveries(reference: reference).map(\.delivery).filter { $0.channel == .crm }
        #expect(crm.map(\.id) == ["e1.lead-created.crm", "e2.lead-rescheduled.crm", "e4.lead-attended.crm"])
        #expect(crm.allSatisfy { $0.recipient == "crm" && $0.audience == .team })
        let moved = try WireJSON.decode(LeadChange.self, from: crm[1].payload)
        #expect(moved.appointment.contact == Self.contact)
        #expect(moved.appointment.topic == "Налоги")
        #expect(moved.previousStart == start && moved.appointment.start == later)
        #expect(moved.appointment.source == LeadSourceBody(utmSource: "yandex"))

        // The same events again from the start (a follower restarted from an older point): nothing new.
        try await store.follow(from: 0)
        let (again, _) = try await self.intake(asked: asked, store: store)
        #expect(await again.apply(events) == .applied)
        #expect(try await store.deliveries(reference: reference).filter { $0.delivery.channel == .crm }.count == 3)
    }

    @Test func anErasedClientsBookingSendsNothing() async throws {
        let (intake, store) = try await intake(asked: Asked(), erased: true)
        #expect(await intake.apply([event(1, .created)]) == .applied)
        #expect(try await store.deliveries(reference: reference).filter { $0.delivery.channel == .crm }.isEmpty)
    }
}
