import Foundation

extension MessageType {
    /// Everything bookingd holds about one person (admins only, audited).
    public static let export = "export"
    /// Erase one person's personal data, after cancelling their future appointments (admins only).
    public static let erase = "erase"
}

/// Whose data: exactly one of an email, a phone or a booking reference (its client).
public struct DataSubjectRequest: Codable, Sendable, Equatable {
    public var email: String?
    public var phone: String?
    public var reference: String?

    public init(email: String? = nil, phone: String? = nil, reference: String? = nil) {
        self.email = email
        self.phone = phone
        self.reference = reference
    }
}

public struct EraseRequest: Codable, Sendable, Equatable {
    public var email: String?
    public var phone: String?
    public var reference: String?
    /// Why (kept in the cancelled appointments' history until the erasure blanks it; shown in
    /// the log). Defaults to "erasure requested".
    public var reason: String?

    public init(email: String? = nil, phone: String? = nil, reference: String? = nil, reason: String? = nil) {
        self.email = email
        self.phone = phone
        self.reference = reference
        self.reason = reason
    }

    public var subject: DataSubjectRequest { DataSubjectRequest(email: email, phone: phone, reference: reference) }
}

/// The record of one act of erasure (`erase.reply`, and in an export): no personal data.
public struct ErasureBody: Codable, Sendable, Equatable {
    public var id: String
    public var at: Date
    public var user: String
    /// `request` or `retention`.
    public var reason: String
    public var clientIds: [String]
    public var appointments: Int
    public var historyEntries: Int
    public var idempotencyRecords: Int
    public var clientKeys: Int
    public var cancelled: Int

    public init(id: String, at: Date, user: String, reason: String, clientIds: [String], appointments: Int, historyEntries: Int,
                idempotencyRecords: Int, clientKeys: Int, cancelled: Int) {
        self.id = id
        self.at = at
        self.user = user
        self.reason = reason
        self.clientIds = clientIds
        self.appointments = appointments
        self.historyEntries = historyEntries
        self.idempotencyRecords = idempotencyRecords
        self.clientKeys = clientKeys
        self.cancelled = cancelled
    }
}

public struct ExportedBookingBody: Codable, Sendable, Equatable {
    public var appointment: AppointmentBody
    public var history: [HistoryEntryBody]

    public init(appointment: AppointmentBody, history: [HistoryEntryBody]) {
        self.appointment = appointment
        self.history = history
    }
}

/// `export.reply`: everything bookingd holds about the person. `bookctl privacy export` adds
/// `messages`, notifyd's part.
public struct ExportReply: Codable, Sendable, Equatable {
    public var clientIds: [String]
    public var bookings: [ExportedBookingBody]
    public var erasures: [ErasureBody]
    /// The consents given on the booking form, oldest first.
    public var consents: [ConsentRecordBody]?
    public var messages: [ExportedMessageBody]?

    public init(clientIds: [String], bookings: [ExportedBookingBody], erasures: [ErasureBody], consents: [ConsentRecordBody]? = nil,
                messages: [ExportedMessageBody]? = nil) {
        self.clientIds = clientIds
        self.bookings = bookings
        self.erasures = erasures
        self.consents = consents
        self.messages = messages
    }
}

/// One consent as bookingd keeps it: `processing` or `marketing`, with the booking it came with.
public struct ConsentRecordBody: Codable, Sendable, Equatable {
    public var reference: String
    public var purpose: String
    public var notice: String
    public var at: Date
    /// Masked; gone once the person's data was erased.
    public var address: String?

    public init(reference: String, purpose: String, notice: String, at: Date, address: String?) {
        self.reference = reference
        self.purpose = purpose
        self.notice = notice
        self.at = at
        self.address = address
    }
}

/// notifyd's `export`: the messages that name these clients (the ids bookingd's `export` gives).
public struct MessagesExportRequest: Codable, Sendable, Equatable {
    public var clientIds: [String]

    public init(clientIds: [String]) {
        self.clientIds = clientIds
    }
}

public struct MessagesExportReply: Codable, Sendable, Equatable {
    public var messages: [ExportedMessageBody]

    public init(messages: [ExportedMessageBody]) {
        self.messages = messages
    }
}

/// One message sent about the person: as `notifications` shows it, with what it said; to the
/// person, also the address or number it went to (to staff, theirs stays masked).
public struct ExportedMessageBody: Codable, Sendable, Equatable {
    public var notification: NotificationBody
    /// The whole address or number, for a message to the client; nil for the team's and the consultant's.
    public var recipient: String?
    /// The message as sent (an email in its RFC 5322 form, an SMS or chat text); nil once erased.
    public var content: String?

    public init(notification: NotificationBody, recipient: String?, content: String?) {
        self.notification = notification
        self.recipient = recipient
        self.content = content
    }
}

// MARK: The client's own request, from the manage page (issue 13)

extension MessageType {
    /// notifyd: email the client of a booking the link that confirms their request to export or
    /// erase their data (webd sends it from the manage page). The link is what proves the
    /// request is theirs: the reference alone is not enough to erase anyone.
    public static let sendDataLink = "send_data_link"
    /// bookingd: the link's token and where to send it (notifyd only).
    public static let dataLink = "data_link"
    /// bookingd: the client's export or erasure, confirmed by the emailed link's token.
    public static let clientExport = "client_export"
    public static let clientErase = "client_erase"
}

/// What the client asks for by the link: a copy of their data, or its erasure.
public enum DataRequestAction: String, Codable, Sendable, CaseIterable {
    case export
    case erase
}

/// `send_data_link` (to notifyd) and `data_link` (to bookingd): for the client of `reference`.
public struct DataLinkRequest: Codable, Sendable, Equatable {
    /// How long the emailed link works.
    public static let lifetime: TimeInterval = 24 * 3600

    public var reference: String
    public var action: DataRequestAction

    public init(reference: String, action: DataRequestAction) {
        self.reference = reference
        self.action = action
    }
}

/// `send_data_link.reply`: the link is on its way to this (masked) address and works until then.
public struct SentDataLinkReply: Codable, Sendable, Equatable {
    public var sentTo: String
    public var expiresAt: Date

    public init(sentTo: String, expiresAt: Date) {
        self.sentTo = sentTo
        self.expiresAt = expiresAt
    }
}

/// `data_link.reply`: the token for this action on this booking until `expires_at`, and the
/// appointment (with the client's full contact) the email is about.
public struct DataLinkReply: Codable, Sendable, Equatable {
    public var action: DataRequestAction
    public var token: String
    public var expiresAt: Date
    public var appointment: AppointmentBody

    public init(action: DataRequestAction, token: String, expiresAt: Date, appointment: AppointmentBody) {
        self.action = action
        self.token = token
        self.expiresAt = expiresAt
        self.appointment = appointment
    }
}

/// `client_export` and `client_erase`: the emailed link's fields as the confirmation form posts them.
public struct ClientDataRequest: Codable, Sendable, Equatable {
    public var reference: String
    public var token: String
    public var expiresAt: Date

    public init(reference: String, token: String, expiresAt: Date) {
        self.reference = reference
        self.token = token
        self.expiresAt = expiresAt
    }
}
