import DaemonKit
import Delivery
import Foundation
import Notifications

/// The `notifications:` section of booking.yaml, checked: every problem names its key.
struct NotifySettings: Sendable {
    var templatesDirectory: String
    var sender: Mailbox
    var replyTo: Mailbox?
    var messageIdDomain: String
    /// `{reference}` is replaced with the appointment's reference.
    var manageURL: String?
    var email: EmailRoute
    var sms: SMSRoute?
    var smsMaxSegments: Int
    var chat: ChatRoute?
    /// How the team chat reads text: chat templates' values are escaped for it.
    var chatMarkup: ChatMarkup
    /// Where each booking's lead goes; nil: no CRM.
    var crm: CRMRoute?
    var reminders: ReminderRule
    var retry: RetryPolicy
    /// Deliveries in flight at once, over every channel.
    var concurrency: Int

    enum EmailRoute: Sendable {
        case directory(String)
        case smtp(SMTPSettings)
        case sendmail(path: String, arguments: [String])
    }

    enum SMSRoute: Sendable {
        case directory(String)
        case http(SMSGateway)
    }

    enum ChatRoute: Sendable {
        case directory(String)
        case webhook(url: String, secret: String)
        case zeromq(endpoint: String, pattern: ZMQChatSink.Pattern)
    }

    /// An HTTP SMS gateway described by configuration, so common providers fit without code:
    /// `{phone}`, `{text}`, `{reference}` and `{api_key}` are replaced in the URL, header values
    /// and field values; fields are sent as a JSON object or a form.
    struct SMSGateway: Sendable {
        var url: String
        var method: String
        var headers: [(String, String)]
        var format: String
        var fields: [(String, String)]
        var apiKey: String?
        var timeout: Duration
    }

    var plan: DeliveryPlan { DeliveryPlan(sms: sms != nil, chat: chat != nil) }

    /// How long a claim on a delivery lasts before another notifyd instance may take it over.
    /// It must outlast the longest send, or a slow send would be taken over and sent twice
    /// while it is still under way: each transfer is bounded by its transport's timeout (curl's
    /// whole-transfer limit, the ZeroMQ sink's send timeout), a CRM change makes a few requests
    /// (a lookup, then the creation or the update), and recording the outcome may wait on the
    /// database. Four times the longest timeout covers that; five minutes at least, since a
    /// claim taken over early costs a duplicate while one taken over late only delays a retry.
    var claimLease: Duration {
        var timeouts: [Duration] = [.seconds(10)]
        if case .smtp(let smtp) = email { timeouts.append(smtp.timeout) }
        if case .http(let gateway) = sms { timeouts.append(gateway.timeout) }
        if let crm { timeouts.append(crm.timeout) }
        return max(.seconds(5 * 60), timeouts.max()! * 4)
    }
}

extension NotifySettings {
    static func load(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> NotifySettings {
        let raw = try configuration.section("notifications", as: RawNotifications.self) ?? RawNotifications()
        func fail(_ key: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(file: configuration.file, key: "notifications.\(key)", problem: problem)
        }
        func secret(_ key: String, _ name: String?) throws(ConfigurationError) -> String? {
            guard let name else { return nil }
            do {
                return try CredentialFile.read(name, configuration: configuration, daemon: "notifyd")
            } catch {
                throw fail(key, error.problem)
            }
        }

        let senderAddress = raw.sender?.address ?? "booking@localhost"
        guard isAddress(senderAddress) else { throw fail("sender.address", "'\(senderAddress)' is not an email address") }
        let sender = Mailbox(name: raw.sender?.name ?? "Booking", address: senderAddress)
        var replyTo: Mailbox?
        if let reply = raw.replyTo {
            guard isAddress(reply.address ?? "") else { throw fail("reply_to.address", "'\(reply.address ?? "")' is not an email address") }
            replyTo = Mailbox(name: reply.name, address: reply.address!)
        }
        let domain = raw.messageIdDomain ?? String(senderAddress.split(separator: "@").last ?? "localhost")
        guard !domain.isEmpty, domain.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else {
            throw fail("message_id_domain", "'\(domain)' is not a domain name")
        }
        if let url = raw.manageURL, !(url.hasPrefix("http://") || url.hasPrefix("https://")) || !url.contains("{reference}") {
            throw fail("manage_url", "must be an http(s) URL containing {reference}, e.g. https://book.example.com/manage/{reference}")
        }
        // Development's "what would be sent": by default beside the databases.
        let defaultDirectory = raw.email?.directory ?? (configuration.stateDirectory as NSString).appendingPathComponent("mail")
        let mailDirectory = configuration.path(defaultDirectory)

        let email: EmailRoute
        switch raw.email?.transport ?? "directory" {
        case "directory":
            email = .directory(mailDirectory)
        case "smtp":
            guard let smtp = raw.email?.smtp, let host = smtp.host, !host.isEmpty else { throw fail("email.smtp.host", "is required for the smtp transport") }
            let security = SMTPSettings.Security(rawValue: smtp.security ?? "starttls")
            guard let security else { throw fail("email.smtp.security", "'\(smtp.security ?? "")' is not starttls, tls or none") }
            let port = smtp.port ?? (security == .implicitTLS ? 465 : 587)
            guard (1...65535).contains(port) else { throw fail("email.smtp.port", "must be between 1 and 65535, got \(port)") }
            let timeout = smtp.timeoutSeconds ?? 30
            guard (1...600).contains(timeout) else { throw fail("email.smtp.timeout_seconds", "must be between 1 and 600, got \(timeout)") }
            let connections = smtp.connections ?? 4
            guard (1...64).contains(connections) else { throw fail("email.smtp.connections", "must be between 1 and 64, got \(connections)") }
            if smtp.username != nil && smtp.passwordFile == nil { throw fail("email.smtp.password_file", "is required with a username") }
            email = .smtp(SMTPSettings(
                host: host, port: port, security: security, username: smtp.username,
                password: try secret("email.smtp.password_file", smtp.passwordFile), timeout: .seconds(timeout),
                caFile: smtp.caFile.map { configuration.path($0) }, verifyPeer: smtp.verifyPeer ?? true, connections: connections
            ))
        case "sendmail":
            let path = raw.email?.sendmail?.path ?? "/usr/sbin/sendmail"
            email = .sendmail(path: path, arguments: raw.email?.sendmail?.arguments ?? ["-t", "-i"])
        case let other:
            throw fail("email.transport", "'\(other)' is not directory, smtp or sendmail")
        }

        var sms: SMSRoute?
        if raw.sms?.enabled ?? false {
            switch raw.sms?.transport ?? "directory" {
            case "directory":
                sms = .directory(configuration.path(raw.sms?.directory ?? defaultDirectory))
            case "http":
                guard let http = raw.sms?.http, let url = http.url, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw fail("sms.http.url", "an http(s) URL is required for the http transport")
                }
                let format = http.format ?? "json"
                guard ["json", "form"].contains(format) else { throw fail("sms.http.format", "'\(format)' is not json or form") }
                let method = (http.method ?? "POST").uppercased()
                guard ["POST", "PUT", "GET"].contains(method) else { throw fail("sms.http.method", "'\(method)' is not POST, PUT or GET") }
                let fields = (http.fields ?? ["to": "{phone}", "text": "{text}"]).sorted { $0.key < $1.key }
                sms = .http(SMSGateway(
                    url: url, method: method, headers: (http.headers ?? [:]).sorted { $0.key < $1.key }, format: format, fields: fields,
                    apiKey: try secret("sms.http.api_key_file", http.apiKeyFile), timeout: .seconds(http.timeoutSeconds ?? 10)
                ))
            case let other:
                throw fail("sms.transport", "'\(other)' is not directory or http")
            }
        }
        let segments = raw.sms?.maxSegments ?? 2
        guard (1...10).contains(segments) else { throw fail("sms.max_segments", "must be between 1 and 10, got \(segments)") }

        var chat: ChatRoute?
        if raw.chat?.enabled ?? true {
            switch raw.chat?.transport ?? "directory" {
            case "directory":
                chat = .directory(configuration.path(raw.chat?.directory ?? defaultDirectory))
            case "webhook":
                guard let url = raw.chat?.webhook?.url, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw fail("chat.webhook.url", "an http(s) URL is required for the webhook transport")
                }
                guard let secret = try secret("chat.webhook.secret_file", raw.chat?.webhook?.secretFile) else {
                    throw fail("chat.webhook.secret_file", "is required: receivers check the signature")
                }
                chat = .webhook(url: url, secret: secret)
            case "zeromq":
                guard let endpoint = raw.chat?.zeromq?.endpoint, endpoint.hasPrefix("tcp://") || endpoint.hasPrefix("ipc://") else {
                    throw fail("chat.zeromq.endpoint", "a tcp:// or ipc:// endpoint is required for the zeromq transport")
                }
                guard let pattern = ZMQChatSink.Pattern(rawValue: raw.chat?.zeromq?.pattern ?? "push") else {
                    throw fail("chat.zeromq.pattern", "'\(raw.chat?.zeromq?.pattern ?? "")' is not push or pub")
                }
                chat = .zeromq(endpoint: endpoint, pattern: pattern)
            case let other:
                throw fail("chat.transport", "'\(other)' is not directory, webhook or zeromq")
            }
        }
        guard let chatMarkup = ChatMarkup(rawValue: raw.chat?.markup ?? ChatMarkup.markdown.rawValue) else {
            throw fail("chat.markup", "'\(raw.chat?.markup ?? "")' is not \(ChatMarkup.allCases.map(\.rawValue).joined(separator: ", "))")
        }

        let crm = try CRMRoute.load(raw.crm, fail: fail, secret: secret)

        let leadHours = raw.reminders?.leadHours ?? 24
        guard (1...336).contains(leadHours) else { throw fail("reminders.lead_hours", "must be between 1 and 336, got \(leadHours)") }
        let initial = raw.retry?.initialSeconds ?? 10
        guard (1...3600).contains(initial) else { throw fail("retry.initial_seconds", "must be between 1 and 3600, got \(initial)") }
        let maximum = raw.retry?.maxSeconds ?? 1800
        guard (initial...86_400).contains(maximum) else { throw fail("retry.max_seconds", "must be between retry.initial_seconds and 86400, got \(maximum)") }
        let giveUp = raw.retry?.giveUpHours ?? 24
        guard (1...720).contains(giveUp) else { throw fail("retry.give_up_hours", "must be between 1 and 720, got \(giveUp)") }
        let concurrency = raw.concurrency ?? 16
        guard (1...256).contains(concurrency) else { throw fail("concurrency", "must be between 1 and 256, got \(concurrency)") }

        return NotifySettings(
            templatesDirectory: configuration.path(raw.templates ?? "templates"), sender: sender, replyTo: replyTo, messageIdDomain: domain,
            manageURL: raw.manageURL, email: email, sms: sms, smsMaxSegments: segments, chat: chat, chatMarkup: chatMarkup, crm: crm,
            reminders: ReminderRule(lead: TimeInterval(leadHours * 3600), insideLead: raw.reminders?.insideLead ?? false),
            retry: RetryPolicy(initialDelay: TimeInterval(initial), maximumDelay: TimeInterval(maximum), giveUpAfter: TimeInterval(giveUp * 3600)),
            concurrency: concurrency
        )
    }

    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && (parts[1].contains(".") || parts[1] == "localhost")
    }
}

private struct RawNotifications: Decodable {
    var templates: String?
    var sender: RawMailbox?
    var replyTo: RawMailbox?
    var messageIdDomain: String?
    var manageURL: String?
    var email: RawEmail?
    var sms: RawSMS?
    var chat: RawChat?
    var crm: RawCRM?
    var reminders: RawReminders?
    var retry: RawRetry?
    var concurrency: Int?
    enum CodingKeys: String, CodingKey {
        case templates, sender, replyTo = "reply_to", messageIdDomain = "message_id_domain", manageURL = "manage_url"
        case email, sms, chat, crm, reminders, retry, concurrency
    }
}

private struct RawMailbox: Decodable {
    var name: String?
    var address: String?
}

private struct RawEmail: Decodable {
    var transport: String?
    var directory: String?
    var smtp: RawSMTP?
    var sendmail: RawSendmail?
}

private struct RawSMTP: Decodable {
    var host: String?
    var port: Int?
    var security: String?
    var username: String?
    var passwordFile: String?
    var timeoutSeconds: Int?
    var caFile: String?
    var verifyPeer: Bool?
    var connections: Int?
    enum CodingKeys: String, CodingKey {
        case host, port, security, username, passwordFile = "password_file", timeoutSeconds = "timeout_seconds", caFile = "ca_file"
        case verifyPeer = "verify_peer", connections
    }
}

private struct RawSendmail: Decodable {
    var path: String?
    var arguments: [String]?
}

private struct RawSMS: Decodable {
    var enabled: Bool?
    var transport: String?
    var directory: String?
    var maxSegments: Int?
    var http: RawSMSHTTP?
    enum CodingKeys: String, CodingKey { case enabled, transport, directory, maxSegments = "max_segments", http }
}

private struct RawSMSHTTP: Decodable {
    var url: String?
    var method: String?
    var headers: [String: String]?
    var apiKeyFile: String?
    var format: String?
    var fields: [String: String]?
    var timeoutSeconds: Int?
    enum CodingKeys: String, CodingKey { case url, method, headers, apiKeyFile = "api_key_file", format, fields, timeoutSeconds = "timeout_seconds" }
}

private struct RawChat: Decodable {
    var enabled: Bool?
    var transport: String?
    var directory: String?
    var markup: String?
    var webhook: RawWebhook?
    var zeromq: RawChatZMQ?
}

/// A signed webhook's address and secret file: @chat's and the CRM's.
struct RawWebhook: Decodable {
    var url: String?
    var secretFile: String?
    enum CodingKeys: String, CodingKey { case url, secretFile = "secret_file" }
}

private struct RawChatZMQ: Decodable {
    var endpoint: String?
    var pattern: String?
}

private struct RawReminders: Decodable {
    var leadHours: Int?
    var insideLead: Bool?
    enum CodingKeys: String, CodingKey { case leadHours = "lead_hours", insideLead = "inside_lead" }
}

private struct RawRetry: Decodable {
    var initialSeconds: Int?
    var maxSeconds: Int?
    var giveUpHours: Int?
    enum CodingKeys: String, CodingKey { case initialSeconds = "initial_seconds", maxSeconds = "max_seconds", giveUpHours = "give_up_hours" }
}
