import Foundation

/// A consultation's outcome, marked after its start by a consultant or an admin.
public enum OutcomeName {
    /// The client came: the appointment becomes `completed` (event `booking.attended`).
    public static let attended = "attended"
    /// The client did not come: the appointment becomes `no_show` (event `booking.no_show`).
    public static let noShow = "no_show"
    public static let all = [attended, noShow]
}

/// Marks an appointment attended or no-show. A second mark with the other outcome changes it
/// (and is kept in the history); the same outcome again answers the appointment as it is.
/// An admin (bookctl) marks with their own identity; webd marks only with the signed link a
/// consultant got by email (`expires_at` and `token` from `OutcomeLinksBody`).
public struct MarkOutcomeRequest: Codable, Sendable, Equatable {
    public var reference: String
    /// `attended` or `no_show`.
    public var outcome: String
    /// Kept in the history with the mark, at most `FieldLimits.reasonCharacters`.
    public var note: String?
    public var expiresAt: Date?
    public var token: String?

    public init(reference: String, outcome: String, note: String? = nil, expiresAt: Date? = nil, token: String? = nil) {
        self.reference = reference
        self.outcome = outcome
        self.note = note
        self.expiresAt = expiresAt
        self.token = token
    }
}

/// The consultant's one-click links for marking an appointment: each token is good for one
/// outcome of one appointment until `expires_at`. Only `contact` replies carry them (to notifyd,
/// for the consultant's email), never events.
public struct OutcomeLinksBody: Codable, Sendable, Equatable {
    public var expiresAt: Date
    public var attendedToken: String
    public var noShowToken: String

    public init(expiresAt: Date, attendedToken: String, noShowToken: String) {
        self.expiresAt = expiresAt
        self.attendedToken = attendedToken
        self.noShowToken = noShowToken
    }
}

/// Where a booking's visit came from, as the booking page saw it: the `utm_*` parameters of the
/// address the visit began with, and the referring page's host (no path, no query). Not
/// personal data; each value at most `FieldLimits.sourceCharacters`.
public struct LeadSourceBody: Codable, Sendable, Equatable, Hashable {
    public var utmSource: String?
    public var utmMedium: String?
    public var utmCampaign: String?
    public var referrer: String?

    public init(utmSource: String? = nil, utmMedium: String? = nil, utmCampaign: String? = nil, referrer: String? = nil) {
        self.utmSource = utmSource
        self.utmMedium = utmMedium
        self.utmCampaign = utmCampaign
        self.referrer = referrer
    }

    public var isEmpty: Bool { utmSource == nil && utmMedium == nil && utmCampaign == nil && referrer == nil }
}

/// The steps of a visit to the booking page, in order, for the booking funnel.
public enum VisitStep: String, Codable, Sendable, CaseIterable, Comparable {
    /// The page was first shown (the visit's token was issued then).
    case viewed
    /// The slot list was shown.
    case slots
    /// A slot was chosen (the form for it was shown).
    case chose
    /// The form was sent.
    case sent
    /// The visit got a booking reference.
    case booked

    public static func < (lhs: VisitStep, rhs: VisitStep) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// webd tells bookingd that a visit reached a step. `visit` is the id inside webd's signed visit
/// token (no cookie, nothing personal); bookingd keeps the first time of each step by its own
/// clock. `reference` comes with `booked`.
public struct VisitStepRequest: Codable, Sendable, Equatable {
    public var visit: String
    public var step: VisitStep
    public var reference: String?

    public init(visit: String, step: VisitStep, reference: String? = nil) {
        self.visit = visit
        self.step = step
        self.reference = reference
    }
}

/// The booking figures of a period (`report`): days in the calendar's zone, both included;
/// defaults: the 30 days up to today.
public struct ReportRequest: Codable, Sendable, Equatable {
    public var from: String?
    public var to: String?
    public var consultantId: String?

    public init(from: String? = nil, to: String? = nil, consultantId: String? = nil) {
        self.from = from
        self.to = to
        self.consultantId = consultantId
    }
}
