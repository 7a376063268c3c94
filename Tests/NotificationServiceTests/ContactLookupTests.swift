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

/// notifyd's intake with events as bookingd writes them now (the contact masked, no topic, no
/// words of the client's), asking a stand-in bookingd for the contact: what goes to the client
/// is written from bookingd's answer, the chat sees masked data only, and an event bookingd
/// cannot answer for waits, with those after it, until it can.
@Suite struct ContactLookupTests {
    static let contact = ContactBody(name: "Иван Петров", email: "ivan.petrov@example.com", phone: "+79161234567", company: "ООО Ромашка")
    let reference = BookingReference.random().description
    let start = ISO8601.parseInstant("2026-12-03T11:00:00+03:00")!
    let directory = NSTemporaryDirectory() + "intake-\(UUID().uuidString)"

    /// bookingd as the intake sees it: answers `contact` with the whole contact, or is away.
    final class StandIn: Sendable {
        let away = Mutex(false)
        let asked = Mutex<[ContactRequest]>([])
        let reply: @Sendable (ContactRequest) -> ContactReply

        init(reply: @escaping @Sendable (ContactRequest) -> ContactReply) {
            self.reply = reply
        }

        var contacts: ClientContacts {
            ClientContacts { request in
                self.asked.withLock { $0.append(request) }
                if self.away.withLock({ $0 }) { throw ProtocolError(.unavailable, "bookingd is stopping") }
                return self.reply(request)
            }
        }
    }

    func standIn(clientMessage: String? = "Fell ill, sorry") -> StandIn {
        StandIn { request in
            ContactReply(reference: request.reference, contact: Self.contact, topic: "Taxes on the sale of a flat",
                         clientMessage: request.eventId?.hasSuffix("cancelled") == true ? clientMessage : nil)
        }
    }

    func intake(_ bookingd: StandIn) async throws -> (EventIntake, SQLiteNotificationStore, MessageComposer) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/booking.yaml"
        let yaml = SuiteFiles.configuration(consultants: ["anna"], clockStart: "2026-12-01T07:58:00+03:00", minimumNoticeMinutes: 120, logLevel: "warning",
                                            notifications: SuiteFiles.developmentNotifications, extra: "web: {}\n")
        let configuration = try SuiteConfiguration.parse(yaml, file: file)
        let settings = try NotifySettings.load(configuration)
        let logger = Logger(label: "notifyd")
        let composer = MessageComposer(settings: settings, templates: try NotificationDaemon.loadTemplates(settings.templatesDirectory),
                                       calendarZone: "Europe/Moscow", logger: logger)
        let directory = ConsultantDirectory(calendarZone: "Europe/Moscow") {
            ConsultantsReply(consultants: [ConsultantBody(id: "anna", name: "Anna Smirnova", email: "anna@example.com", timeZone: "Europe/Moscow")])
        }
        let store = try SQLiteNotificationStore(path: self.directory + "/notifyd.sqlite", masterKey: MasterKey(.random()))
        let intake = try await EventIntake(store: store, composer: composer, directory: directory, contacts: bookingd.contacts,
                                           clock: SuiteClock(configuration: configuration), dispatcher: WakeSignal(), logger: logger)
        return (intake, store, composer)
    }

    /// An event as bookingd publishes it: the contact masked, no company, no topic, and on a
    /// client's own change no reason and no message.
    func event(_ sequence: UInt64, _ kind: EventKind, status: String = "confirmed") -> EventBody {
        let appointment = AppointmentBody(
            reference: reference, id: "a-1", clientId: "c-1", consultantId: "anna", start: start, end: start.addingTimeInterval(1800), status: status,
            contact: ContactBody(name: "И*** П***", email: "i***@example.com", phone: "+7916*****67"), timeZone: "Europe/Moscow", locale: "en",
            createdAt: start.addingTimeInterval(-86_400), updatedAt: start.addingTimeInterval(-86_400), reminderSent: false, revision: Int(sequence) - 1
        )
        return EventBody(sequence: sequence, id: "e\(sequence).\(kind.rawValue)", kind: kind, occurredAt: appointment.updatedAt, appointment: appointment,
                         actor: "client")
    }

    /// A stored message as its reader gets it (quoted-printable lines joined).
    static func text(_ delivery: NewDelivery) -> String {
        String(decoding: delivery.payload, as: UTF8.self).replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
    }

    /// The email's calendar part (base64), decoded.
    static func invite(_ delivery: NewDelivery) -> String? {
        let text = String(decoding: delivery.payload, as: UTF8.self)
        guard let part = text.range(of: "Content-Type: text/calendar") else { return nil }
        let afterHeaders = text[part.upperBound...].components(separatedBy: "\r\n\r\n").dropFirst().first ?? ""
        let base64 = afterHeaders.components(separatedBy: "\r\n--").first?.replacingOccurrences(of: "\r\n", with: "") ?? ""
        return Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "\r\n ", with: "") }
    }

    @Test func theClientsMessagesAreWrittenFromBookingdsAnswerAndTheChatSeesItMasked() async throws {
        let bookingd = standIn()
        let (intake, store, _) = try await intake(bookingd)
        #expect(await intake.apply([event(1, .created), event(2, .cancelled, status: "cancelled")]) == .applied)
        #expect(bookingd.asked.withLock { $0 } == [ContactRequest(reference: reference, eventId: "e1.created"),
                                                     ContactRequest(reference: reference, eventId: "e2.cancelled")])
        let sent = try await store.deliveries(reference: reference).map(\.delivery)
        func message(_ purpose: MessagePurpose, _ channel: Channel) throws -> NewDelivery {
            try #require(sent.first { $0.purpose == purpose && $0.channel == channel }, "\(purpose) \(channel)")
        }
        let confirmation = try message(.clientConfirmation, .email)
        #expect(confirmation.recipient == "ivan.petrov@example.com")
        #expect(Self.text(confirmation).contains("<ivan.petrov@example.com>") && Self.text(confirmation).contains(reference))
        #expect(try message(.clientConfirmation, .sms).recipient == "+79161234567")
        #expect(Self.text(try message(.clientConfirmation, .sms)).contains(reference), "the client's own messages keep the whole reference")
        let consultant = Self.text(try message(.consultantCreated, .email))
        #expect(consultant.contains("ivan.petrov@example.com") && consultant.contains("+79161234567"), "\(consultant)")
        #expect(consultant.contains("Taxes on the sale of a flat"), "the topic, from bookingd's answer")
        // The client's own words on their cancellation: in their message and the consultant's.
        #expect(Self.text(try message(.clientCancelled, .email)).contains("Fell ill, sorry"))
        #expect(Self.text(try message(.consultantCancelled, .email)).contains("Fell ill, sorry"))

        // As the chat shows it: its markdown escapes undone.
        let chat = try [message(.teamCreated, .chat), message(.teamCancelled, .chat)].map(Self.text).map { line in
            line.replacingOccurrences(of: "\\", with: "").replacingOccurrences(of: "\u{2060}", with: "")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        }
        for line in chat {
            #expect(line.contains("И*** П*** <i***@example.com> +7916*****67"), "\(line)")
            #expect(line.contains(BookingReference.masked(reference)) && !line.contains(reference), "the reference masked: \(line)")
            #expect(!line.contains("Иван") && !line.contains("ivan.petrov") && !line.contains("Fell ill"), "\(line)")
        }
        // The reminder keeps no contact: it asks when it is due.
        #expect(try await store.reminder(appointmentId: "a-1")?.state == .dropped)
    }

    @Test func anEventBookingdCannotAnswerForWaitsWithThoseAfterItAndIsAppliedOnce() async throws {
        let bookingd = standIn()
        let (intake, store, _) = try await intake(bookingd)
        bookingd.away.withLock { $0 = true }
        #expect(await intake.apply([event(1, .created), event(2, .rescheduled)]) == .interrupted)
        #expect(await intake.lastSequence == 0)
        #expect(try await store.deliveries(reference: reference).isEmpty, "nothing written from the masked contact")

        // Back: the follower's catch-up brings the same events, and each is applied once, in order.
        bookingd.away.withLock { $0 = false }
        #expect(await intake.apply([event(1, .created)]) == .applied)
        bookingd.away.withLock { $0 = true }
        #expect(await intake.apply([event(1, .created), event(2, .rescheduled), event(3, .cancelled, status: "cancelled")]) == .interrupted)
        #expect(await intake.lastSequence == 1)
        bookingd.away.withLock { $0 = false }
        #expect(await intake.apply([event(1, .created), event(2, .rescheduled), event(3, .cancelled, status: "cancelled")]) == .applied)
        #expect(await intake.lastSequence == 3)
        let purposes = try await store.deliveries(reference: reference).filter { $0.delivery.channel == .email && $0.delivery.audience == .client }
            .map(\.delivery.purpose)
        #expect(purposes == [.clientConfirmation, .clientRescheduled, .clientCancelled])
        #expect(try await store.deliveries(reference: reference).allSatisfy { $0.delivery.recipient != "i***@example.com" })

        // An event that tells nobody anything asks nothing, even with bookingd away.
        bookingd.away.withLock { $0 = true }
        let asked = bookingd.asked.withLock { $0.count }
        #expect(await intake.apply([event(4, .reminderSent)]) == .applied)
        #expect(bookingd.asked.withLock { $0.count } == asked)
    }

    /// `bookctl privacy erase` cancels first, then erases: notifyd may ask after the erasure, and
    /// bookingd answers the contact empty. Nobody is written to at an empty address; the
    /// consultant's calendar still loses the event.
    @Test func anErasedClientIsWrittenToByNobodyAndTheConsultantIsStillTold() async throws {
        let bookingd = StandIn { request in ContactReply(reference: request.reference, contact: ContactBody(name: "", email: "", phone: "")) }
        let (intake, store, composer) = try await intake(bookingd)
        #expect(await intake.apply([event(1, .cancelled, status: "cancelled")]) == .applied)
        let sent = try await store.deliveries(reference: reference).map(\.delivery)
        #expect(sent.map(\.audience).sorted { $0.rawValue < $1.rawValue } == [.consultant, .team], "\(sent.map(\.id))")
        #expect(sent.allSatisfy { !$0.recipient.isEmpty })
        let consultant = try #require(sent.first { $0.audience == .consultant })
        let invite = try #require(Self.invite(consultant))
        #expect(invite.contains("METHOD:CANCEL"))
        #expect(invite.components(separatedBy: "ATTENDEE").count == 2 && invite.contains("mailto:anna@example.com"), "the consultant alone: \(invite)")

        let start = self.start
        let reminder = ReminderEntry(appointment: event(1, .created).appointment, dueAt: start.addingTimeInterval(-86_400))
        let none = try await bookingd.contacts.contact(for: reminder)
        #expect(composer.reminderDeliveries(reminder, personal: none, consultant: Consultant(id: "anna", name: "Anna", email: nil, timeZone: "Europe/Moscow")).isEmpty)
    }

    @Test func aReminderIsWrittenFromTheContactAskedWhenItIsDue() async throws {
        let bookingd = standIn()
        let (intake, store, composer) = try await intake(bookingd)
        #expect(await intake.apply([event(1, .created)]) == .applied)
        let reminder = try #require(try await store.reminder(appointmentId: "a-1"))
        #expect(reminder.state == .scheduled && reminder.appointment.contact.email.isEmpty && reminder.appointment.topic == nil)
        let personal = try await bookingd.contacts.contact(for: reminder)
        #expect(bookingd.asked.withLock { $0.last } == ContactRequest(reference: reference))
        let messages = composer.reminderDeliveries(reminder, personal: personal, consultant: Consultant(id: "anna", name: "Anna", email: nil, timeZone: "Europe/Moscow"))
        #expect(messages.map(\.recipient).sorted() == ["+79161234567", "ivan.petrov@example.com"])
        #expect(messages.allSatisfy { $0.clientId == "c-1" })
    }
}

/// The whole path with the daemons in this process: bookingd publishes events masked, notifyd
/// asks it for the contact, writes to the client, and keeps what it sent sealed.
@Suite(.serialized) struct SealedSuiteTests {
    @Test func theClientIsToldInFullAndNoDaemonsFileHoldsThem() async throws {
        var options = InProcessSuite.Options()
        options.daemons = [.availabilityd, .bookingd, .notifyd]
        let suite = try await InProcessSuite.start(options)
        let bookingd = try await suite.client(.bookingd)
        var references: [String] = []
        for (name, start) in [("Иван Петров", "2026-12-02T11:00:00+03:00"), ("Ivan Petrov", "2026-12-02T12:00:00+03:00")] {
            let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(
                start: ISO8601.parseInstant(start)!, contact: ContactBody(name: name, email: "ivan.petrov@example.com", phone: "+79161234567", company: "ООО Ромашка"),
                locale: "en", consultantId: "anna", topic: "Продажа квартиры: налоги"))
            references.append(booked.reference)
        }
        let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: references[1], reason: "Заболел, простите"))
        // Client and consultant, twice, and the cancellation to both.
        let emails = try await NotificationFlowTests.waitForEmails(suite, count: 6)
        #expect(emails.count == 6)
        #expect(emails.values.filter { $0.contains("To: ") && $0.contains("<ivan.petrov@example.com>") }.count == 3, "written from bookingd's answer")
        let replay: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0))
        #expect(replay.events.allSatisfy { $0.appointment.contact.email == "i***@example.com" }, "the events carried the contact masked")

        let files = try FileManager.default.contentsOfDirectory(atPath: suite.configuration.stateDirectory)
        #expect(Set(["notifyd.sqlite", "notifyd.sqlite-wal", "bookingd.sqlite", "bookingd.sqlite-wal"]).isSubset(of: files), "\(files)")
        let found = try PlaintextSearch.occurrences(of: ["Иван Петров", "Ivan Petrov", "ivan.petrov@example.com", "ivan.petrov", "+79161234567", "79161234567",
                                                         "Ромашка", "Продажа квартиры", "Заболел"],
                                                    inFilesUnder: suite.configuration.stateDirectory)
        #expect(found.isEmpty, "every daemon's files (databases, -wal, -shm): \(found)")
        try await suite.stop()
    }
}
