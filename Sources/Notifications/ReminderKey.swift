import CivilTime
import Foundation

/// The one spelling of a reminder's id: `reminder.<appointment id>.<start in ms>`. Its messages
/// are `<id>.<channel>`; the start is part of it, so a reminder for a new time is a new one.
public struct ReminderKey: Sendable, Hashable, CustomStringConvertible {
    public let appointmentId: String
    public let start: Date

    public init(appointmentId: String, start: Date) {
        self.appointmentId = appointmentId
        self.start = start
    }

    public var description: String { "reminder.\(appointmentId).\(start.millisecondsSince1970)" }

    public func deliveryId(_ channel: Channel) -> String { "\(description).\(channel.rawValue)" }

    /// The consultant's reminder email (with the links that mark the outcome).
    public var consultantDeliveryId: String { "\(description).consultant" }
}
