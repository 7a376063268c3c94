import Foundation

/// How a consultant, or the suite, holds consultations: what a booking is given when it is made.
public enum MeetingFormat: Sendable, Hashable {
    /// The consultant calls the client on the phone number they gave.
    case phoneCall
    /// A video call: a fixed personal room, or a room per booking from a template.
    case video(VideoRoom)
    /// The client comes to an office.
    case office(address: String)

    /// The format's name in configuration, on the wire and in the store.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case phone
        case video
        case office
    }

    public var kind: Kind {
        switch self {
        case .phoneCall: .phone
        case .video: .video
        case .office: .office
        }
    }

    /// A video room's link as configured (`{reference}` included).
    public var link: String? {
        if case let .video(room) = self { return room.template }
        return nil
    }

    public var address: String? {
        if case let .office(address) = self { return address }
        return nil
    }

    /// What a booking with `reference` is given: a per-booking room gets its own link.
    public func resolved(reference: BookingReference) -> Meeting {
        switch self {
        case .phoneCall: .phoneCall
        case let .video(room): .video(link: room.link(reference: reference))
        case let .office(address): .office(address: address)
        }
    }

    public static let maximumAddressLength = 300
    public static let maximumLinkLength = 500

    /// A format from its parts as configured or sent: `kind` is `phone`, `video` (with `link`) or
    /// `office` (with `address`); the part the format does not use must be absent.
    public static func validated(kind rawKind: String, link: String?, address: String?) throws(MeetingFormatError) -> MeetingFormat {
        guard let kind = Kind(rawValue: rawKind.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw .unknownFormat(rawKind)
        }
        let link = link?.trimmingCharacters(in: .whitespacesAndNewlines), address = address?.trimmingCharacters(in: .whitespacesAndNewlines)
        switch kind {
        case .phone:
            if link != nil { throw .unexpected(field: .link, format: kind) }
            if address != nil { throw .unexpected(field: .address, format: kind) }
            return .phoneCall
        case .video:
            if address != nil { throw .unexpected(field: .address, format: kind) }
            return .video(try VideoRoom(template: link ?? ""))
        case .office:
            if link != nil { throw .unexpected(field: .link, format: kind) }
            return .office(address: try validatedAddress(address ?? ""))
        }
    }

    static func validatedAddress(_ address: String) throws(MeetingFormatError) -> String {
        guard !address.isEmpty else { throw .missing(field: .address) }
        guard address.count <= maximumAddressLength else { throw .tooLong(field: .address, maximum: maximumAddressLength) }
        guard !address.unicodeScalars.contains(where: isControl) else { throw .controlCharacter(field: .address) }
        return address
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator, .format: true
        default: false
        }
    }
}

/// A video room's link: an http(s) URL, in which `{reference}` stands for the booking's
/// reference when each booking gets its own room (e.g. `https://meet.example.com/{reference}`).
public struct VideoRoom: Sendable, Hashable {
    public static let referencePlaceholder = "{reference}"

    /// The link as configured, placeholders included.
    public let template: String

    /// Whether each booking gets its own room.
    public var isPerBooking: Bool { template.contains(Self.referencePlaceholder) }

    public init(template raw: String) throws(MeetingFormatError) {
        let template = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !template.isEmpty else { throw .missing(field: .link) }
        guard template.count <= MeetingFormat.maximumLinkLength else { throw .tooLong(field: .link, maximum: MeetingFormat.maximumLinkLength) }
        guard !template.unicodeScalars.contains(where: { MeetingFormat.isControl($0) || $0 == " " }) else {
            throw .controlCharacter(field: .link)
        }
        // Every brace must belong to a known placeholder: `{ref}` left in a link would send
        // every client to the same wrong room.
        let withoutPlaceholders = template.replacingOccurrences(of: Self.referencePlaceholder, with: "")
        if let brace = withoutPlaceholders.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            let rest = withoutPlaceholders[brace...]
            // `{name}` when it is closed, else the stray brace and what follows up to the end.
            let closing = rest.first == "{" ? rest.firstIndex(of: "}") : nil
            throw .unknownPlaceholder(String(closing.map { rest[...$0] } ?? (rest.first == "{" ? rest : rest.prefix(1))))
        }
        // Checked with a sample reference, the way a booking will fill it.
        guard let url = URL(string: template.replacingOccurrences(of: Self.referencePlaceholder, with: "BK-0000-0000-0000-00000")),
              let scheme = url.scheme?.lowercased() else {
            throw .malformedLink(template)
        }
        guard scheme == "https" || scheme == "http" else { throw .scheme(scheme) }
        guard let host = url.host, !host.isEmpty else { throw .malformedLink(template) }
        self.template = template
    }

    /// The room of the booking with `reference`.
    public func link(reference: BookingReference) -> String {
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/;"))
        let filled = reference.description.addingPercentEncoding(withAllowedCharacters: allowed) ?? reference.description
        return template.replacingOccurrences(of: Self.referencePlaceholder, with: filled)
    }
}

/// The meeting fixed on a booking when it was made: a format with its link or address resolved.
public enum Meeting: Sendable, Hashable {
    case phoneCall
    case video(link: String)
    case office(address: String)

    public var kind: MeetingFormat.Kind {
        switch self {
        case .phoneCall: .phone
        case .video: .video
        case .office: .office
        }
    }

    public var link: String? {
        if case let .video(link) = self { return link }
        return nil
    }

    public var address: String? {
        if case let .office(address) = self { return address }
        return nil
    }

    /// A meeting as stored or sent: the same rules as a format, and a link without placeholders.
    public static func validated(kind: String, link: String?, address: String?) throws(MeetingFormatError) -> Meeting {
        switch try MeetingFormat.validated(kind: kind, link: link, address: address) {
        case .phoneCall: return .phoneCall
        case let .video(room):
            guard !room.isPerBooking else { throw .unknownPlaceholder(VideoRoom.referencePlaceholder) }
            return .video(link: room.template)
        case let .office(address): return .office(address: address)
        }
    }
}

/// A rejected meeting format, naming the part (`format`, `link` or `address`) at fault.
public enum MeetingFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Field: String, Sendable, Hashable {
        case format
        case link
        case address
    }

    case unknownFormat(String)
    case missing(field: Field)
    /// A link given for an office, or an address for a video call.
    case unexpected(field: Field, format: MeetingFormat.Kind)
    case tooLong(field: Field, maximum: Int)
    case controlCharacter(field: Field)
    case malformedLink(String)
    case scheme(String)
    case unknownPlaceholder(String)

    public var field: Field {
        switch self {
        case .unknownFormat: .format
        case let .missing(field), let .unexpected(field, _), let .tooLong(field, _), let .controlCharacter(field): field
        case .malformedLink, .scheme, .unknownPlaceholder: .link
        }
    }

    public var message: String {
        switch self {
        case let .unknownFormat(text):
            "'\(text)' is not a meeting format; use phone, video or office"
        case .missing(.link), .missing(.format):
            "a video meeting needs a link, e.g. https://meet.example.com/{reference}"
        case .missing(.address):
            "an office meeting needs the office's address"
        case let .unexpected(field, format):
            "\(format == .office ? "an" : "a") \(format.rawValue) meeting has no \(field.rawValue); leave it out"
        case let .tooLong(field, maximum):
            "the \(field.rawValue) must be at most \(maximum) characters"
        case let .controlCharacter(field):
            "the \(field.rawValue) must be one line without control characters\(field == .link ? " or spaces" : "")"
        case let .malformedLink(link):
            "'\(link)' is not a link such as https://meet.example.com/room"
        case let .scheme(scheme):
            "a meeting link must start with https:// or http://, not \(scheme):"
        case let .unknownPlaceholder(name):
            "'\(name)' is not a placeholder a meeting link may hold; the only one is \(VideoRoom.referencePlaceholder)"
        }
    }

    public var description: String { message }
}

// Both forms are coded as `{"format": …, "link": …, "address": …}`, the shape configuration and
// the wire use; decoding validates.

/// A meeting in its three parts, as `MeetingFormat` and `Meeting` are both written.
protocol MeetingParts: Codable {
    var kind: MeetingFormat.Kind { get }
    var link: String? { get }
    var address: String? { get }
    static func validated(kind: String, link: String?, address: String?) throws(MeetingFormatError) -> Self
}

private enum MeetingCodingKeys: String, CodingKey { case format, link, address }

extension MeetingParts {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: MeetingCodingKeys.self)
        let (kind, link, address) = try (c.decode(String.self, forKey: .format), c.decodeIfPresent(String.self, forKey: .link),
                                         c.decodeIfPresent(String.self, forKey: .address))
        do {
            self = try Self.validated(kind: kind, link: link, address: address)
        } catch {
            // At the part at fault, as the rest of a decoded body reports its errors.
            let key = MeetingCodingKeys(rawValue: error.field.rawValue) ?? .format
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [key], debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: MeetingCodingKeys.self)
        try c.encode(kind.rawValue, forKey: .format)
        try c.encodeIfPresent(link, forKey: .link)
        try c.encodeIfPresent(address, forKey: .address)
    }
}

extension MeetingFormat: MeetingParts {}
extension Meeting: MeetingParts {}
