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
        case .completed: self = .completed
        case .noShow: self = .noShow
        case .reminderSent: self = .reminderSent
        case .confirmed: self = .confirmed
        case .released: self = .released
        }
    }
}
