import CivilTime
import CCurl
import Foundation

/// Where and how `SMTPTransport` connects.
public struct SMTPSettings: Sendable, Equatable {
    public enum Security: String, Sendable {
        /// Plain connection upgraded with STARTTLS, which the server must offer.
        case startTLS = "starttls"
        /// TLS from the first byte (SMTPS, usually port 465).
        case implicitTLS = "tls"
        /// No encryption: loopback and development only.
        case none
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// Bounds connecting and, separately, the whole transaction.
    public var timeout: Duration
    /// A CA bundle (PEM) to verify the server with, used instead of the system's bundle.
    public var caFile: String?
    public var verifyPeer: Bool
    /// Concurrent SMTP connections, each kept open for the next message.
    public var connections: Int
    /// The name this host gives in EHLO (libcurl says "localhost" when nil); some relays want
    /// the sending host's real name.
    public var localName: String?

    public init(
        host: String,
        port: Int = 587,
        security: Security = .startTLS,
        username: String? = nil,
        password: String? = nil,
        timeout: Duration = .seconds(30),
        caFile: String? = nil,
        verifyPeer: Bool = true,
        connections: Int = 4,
        localName: String? = nil
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout
        self.caFile = caFile
        self.verifyPeer = verifyPeer
        self.connections = connections
        self.localName = localName
    }

    /// "host:port", as reasons name the server.
    var endpoint: String { "\(host):\(port)" }

    var url: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let bracketed = host.contains(":") ? "[\(host)]" : host
        // libcurl takes the EHLO name from the URL's path.
        let path = localName.map { "/" + ($0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0) } ?? ""
        return "\(scheme)://\(bracketed):\(port)\(path)"
    }
}

/// SMTP through libcurl: STARTTLS or implicit TLS, AUTH, `connections` worker threads that each
/// keep one easy handle (and so one open connection) for the messages that follow.
public final class SMTPTransport: MailTransport {
    public let settings: SMTPSettings
    private let pool: CurlWorkerPool

    public init(_ settings: SMTPSettings) {
        self.settings = settings
        pool = CurlWorkerPool(workers: settings.connections, name: "smtp")
    }

    deinit { pool.close() }

    public func send(_ message: [UInt8], from: String, to: [String]) async throws(DeliveryFailure) {
        try EnvelopeValidation.check(from: from, to: to)
        if message.isEmpty { throw .permanent("empty message") }
        let settings = self.settings
        let failure = await pool.perform(closedResult: .transient("SMTP transport shut down")) { curl in
            Self.transmit(message, from: from, to: to, settings: settings, curl: curl)
        }
        if let failure { throw failure }
    }

    /// Stops the workers after their current message; each closes its connection (QUIT).
    public func shutdown() async {
        await pool.shutdown()
    }

    /// Runs on a worker thread: one SMTP transaction on the worker's handle.
    private static func transmit(
        _ message: [UInt8], from: String, to: [String], settings: SMTPSettings, curl: CurlHandle
    ) -> DeliveryFailure? {
        let transfer = CurlTransfer(curl)
        transfer.set(CURLOPT_URL, settings.url)
        transfer.set(CURLOPT_CONNECTTIMEOUT_MS, Int(max(1, settings.timeout.timeoutMilliseconds)))
        transfer.set(CURLOPT_TIMEOUT_MS, Int(max(1, settings.timeout.timeoutMilliseconds)))
        if settings.security == .startTLS {
            transfer.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        }
        if let username = settings.username { transfer.set(CURLOPT_USERNAME, username) }
        if let password = settings.password { transfer.set(CURLOPT_PASSWORD, password) }
        if let caFile = settings.caFile { transfer.set(CURLOPT_CAINFO, caFile) }
        transfer.set(CURLOPT_SSL_VERIFYPEER, settings.verifyPeer ? 1 : 0)
        transfer.set(CURLOPT_SSL_VERIFYHOST, settings.verifyPeer ? 2 : 0)
        transfer.set(CURLOPT_MAIL_FROM, "<\(from)>")
        transfer.set(CURLOPT_MAIL_RCPT, list: to.map { "<\($0)>" })
        transfer.setUpload(message)
        let error = transfer.perform(endpoint: settings.endpoint, host: settings.host)
        return FailureClassification.smtp(
            error: error, replyCode: transfer.responseCode, replyLine: transfer.lastReplyLine,
            timeout: settings.timeout)
    }
}
