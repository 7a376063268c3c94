import BookingDomain
import BookingProtocol
import Foundation

extension AppointmentBody {
    public init(_ appointment: Appointment) {
        self.init(
            reference: appointment.bookingReference.description,
            id: appointment.id.uuidString.lowercased(),
            clientId: appointment.clientId.uuidString.lowercased(),
            consultantId: appointment.consultantId,
            start: appointment.timeSlot.start,
            end: appointment.timeSlot.end,
            status: appointment.status.rawValue,
            contact: ContactBody(appointment.contactInfo),
            timeZone: appointment.clientTimeZone,
            locale: appointment.locale,
            createdAt: appointment.createdAt,
            updatedAt: appointment.updatedAt,
            reminderSent: appointment.reminderSent,
            revision: appointment.revision,
            meeting: appointment.meeting.map(MeetingBody.init),
            topic: appointment.topic,
            holdExpiresAt: appointment.holdExpiresAt
        )
        erasedAt = appointment.erasedAt
        source = appointment.source.map(LeadSourceBody.init)
    }
}

extension LeadSourceBody {
    public init(_ source: LeadSource) {
        self.init(utmSource: source.utmSource, utmMedium: source.utmMedium, utmCampaign: source.utmCampaign, referrer: source.referrer)
    }
}

extension MeetingBody {
    public init(_ meeting: Meeting) {
        self.init(format: meeting.kind.rawValue, link: meeting.link, address: meeting.address)
    }
}

extension ContactBody {
    public init(_ contact: ContactInfo) {
        self.init(name: contact.name, email: contact.email, phone: contact.phone, company: contact.company)
    }
}

extension EventKind {
    init(_ kind: TransitionKind) {
        switch kind {
        case .created: self = .created
        case .rescheduled: self = .rescheduled
        case .cancelled: self = .cancelled
        case .attended: self = .attended
        case .noShow: self = .noShow
        case .reminderSent: self = .reminderSent
        case .confirmed: self = .confirmed
        case .released: self = .released
        }
    }
}

extension EventBody {
    /// The event as subscribers of the PUB socket receive it, who may be anyone the socket lets
    /// in (`@chat` among them): the contact masked as logs mask it, no company or topic, and none
    /// of the client's own words. notifyd, which writes to the client, asks bookingd for those
    /// (`personalData`). An admin's reason and the text an admin chose for clients stay.
    var withoutPersonalData: EventBody {
        var event = self
        let contact = appointment.contact
        event.appointment.contact = ContactBody(
            name: ContactInfo.maskedName(contact.name), email: ContactInfo.maskedEmail(contact.email), phone: ContactInfo.maskedPhone(contact.phone)
        )
        event.appointment.topic = nil
        if actor == Actor.client.rawValue {
            event.reason = nil
            event.clientMessage = nil
        }
        // A mark's note is about how the client's consultation went: the history keeps it (sealed
        // under the client's key), the stream does not.
        if kind == .attended || kind == .noShow { event.reason = nil }
        return event
    }
}
