import BookingDomain
import BookingProtocol
import DaemonKit
import Delivery
import Foundation
import Notifications
import NotificationStore
import ZeroMQ

/// The configured way out for each channel. One attempt per call; the dispatcher decides on
/// retries.
final class Transports: Sendable {
    private let settings: NotifySettings
    private let mail: any MailTransport
    /// Only when a channel goes over HTTP: each connection is a thread.
    private let http: HTTPTransport?
    private let chatSink: ZMQChatSink?
    private let leads: LeadSender?
    private let clock: SuiteClock

    /// `store`: where the CRM's lead ids are kept. `calendarZone`: the business's, for the leads' times.
    init(settings: NotifySettings, context: ZMQContext, clock: SuiteClock, store: any NotificationStore, calendarZone: String) async throws {
        self.settings = settings
        self.clock = clock
        switch settings.email {
        case .directory(let directory): mail = MailDirectoryTransport(directory: directory)
        case .smtp(let smtp): mail = SMTPTransport(smtp)
        case .sendmail(let path, let arguments): mail = SendmailTransport(path: path, arguments: arguments)
        }
        var needsHTTP = false
        if case .http = settings.sms { needsHTTP = true }
        if case .webhook = settings.chat { needsHTTP = true }
        if settings.crm != nil { needsHTTP = true }
        let http = needsHTTP ? HTTPTransport(connections: 4) : nil
        self.http = http
        leads = settings.crm.flatMap { route in
            http.map { http in
                LeadSender(provider: route.provider, destination: Self.destination(route, http: http, clock: clock, calendarZone: calendarZone), store: store,
                           clock: { clock.now() })
            }
        }
        if case .zeromq(let endpoint, let pattern) = settings.chat {
            chatSink = try await ZMQChatSink(context: context, endpoint: endpoint, pattern: pattern)
        } else {
            chatSink = nil
        }
    }

    func shutdown() async {
        if let smtp = mail as? SMTPTransport { await smtp.shutdown() }
        await http?.shutdown()
        await chatSink?.close()
    }

    /// The configured way out for email, as an operator would name it.
    var mailTransport: String {
        switch settings.email {
        case .directory(let directory): "the mail directory \(directory)"
        case .smtp(let smtp): "SMTP \(smtp.host):\(smtp.port)"
        case .sendmail(let path, _): "sendmail (\(path))"
        }
    }

    /// One test message to `address` through the mail transport, now: `bookctl notifications test-email`.
    func sendTestEmail(to address: String, now: Date) async throws(DeliveryFailure) -> TestEmailReply {
        let messageId = "test.\(UUID().uuidString.lowercased())@\(settings.messageIdDomain)"
        let text = """
            Это проверочное письмо системы записи на консультации: почта настроена и доходит.
            This is a test message from the consultation booking suite: email is set up and arrives.

            \(mailTransport)
            """
        let html = "<p>Это проверочное письмо системы записи на консультации: почта настроена и доходит.</p>"
            + "<p>This is a test message from the consultation booking suite: email is set up and arrives.</p>"
        let message = EmailMessage(
            from: settings.sender, to: [Mailbox(address: address)], replyTo: settings.replyTo,
            subject: "Проверка почты / Test message", text: text, html: html, messageID: messageId, date: now,
            extraHeaders: [("Auto-Submitted", "auto-generated"), ("X-Booking-Purpose", "test")]
        )
        try await mail.send(message.encoded(), from: settings.sender.address, to: [address])
        return TestEmailReply(recipient: address, transport: mailTransport, messageId: messageId)
    }

    /// Named like the mail directory's `.eml` files: by reference, purpose and recipient; the
    /// chat's by the reference masked, as the chat shows it.
    private func developmentFileName(_ delivery: NewDelivery, suffix: String) -> String {
        let reference = delivery.channel == .chat ? BookingReference.masked(delivery.reference) : delivery.reference
        return FileDrop.fileName(describing: [reference, delivery.purpose.rawValue, delivery.recipient], identity: Array(delivery.id.utf8), suffix: suffix)
    }

    private static func destination(_ route: CRMRoute, http: HTTPTransport, clock: SuiteClock, calendarZone: String) -> any LeadDestination {
        switch route {
        case .bitrix24(let settings): Bitrix24Leads(settings: settings, text: LeadText(zoneIdentifier: calendarZone), http: http)
        case .amocrm(let settings): AmoCRMLeads(settings: settings, text: LeadText(zoneIdentifier: calendarZone), http: http)
        case .webhook(let settings): WebhookLeads(settings: settings, http: http, clock: { clock.now() })
        }
    }

    /// `attempt`: which attempt this is (1 for the first), for the CRM, whose retry looks for a
    /// lead an earlier attempt may have made.
    func send(_ delivery: NewDelivery, attempt: Int = 1) async throws {
        switch delivery.channel {
        case .email:
            try await mail.send(delivery.payload, from: settings.sender.address, to: [delivery.recipient])
        case .sms:
            let text = String(decoding: delivery.payload, as: UTF8.self)
            switch settings.sms {
            case nil:
                throw DeliveryFailure(permanent: true, reason: "SMS is disabled in the configuration (notifications.sms.enabled)")
            case .directory(let directory):
                try FileDrop(directory: directory).write(name: developmentFileName(delivery, suffix: "sms.txt"), contents: Array("To: \(delivery.recipient)\n\n\(text)\n".utf8))
            case .http(let gateway):
                _ = try await http?.send(request(gateway, phone: delivery.recipient, text: text, reference: delivery.reference))
            }
        case .chat:
            let text = String(decoding: delivery.payload, as: UTF8.self)
            let body = try WireJSON.encode(ChatMessage(text: text))
            switch settings.chat {
            case nil:
                throw DeliveryFailure(permanent: true, reason: "@chat is disabled in the configuration (notifications.chat.enabled)")
            case .directory(let directory):
                try FileDrop(directory: directory).write(name: developmentFileName(delivery, suffix: "chat.json"), contents: body)
            case .webhook(let url, let secret):
                // Signed when sent, not when rendered: receivers refuse old timestamps.
                let timestamp = Int(clock.now().timeIntervalSince1970)
                let signature = StandardWebhook.signature(id: delivery.id, timestamp: timestamp, body: body, secret: secret)
                let request = HTTPRequest(method: "POST", url: url, headers: [
                    ("Content-Type", "application/json"), ("webhook-id", delivery.id), ("webhook-timestamp", "\(timestamp)"),
                    ("webhook-signature", signature),
                ], body: body, timeout: .seconds(10))
                _ = try await http?.send(request)
            case .zeromq:
                try await chatSink?.send([Array("chat.\(delivery.purpose.rawValue)".utf8), body])
            }
        case .crm:
            guard let leads else {
                throw DeliveryFailure(permanent: true, reason: "the CRM is not configured (notifications.crm)")
            }
            try await leads.send(delivery, attempt: attempt)
        }
    }

    /// The gateway's request: placeholders filled, fields as JSON or a form.
    private func request(_ gateway: NotifySettings.SMSGateway, phone: String, text: String, reference: String) throws -> HTTPRequest {
        func fill(_ template: String, encode: (String) -> String = { $0 }) -> String {
            template.replacingOccurrences(of: "{phone}", with: encode(phone)).replacingOccurrences(of: "{text}", with: encode(text))
                .replacingOccurrences(of: "{reference}", with: encode(reference)).replacingOccurrences(of: "{api_key}", with: encode(gateway.apiKey ?? ""))
        }
        let fields = gateway.fields.map { ($0.0, fill($0.1)) }
        var url = fill(gateway.url, encode: FormEncoding.component)
        var headers = gateway.headers.map { ($0.0, fill($0.1)) }
        var body: [UInt8] = []
        if gateway.method == "GET" {
            url += (url.contains("?") ? "&" : "?") + FormEncoding.encode(fields)
        } else if gateway.format == "form" {
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            body = Array(FormEncoding.encode(fields).utf8)
        } else {
            headers.append(("Content-Type", "application/json"))
            body = try JSONSerialization.data(withJSONObject: Dictionary(fields) { $1 }, options: [.sortedKeys]).map { $0 }
        }
        return HTTPRequest(method: gateway.method, url: url, headers: headers, body: body, timeout: gateway.timeout)
    }
}

/// What `@chat` receives over the webhook, the ZeroMQ sink, or in a development file: the
/// `{"text": ...}` body Mattermost- and Slack-style receivers accept.
struct ChatMessage: Codable, Sendable {
    var text: String
}

enum FormEncoding {
    static func component(_ text: String) -> String {
        // RFC 3986's unreserved characters; everything else (Cyrillic too) is percent-encoded.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(component($0.0))=\(component($0.1))" }.joined(separator: "&")
    }
}
