import BookingDomain
import BookingProtocol
import CivilTime
import Foundation

/// Everything a message is rendered from. Rendering is a pure function of these facts and the
/// templates, so the same facts always give the same bytes.
public struct MessageFacts: Sendable {
    /// The appointment as it is after the change.
    public var appointment: AppointmentBody
    public var consultant: Consultant
    /// For a reschedule: where the appointment was.
    public var previousStart: Date?
    /// For a move to another consultant: the one who had it.
    public var previousConsultant: Consultant?
    /// What the client and the team may be told about why (`EventBody.clientMessage`); never an
    /// admin's internal reason.
    public var clientMessage: String?
    /// The client made the change themselves.
    public var changedByClient: Bool
    /// Where the client reschedules or cancels, e.g. `https://book.example.com/manage/REF`; the
    /// line that shows it is left out when nil.
    public var manageURL: String?
    /// The business calendar's zone (e.g. `Europe/Moscow`): shown beside the client's time when
    /// the clocks differ.
    public var calendarZone: String
    /// A held booking's "please confirm" message: how the client confirms it.
    public var confirmation: ConfirmationBody?
    /// The client's request to export or erase their data: the link that confirms it.
    public var dataRequest: DataRequestLink?
    /// The consultant's links for marking the outcome (bookingd's `contact` answer has them).
    public var outcomeLinks: OutcomeLinksBody?

    public init(appointment: AppointmentBody, consultant: Consultant, previousStart: Date? = nil, previousConsultant: Consultant? = nil,
                clientMessage: String? = nil, changedByClient: Bool = false, manageURL: String? = nil, calendarZone: String,
                confirmation: ConfirmationBody? = nil, dataRequest: DataRequestLink? = nil, outcomeLinks: OutcomeLinksBody? = nil) {
        self.outcomeLinks = outcomeLinks
        self.appointment = appointment
        self.consultant = consultant
        self.previousStart = previousStart
        self.previousConsultant = previousConsultant
        self.clientMessage = clientMessage
        self.changedByClient = changedByClient
        self.manageURL = manageURL
        self.calendarZone = calendarZone
        self.confirmation = confirmation
        self.dataRequest = dataRequest
    }

    /// The page that confirms a request about the client's data (on a POST): the manage page's
    /// `data` below it, with the action, the end and the token that signs both.
    public var dataRequestURL: String? {
        guard let manageURL, let dataRequest else { return nil }
        let expires = dataRequest.expiresAt.millisecondsSince1970
        return "\(manageURL)/data?action=\(dataRequest.action.rawValue)&expires=\(expires)&token=\(dataRequest.token)"
    }

    /// The page that confirms a hold (on a POST): the manage page's `confirm` below it, with the
    /// token; nil without a manage page, and the client types the code there instead.
    public var confirmURL: String? {
        guard let manageURL, let confirmation else { return nil }
        return "\(manageURL)/confirm?token=\(confirmation.token)"
    }

    /// The page that marks the consultation attended (on a POST): the manage page's `outcome`
    /// below it, with the outcome, the link's end and the token that signs the three.
    public var attendedURL: String? { outcomeURL(OutcomeName.attended, \.attendedToken) }
    public var noShowURL: String? { outcomeURL(OutcomeName.noShow, \.noShowToken) }

    private func outcomeURL(_ outcome: String, _ token: KeyPath<OutcomeLinksBody, String>) -> String? {
        guard let manageURL, let outcomeLinks else { return nil }
        return "\(manageURL)/outcome?outcome=\(outcome)&expires=\(outcomeLinks.expiresAt.millisecondsSince1970)&token=\(outcomeLinks[keyPath: token])"
    }

    /// The consultant a consultant-* message goes to: the one who had the appointment for a release.
    public func reader(of purpose: MessagePurpose) -> Consultant {
        purpose == .consultantReleased ? previousConsultant ?? consultant : consultant
    }

    /// Clients and the team read the booking's language; a consultant their own.
    public func language(of purpose: MessagePurpose) -> SupportedLocale {
        purpose.addressee == .consultant ? reader(of: purpose).locale : SupportedLocale(identifier: appointment.locale)
    }

    /// The appointment as the one who had it knew it (a release's invite removes this one).
    public var previousAppointment: AppointmentBody {
        var previous = appointment
        if let previousStart {
            previous.start = previousStart
            previous.end = previousStart.addingTimeInterval(appointment.end.timeIntervalSince(appointment.start))
        }
        if let previousConsultant { previous.consultantId = previousConsultant.id }
        return previous
    }
}

/// A client's request about their data, as the emailed link carries it.
public struct DataRequestLink: Sendable, Equatable {
    public var action: DataRequestAction
    public var token: String
    public var expiresAt: Date

    public init(action: DataRequestAction, token: String, expiresAt: Date) {
        self.action = action
        self.token = token
        self.expiresAt = expiresAt
    }
}
