import BookingDomain
import BookingProtocol
import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NotificationStore
import Notifications

/// Turns an event into the messages it causes, rendered once: what the store keeps is what the
/// transports send, byte for byte, however often they try.
final class MessageComposer: Sendable {
    let settings: NotifySettings
    let calendarZone: String
    private let library: NIOLockedValueBox<TemplateLibrary>
    private let logger: Logger

    init(settings: NotifySettings, templates: TemplateLibrary, calendarZone: String, logger: Logger) {
        self.settings = settings
        self.calendarZone = calendarZone
        self.library = NIOLockedValueBox(templates)
        self.logger = logger
    }

    /// Templates edited by an operator, taken on reload once they all load.
    func replaceTemplates(_ templates: TemplateLibrary) {
        library.withLockedValue { $0 = templates }
    }

    private var templates: TemplateLibrary { library.withLockedValue { $0 } }

    /// Whether the event causes any message: then its composition needs the client's contact,
    /// which the event carries masked (the plan's choices do not depend on the contact's values).
    func causesMessages(_ event: EventBody) -> Bool {
        !settings.plan.deliveries(for: event, consultantsWithEmail: []).isEmpty || (settings.crm != nil && LeadChange.kind(of: event) != nil)
    }

    /// The event's deliveries and what it does to the appointment's reminder. `personal`: what
    /// bookingd answered `contact` for the event (the full contact, the topic and the client's
    /// own words); without it nothing is written to anyone, so the caller asks whenever
    /// `causesMessages(event)`. `previousConsultant`: on a move to another consultant, the one
    /// who had the appointment.
    func compose(_ event: EventBody, personal: ContactReply?, consultant: Consultant, previousConsultant: Consultant?) -> AppliedEvent {
        var complete = event
        if let personal {
            complete.appointment.contact = personal.contact
            complete.appointment.topic = personal.topic
            // An admin's message for clients is in the event; a client's own words only in the answer.
            complete.clientMessage = event.clientMessage ?? personal.clientMessage
        }
        let appointment = complete.appointment
        // The internal `reason` is not among the facts: no template can show it.
        let facts = MessageFacts(
            appointment: appointment, consultant: consultant, previousStart: event.previous?.start, previousConsultant: previousConsultant,
            clientMessage: complete.clientMessage, changedByClient: event.actor == Actor.client.rawValue,
            manageURL: manageURL(appointment.reference), calendarZone: calendarZone, confirmation: event.confirmation,
            outcomeLinks: personal?.outcomeLinks
        )
        let withEmail = Set([consultant, previousConsultant].compactMap { $0?.email == nil ? nil : $0?.id })
        let planned = personal == nil ? [] : settings.plan.deliveries(for: complete, consultantsWithEmail: withEmail)
            .filter { $0.audience != .client || !Self.isErased(appointment.contact) }
        var deliveries = planned.compactMap { render($0, facts: facts, invite: Self.invite(event)) }
        if personal != nil, let lead = leadDelivery(complete) { deliveries.append(lead) }
        let erasure = event.kind == .erased ? ErasedAppointment(appointmentId: appointment.id, clientId: appointment.clientId) : nil
        return AppliedEvent(eventId: event.id, sequence: event.sequence, deliveries: deliveries, reminder: reminderChange(event), erasure: erasure)
    }

    /// The change of the booking's lead in the CRM, when one is configured and the event changes
    /// the lead. `complete`: the event with the client's contact and topic. An erased client's
    /// booking is not sent: there is nothing of theirs left to send.
    private func leadDelivery(_ complete: EventBody) -> NewDelivery? {
        guard settings.crm != nil, !Self.isErased(complete.appointment.contact), let change = LeadChange(complete) else { return nil }
        let appointment = complete.appointment
        let id = LeadChange.deliveryId(eventId: complete.id, kind: change.kind)
        do {
            return NewDelivery(id: id, appointmentId: appointment.id, clientId: appointment.clientId, reference: appointment.reference,
                               purpose: change.kind.purpose, channel: .crm, audience: .team, recipient: Channel.crm.rawValue, payload: try WireJSON.encode(change))
        } catch {
            logger.error("a lead change could not be encoded", metadata: ["delivery": "\(id)", "error": "\(error)"])
            return nil
        }
    }

    /// bookingd answers an erased client's contact with empty fields (their data was erased on
    /// request or after the retention period): nobody to write to, and no attendee to invite.
    /// The consultant and the team are still told of the change, as their calendars need.
    private static func isErased(_ contact: ContactBody) -> Bool {
        contact.email.isEmpty
    }

    /// What the change's emails do to the reader's calendar: a hold is not in it yet (its
    /// invite comes with the confirmation), and an end takes it out.
    private static func invite(_ event: EventBody) -> CalendarInvite.Method? {
        switch event.kind {
        case _ where event.appointment.status == "scheduled", .released: nil
        case .cancelled: .cancel
        default: .request
        }
    }

    private func reminderChange(_ event: EventBody) -> ReminderChange {
        let appointment = event.appointment
        // Reminders are for confirmed appointments: a hold gets its reminder when it is confirmed.
        guard appointment.status != "scheduled" else { return .drop(appointmentId: appointment.id) }
        switch event.kind {
        case .created, .rescheduled, .confirmed:
            guard let due = settings.reminders.due(start: appointment.start, changedAt: event.occurredAt) else {
                return .drop(appointmentId: appointment.id)
            }
            return .schedule(ReminderEntry(appointment: appointment, dueAt: due))
        case .cancelled, .released, .attended, .noShow, .erased:
            return .drop(appointmentId: appointment.id)
        case .reminderSent:
            return .keep
        }
    }

    /// The reminder's messages for an appointment still ahead (none for a client whose data was
    /// erased); `personal`: bookingd's answer to `contact` for it, asked when the reminder is due
    /// (the reminder keeps no contact).
    func reminderDeliveries(_ reminder: ReminderEntry, personal: ContactReply, consultant: Consultant) -> [NewDelivery] {
        guard !Self.isErased(personal.contact) else { return [] }
        var appointment = reminder.appointment
        appointment.contact = personal.contact
        appointment.topic = personal.topic
        let facts = MessageFacts(appointment: appointment, consultant: consultant, manageURL: manageURL(appointment.reference), calendarZone: calendarZone,
                                 outcomeLinks: personal.outcomeLinks)
        return settings.plan.reminders(appointmentId: appointment.id, start: appointment.start, phone: appointment.contact.phone,
                                       consultantHasEmail: consultant.email != nil)
            .compactMap { render($0, facts: facts, invite: nil) }
    }

    /// The email with the link that confirms a client's request about their data (bookingd's
    /// `data_link` answer: the token and the appointment with the full contact).
    func dataRequestDelivery(_ link: DataLinkReply, consultant: Consultant) -> NewDelivery? {
        let facts = MessageFacts(appointment: link.appointment, consultant: consultant, manageURL: manageURL(link.appointment.reference),
                                 calendarZone: calendarZone,
                                 dataRequest: DataRequestLink(action: link.action, token: link.token, expiresAt: link.expiresAt))
        let planned = PlannedDelivery(id: Self.dataRequestPrefix(link.action) + UUID().uuidString.lowercased(), purpose: .clientDataRequest,
                                      channel: .email, audience: .client)
        return render(planned, facts: facts, invite: nil)
    }

    /// How the id of a data request's email begins: it says which action the link is for.
    static func dataRequestPrefix(_ action: DataRequestAction) -> String {
        "data-\(action.rawValue)-"
    }

    /// A calendar conflict's notices: to the consultant by email when they have an address, and
    /// to the team over @chat when it is on (the suite has no team address besides). Their ids
    /// come from the conflict's, so a repeated notice plans the same ones and the store keeps
    /// one of each. No client's data is in them: they are sealed under the consultant's own key.
    func calendarConflictDeliveries(_ facts: CalendarConflictFacts) throws -> [NewDelivery] {
        let key = Self.calendarConflictKey(facts.conflict.id)
        let owner = "consultant:\(facts.consultant.id)"
        // notifyd asks bookingd nothing here: the booking is the reference calsyncd gave, if any.
        let reference = facts.conflict.reference ?? ""
        var deliveries: [NewDelivery] = []
        if let address = facts.consultant.email {
            let purpose = MessagePurpose.consultantCalendarConflict
            let id = "\(key).\(purpose.rawValue).email"
            let email = try templates.calendarConflictEmail(facts)
            let messageId = "\(id)@\(settings.messageIdDomain)"
            let message = EmailMessage(
                from: settings.sender, to: [Mailbox(name: facts.consultant.name, address: address)], replyTo: settings.replyTo, subject: email.subject,
                text: email.text, html: email.html, messageID: messageId, date: facts.conflict.foundAt,
                extraHeaders: [("Auto-Submitted", "auto-generated")] + (reference.isEmpty ? [] : [("X-Booking-Reference", reference)])
                    + [("X-Booking-Purpose", purpose.rawValue)]
            )
            deliveries.append(NewDelivery(id: id, appointmentId: "", clientId: owner, reference: reference, purpose: purpose, channel: .email,
                                          audience: .consultant, recipient: address, messageId: messageId, payload: message.encoded()))
        }
        if settings.chat != nil {
            let purpose = MessagePurpose.teamCalendarConflict
            let text = try templates.calendarConflictChat(facts, markup: settings.chatMarkup)
            deliveries.append(NewDelivery(id: "\(key).\(purpose.rawValue).chat", appointmentId: "", clientId: owner, reference: reference, purpose: purpose,
                                          channel: .chat, audience: .team, recipient: "team", payload: Array(text.utf8)))
        }
        return deliveries
    }

    /// A conflict id is calsyncd's and may hold anything up to 200 characters; a delivery's id
    /// goes into Message-IDs and webhook headers, so it carries a digest of it instead.
    static func calendarConflictKey(_ conflictId: String) -> String {
        "calendar-conflict-" + SHA256.hash(data: Array(conflictId.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    private func manageURL(_ reference: String) -> String? {
        settings.manageURL?.replacingOccurrences(of: "{reference}", with: reference)
    }

    /// The invite's title and notes in the reader's language; nil (logged) if they fail, and the
    /// email goes without an invite.
    private func inviteText(_ facts: MessageFacts, language: SupportedLocale) -> CalendarEventText? {
        do {
            return try templates.calendarEvent(facts, language: language)
        } catch {
            logger.error("the calendar invite could not be rendered; the email goes without it", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// One message; nil (logged) if a template fails, which `TemplateLibrary.load` makes rare:
    /// every template was rendered once at start. `invite`: the emails of a change (not the
    /// reminder) carry one: REQUEST adds or moves the event in the reader's calendar, CANCEL
    /// removes it, as it does from a released consultant's.
    private func render(_ planned: PlannedDelivery, facts: MessageFacts, invite method: CalendarInvite.Method?) -> NewDelivery? {
        let appointment = facts.appointment
        do {
            switch planned.channel {
            case .email:
                let email = try templates.email(planned.purpose, facts)
                let reader = facts.reader(of: planned.purpose)
                let recipient: Mailbox
                switch planned.audience {
                case .client: recipient = Mailbox(name: appointment.contact.name, address: appointment.contact.email)
                default: recipient = Mailbox(name: reader.name, address: reader.email ?? "")
                }
                let messageId = "\(planned.id)@\(settings.messageIdDomain)"
                let released = planned.purpose == .consultantReleased
                let invite = method.flatMap { method in
                    inviteText(facts, language: facts.language(of: planned.purpose)).map { event in
                        // The released consultant's copy is the event as they had it, under the same UID
                        // with the higher SEQUENCE, so their calendar drops it.
                        CalendarInvite(
                            method: released ? .cancel : method, appointment: released ? facts.previousAppointment : appointment,
                            stamp: appointment.updatedAt, summary: event.summary, description: event.description, url: facts.manageURL,
                            organizer: settings.sender,
                            attendees: released
                                ? [recipient]
                                : (Self.isErased(appointment.contact) ? [] : [Mailbox(name: appointment.contact.name, address: appointment.contact.email)])
                                    + (facts.consultant.email.map { [Mailbox(name: facts.consultant.name, address: $0)] } ?? [])
                        )
                    }
                }
                let message = EmailMessage(
                    from: settings.sender, to: [recipient], replyTo: settings.replyTo, subject: email.subject, text: email.text, html: email.html,
                    calendar: invite, messageID: messageId, date: appointment.updatedAt,
                    extraHeaders: [("Auto-Submitted", "auto-generated"), ("X-Booking-Reference", appointment.reference),
                                   ("X-Booking-Purpose", planned.purpose.rawValue)]
                )
                return NewDelivery(id: planned.id, appointmentId: appointment.id, clientId: appointment.clientId, reference: appointment.reference,
                                   purpose: planned.purpose, channel: .email, audience: planned.audience, recipient: recipient.address, messageId: messageId, payload: message.encoded())
            case .sms:
                let text = try templates.sms(planned.purpose, facts, maxSegments: settings.smsMaxSegments)
                return NewDelivery(id: planned.id, appointmentId: appointment.id, clientId: appointment.clientId, reference: appointment.reference,
                                   purpose: planned.purpose, channel: .sms, audience: planned.audience, recipient: appointment.contact.phone, payload: Array(text.utf8))
            case .chat:
                let text = try templates.chat(planned.purpose, facts, markup: settings.chatMarkup)
                return NewDelivery(id: planned.id, appointmentId: appointment.id, clientId: appointment.clientId, reference: appointment.reference,
                                   purpose: planned.purpose, channel: .chat, audience: .team, recipient: "team", payload: Array(text.utf8))
            case .crm:
                // The plan has no CRM messages: a lead change is made from the event (`leadDelivery`).
                return nil
            }
        } catch {
            logger.error("a message could not be rendered", metadata: ["delivery": "\(planned.id)", "error": "\(error)"])
            return nil
        }
    }
}
