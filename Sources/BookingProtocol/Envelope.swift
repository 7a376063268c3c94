import Foundation

/// The multipart envelope every request, reply and event travels in.
///
/// Requests and replies (ROUTER/DEALER, REQ-compatible):
/// `["", "booking/1", type, header, body]` — the empty delimiter frame lets a plain REQ socket
/// talk to a daemon too; a ROUTER prepends its routing identities before it.
/// Events (PUB/SUB): `[topic, "booking/1", header, body]`, where the topic is `booking.<kind>`.
public struct Envelope: Sendable, Equatable {
    public static let signature = "booking/1"
    public static let signatureBytes = Array(signature.utf8)

    public var type: String
    public var header: MessageHeader
    public var body: [UInt8]

    public init(type: String, header: MessageHeader, body: [UInt8]) {
        self.type = type
        self.header = header
        self.body = body
    }

    public init<Body: Encodable>(type: String, header: MessageHeader, encoding body: Body) throws {
        self.init(type: type, header: header, body: try WireJSON.encode(body))
    }

    public func decodeBody<Body: Decodable>(_ type: Body.Type = Body.self) throws(ProtocolError) -> Body {
        try requireUTF8Body()
        do {
            return try WireJSON.decode(Body.self, from: body)
        } catch {
            throw WireJSON.refusal(of: error, decoding: body, in: "the body of '\(self.type)'")
        }
    }

    /// JSONDecoder would read UTF-16 and UTF-32 too; the wire is UTF-8 only.
    func requireUTF8Body() throws(ProtocolError) {
        if let encoding = WireText.foreignEncoding(of: body) {
            throw ProtocolError(.malformed, "the body of '\(type)' is \(encoding); JSON on this wire is UTF-8 only", field: "body")
        }
    }

    /// The frames of a request or reply, without routing identities.
    public func frames() -> [[UInt8]] {
        [[], Self.signatureBytes, Array(type.utf8), WireJSON.encodeHeader(header), body]
    }

    /// The frames of an event on the PUB socket.
    public func eventFrames(topic: String) -> [[UInt8]] {
        [Array(topic.utf8), Self.signatureBytes, WireJSON.encodeHeader(header), body]
    }

    /// Splits a message received on a ROUTER socket into its routing identities and envelope.
    /// The identities are everything before the first empty frame.
    public static func splitRouted(_ frames: [[UInt8]]) throws(ProtocolError) -> (route: [[UInt8]], envelope: Envelope) {
        guard let delimiter = frames.firstIndex(where: \.isEmpty) else {
            throw ProtocolError(.malformed, "no empty delimiter frame between routing identities and the envelope")
        }
        let envelope = try decode(Array(frames[delimiter...]))
        return (Array(frames[..<delimiter]), envelope)
    }

    /// Decodes `["", signature, type, header, body]` (the leading delimiter is optional).
    public static func decode(_ frames: [[UInt8]]) throws(ProtocolError) -> Envelope {
        var parts = frames[...]
        if parts.first?.isEmpty == true { parts = parts.dropFirst() }
        guard parts.count == 4 else {
            throw ProtocolError(.malformed, "expected 4 frames (signature, type, header, body) after the delimiter, got \(parts.count)")
        }
        let signature = parts[parts.startIndex]
        guard signature == signatureBytes else {
            let text = String(decoding: signature.prefix(32), as: UTF8.self)
            if text.hasPrefix("booking/") {
                throw ProtocolError(.unsupportedVersion, "protocol '\(text)' is not supported; this daemon speaks \(Self.signature)")
            }
            throw ProtocolError(.malformed, "the first frame must be '\(Self.signature)'")
        }
        guard let type = String(validating: parts[parts.startIndex + 1], as: UTF8.self), !type.isEmpty else {
            throw ProtocolError(.malformed, "the message type frame is empty or not UTF-8")
        }
        if let encoding = WireText.foreignEncoding(of: parts[parts.startIndex + 2]) {
            throw ProtocolError(.malformed, "the header is \(encoding); JSON on this wire is UTF-8 only")
        }
        let header: MessageHeader
        do {
            let frame = parts[parts.startIndex + 2]
            header = try HeaderParser.parse(frame) ?? WireJSON.decode(MessageHeader.self, from: frame)
        } catch {
            throw WireJSON.refusal(of: error, decoding: parts[parts.startIndex + 2], in: "the header", fieldPrefix: "header.")
        }
        return Envelope(type: type, header: header, body: Array(parts[parts.startIndex + 3]))
    }

    /// The `id` of a request whose envelope could not be decoded, when its header is still a JSON
    /// object with a string `id`: the error reply carries it as `correlation_id`, so a DEALER
    /// client can match the refusal instead of retrying until it gives up.
    public static func recoverableId(_ frames: [[UInt8]]) -> String? {
        guard let delimiter = frames.firstIndex(where: \.isEmpty), delimiter + 3 < frames.count,
              let header = try? JSONSerialization.jsonObject(with: Data(frames[delimiter + 3])) as? [String: Any]
        else { return nil }
        return header["id"] as? String
    }

    /// Decodes an event `[topic, signature, header, body]`.
    public static func decodeEvent(_ frames: [[UInt8]]) throws(ProtocolError) -> (topic: String, envelope: Envelope) {
        guard frames.count == 4 else {
            throw ProtocolError(.malformed, "an event has 4 frames (topic, signature, header, body), got \(frames.count)")
        }
        let topic = String(decoding: frames[0], as: UTF8.self)
        let envelope = try decode([[], frames[1], Array(topic.utf8), frames[2], frames[3]])
        return (topic, envelope)
    }
}

/// Metadata of every message. A reply's `correlationId` is the `id` of the request it answers
/// (Jupyter's parent id); an event's is the id of the command that caused it.
public struct MessageHeader: Codable, Sendable, Equatable {
    public var id: String
    public var correlationId: String?
    /// On commands that change state: a retry with the same key gets the first answer.
    public var idempotencyKey: String?
    public var sentAt: Date
    /// The sender no longer waits for an answer after this instant.
    public var deadline: Date?
    /// Who sends an admin command: the OS user name of `bookctl`'s caller, for the audit trail.
    public var user: String?
    /// On events: the gap-free sequence number.
    public var sequence: UInt64?
    /// On events: the identity of the database `sequence` counts in. A new epoch (a restored
    /// database, a failover that lost data) means the numbers start over: start from a snapshot.
    public var epoch: String?

    public init(id: String = UUID().uuidString.lowercased(), correlationId: String? = nil, idempotencyKey: String? = nil,
                sentAt: Date = Date(), deadline: Date? = nil, user: String? = nil, sequence: UInt64? = nil, epoch: String? = nil) {
        self.id = id
        self.correlationId = correlationId
        self.idempotencyKey = idempotencyKey
        self.sentAt = sentAt
        self.deadline = deadline
        self.user = user
        self.sequence = sequence
        self.epoch = epoch
    }
}
