/// What the client would like to discuss, as they wrote it on the booking form. It is personal
/// data: it reaches the consultant and the event stream, never a log.
public enum ConsultationTopic {
    public static let maximumLength = 1000

    /// Trimmed, line breaks as `\n`; nil when absent or blank. Refused when longer than
    /// `maximumLength` characters or holding control characters other than line breaks.
    public static func validated(_ raw: String?) throws(TopicError) -> String? {
        guard let raw else { return nil }
        let topic = raw.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !topic.isEmpty else { return nil }
        guard topic.count <= maximumLength else { throw .tooLong(maximum: maximumLength, got: topic.count) }
        guard !topic.unicodeScalars.contains(where: { $0 != "\n" && MeetingFormat.isControl($0) }) else {
            throw .controlCharacter
        }
        return topic
    }
}

/// A rejected topic; `message` is written for the person who typed it.
public enum TopicError: Error, Sendable, Hashable, CustomStringConvertible {
    case tooLong(maximum: Int, got: Int)
    /// A tab or another control character (line breaks are allowed).
    case controlCharacter

    public var message: String {
        switch self {
        case let .tooLong(maximum, got): "topic must be at most \(maximum) characters (got \(got))"
        case .controlCharacter: "topic must not contain control characters such as tabs"
        }
    }

    public var description: String { message }
}
