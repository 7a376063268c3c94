import BookingDomain
import Foundation

extension SupportedLocale {
    /// The Foundation locale whose month and weekday names a message uses.
    var formattingLocale: Locale { Locale(identifier: self == .ru ? "ru_RU" : "en_GB") }
}

/// Which message, to whom. The raw value is the template file's stem.
public enum MessagePurpose: String, Sendable, CaseIterable {
    case clientConfirmation = "client-confirmation"
    case clientRescheduled = "client-rescheduled"
    case clientCancelled = "client-cancelled"
    case clientReminder = "client-reminder"
    /// The same time with another consultant.
    case clientConsultantChanged = "client-consultant-changed"
    /// A held booking (hold-then-confirm): please confirm it by the link or the code.
    case clientConfirmRequest = "client-confirm-request"
    /// A held booking that was not confirmed in time was released.
    case clientHoldReleased = "client-hold-released"
    /// The client asked on the manage page for a copy of their data or its erasure: the link
    /// that confirms it (by email only: it proves the request comes from the address's owner).
    case clientDataRequest = "client-data-request"
    case consultantCreated = "consultant-created"
    case consultantRescheduled = "consultant-rescheduled"
    case consultantCancelled = "consultant-cancelled"
    /// A day before: the consultation, and the links that mark it attended or a no-show.
    case consultantReminder = "consultant-reminder"
    /// To the consultant who had the appointment: a colleague has it now.
    case consultantReleased = "consultant-released"
    case teamCreated = "team-created"
    case teamRescheduled = "team-rescheduled"
    case teamCancelled = "team-cancelled"
    case teamConsultantChanged = "team-consultant-changed"
    /// calsyncd found the consultant's own calendar at odds with a booking; nothing was cancelled.
    case consultantCalendarConflict = "consultant-calendar-conflict"
    case teamCalendarConflict = "team-calendar-conflict"
    /// The CRM's lead for a booking (`LeadChange`): made from the appointment, no template.
    case leadCreated = "lead-created"
    case leadRescheduled = "lead-rescheduled"
    case leadCancelled = "lead-cancelled"
    case leadAttended = "lead-attended"
    case leadNoShow = "lead-no-show"

    /// Who reads it; decides the zone times are shown in and what of the contact is shown.
    enum Addressee: Sendable { case client, consultant, team }

    var addressee: Addressee {
        switch self {
        case .clientConfirmation, .clientRescheduled, .clientCancelled, .clientReminder, .clientConsultantChanged,
             .clientConfirmRequest, .clientHoldReleased, .clientDataRequest: .client
        case .consultantCreated, .consultantRescheduled, .consultantCancelled, .consultantReleased, .consultantCalendarConflict,
             .consultantReminder: .consultant
        case .teamCreated, .teamRescheduled, .teamCancelled, .teamConsultantChanged, .teamCalendarConflict: .team
        // The sales team reads the CRM; it has no templates (`parts` is empty).
        case .leadCreated, .leadRescheduled, .leadCancelled, .leadAttended, .leadNoShow: .team
        }
    }

    /// A change of the booking's lead in the CRM, not a message to a person.
    public var isLead: Bool {
        switch self {
        case .leadCreated, .leadRescheduled, .leadCancelled, .leadAttended, .leadNoShow: true
        default: false
        }
    }

    /// Told of a calendar conflict (`CalendarConflictFacts`), not of a booking's change (`MessageFacts`).
    public var isCalendarConflict: Bool {
        self == .consultantCalendarConflict || self == .teamCalendarConflict
    }

    /// The template parts this purpose is rendered from.
    public var parts: [TemplatePart] {
        switch addressee {
        case _ where isLead: []
        case .client where self == .clientDataRequest: [.subject, .text, .html]
        case .client: [.subject, .text, .html, .sms]
        case .consultant: [.subject, .text, .html]
        case .team: [.chat]
        }
    }
}

/// One template file: `<language>/<purpose>.<part>.mustache`; `summary` and `description` are
/// the calendar event's (`calendar-event.summary.mustache`).
public enum TemplatePart: String, Sendable, CaseIterable {
    case subject, text, html, sms, chat, summary, description

    /// HTML escapes values; every other part is plain text and takes them as they are.
    var isHTML: Bool { self == .html }
}
