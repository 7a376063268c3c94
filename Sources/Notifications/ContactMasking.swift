import BookingDomain

/// A recipient as logs, `bookctl` and the stored errors show it: an email or phone masked as
/// everywhere in the suite, the team's channel and the CRM by their names.
public enum ContactMasking {
    public static func recipient(_ recipient: String, channel: Channel) -> String {
        switch channel {
        case .email: ContactInfo.maskedEmail(recipient)
        case .sms: ContactInfo.maskedPhone(recipient)
        case .chat, .crm: recipient
        }
    }

    /// A server's answer may quote the address ("550 <anna@example.com>: no such user"): it is
    /// kept with the address masked.
    public static func scrub(_ text: String, recipient: String, channel: Channel) -> String {
        guard channel != .chat, channel != .crm, !recipient.isEmpty else { return text }
        return text.replacingOccurrences(of: recipient, with: Self.recipient(recipient, channel: channel))
    }
}
