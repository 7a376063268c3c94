import BookingDomain
import BookingProtocol
import Foundation

/// Everything a message is rendered from. Rendering is a pure function of these facts and the
/// templates, so the same facts always give the same bytes.
public struct MessageFacts: Sendable {
    /// The appointment as it is after the change.
    public var appointment: AppointmentBody
    public var consultant: Consultant
    /// For a reschedule: where the appointment was.
    public var previousStart: Date?
    /// For a cancellation, when one was given.
    public var reason: String?
    /// Where the client reschedules or cancels, e.g. `https://book.example.com/manage/REF`; the
    /// line that shows it is left out when nil.
    public var manageURL: String?
    /// The business calendar's zone (e.g. `Europe/Moscow`): shown beside the client's time when
    /// the clocks differ.
    public var calendarZone: String

    public init(appointment: AppointmentBody, consultant: Consultant, previousStart: Date? = nil, reason: String? = nil,
                manageURL: String? = nil, calendarZone: String) {
        self.appointment = appointment
        self.consultant = consultant
        self.previousStart = previousStart
        self.reason = reason
        self.manageURL = manageURL
        self.calendarZone = calendarZone
    }

    public var language: SupportedLocale { SupportedLocale(identifier: appointment.locale) }
}
