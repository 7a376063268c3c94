import BookingDomain
import BookingProtocol
import DaemonKit

/// The `meeting:` section of booking.yaml: how consultations happen for consultants without a
/// format of their own. A booking is given its consultant's format, resolved, when it is made.
public enum SuiteMeeting {
    public static func load(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> MeetingFormat? {
        try configuration.section("meeting", as: RawMeeting.self)?.validated(file: configuration.file, key: "meeting")
    }
}

/// A meeting format as booking.yaml spells it, in `meeting:` and in a consultant's entry.
struct RawMeeting: Decodable {
    var format: String
    var link: String?
    var address: String?

    func validated(file: String, key: String) throws(ConfigurationError) -> MeetingFormat {
        do {
            return try MeetingFormat.validated(kind: format, link: link, address: address)
        } catch {
            throw ConfigurationError(file: file, key: "\(key).\(error.field.rawValue)", problem: error.message)
        }
    }
}

extension MeetingBody {
    public init(_ format: MeetingFormat) {
        self.init(format: format.kind.rawValue, link: format.link, address: format.address)
    }
}
