import BookingProtocol
import Foundation

/// The bodies of every message, read by `WireJSON` (and the types' own `init(from:)` where they
/// have one). The first byte picks the type (`bodyTypes[byte % count]`); the rest is the JSON.
///
/// Beyond "no crash": a refused body is described (the error's detail and field), and an
/// accepted one is written (by `JSONWriter` where the type has a hand-written writer) and read
/// back as the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireBodies(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    let type = bodyTypes[Int(data[0]) % bodyTypes.count]
    check(type, Array(UnsafeBufferPointer(start: data + 1, count: size - 1)))
    return 0
}

private func check<Body: Codable & Equatable & Sendable>(_ type: Body.Type, _ bytes: [UInt8]) {
    let body: Body
    do {
        body = try WireJSON.decode(Body.self, from: bytes)
    } catch {
        _ = WireJSON.describe(error)
        _ = WireJSON.field(of: error)
        return
    }
    do {
        // Once written, a body keeps its value (instants have milliseconds on the wire); compared
        // in the canonical form, as JSONEncoder's key order may differ from one encoding to the next.
        let once = try WireJSON.decode(Body.self, from: try WireJSON.encode(body))
        let twice = try WireJSON.decode(Body.self, from: try WireJSON.encode(once))
        let written = try WireJSON.canonical(once), rewritten = try WireJSON.canonical(twice)
        precondition(rewritten == written, "\(Body.self) changes when written again: \(String(decoding: written, as: UTF8.self))")
    } catch {
        preconditionFailure("\(Body.self) read from \(String(decoding: bytes, as: UTF8.self)) cannot be written and read back: \(error)")
    }
}

/// Every body type of the protocol, requests, replies and events alike (clients read replies).
let bodyTypes: [any (Codable & Equatable & Sendable).Type] = [
    ContactBody.self,
    BookRequest.self,
    MeetingBody.self,
    AppointmentBody.self,
    ReferenceRequest.self,
    RescheduleRequest.self,
    CancelRequest.self,
    MarkReminderSentRequest.self,
    ListRequest.self,
    ListReply.self,
    HistoryEntryBody.self,
    HistoryReply.self,
    ReplayRequest.self,
    ReplayReply.self,
    SnapshotRequest.self,
    BookedSlotBody.self,
    SnapshotReply.self,
    PingReply.self,
    PauseRequest.self,
    PauseReply.self,
    Empty.self,
    ReloadReply.self,
    StallRequest.self,
    BackupRequest.self,
    BackupReply.self,
    MetricsReply.self,
    SlotBody.self,
    SlotsReply.self,
    CalendarRequest.self,
    CalendarDayBody.self,
    CalendarReply.self,
    CheckSlotRequest.self,
    CheckSlotReply.self,
    CandidateMeetingBody.self,
    BlockRequest.self,
    BlockedPeriodBody.self,
    BlockReply.self,
    MovedBookingBody.self,
    UnblockRequest.self,
    UnblockReply.self,
    ConsultantBody.self,
    ConsultantEditRequest.self,
    TimeOffBody.self,
    ConsultantRemoveRequest.self,
    TimeOffRequest.self,
    TimeOffRemoveRequest.self,
    WithdrawalReply.self,
    ConsultantsRequest.self,
    ConsultantsReply.self,
    NotificationsRequest.self,
    NotificationAttemptBody.self,
    NotificationBody.self,
    NotificationsReply.self,
    NotificationRetryRequest.self,
    TestEmailRequest.self,
    TestEmailReply.self,
    EventBody.self,
    ErrorBody.self,
]
