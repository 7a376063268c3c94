import Crypto
import Foundation

/// One email as RFC 5322 and MIME bytes. With a calendar invite it is `multipart/mixed`
/// holding `multipart/alternative` (text, HTML, `text/calendar; method=…`) and the same
/// calendar as an `invite.ics` attachment: the inline part is what Gmail, Outlook and Apple
/// Mail act on, the attachment is for clients that only offer files. Without one it is just the
/// `multipart/alternative`.
public struct EmailMessage: Sendable {
    public var from: Mailbox
    public var to: [Mailbox]
    public var replyTo: Mailbox?
    public var subject: String
    public var text: String
    public var html: String
    public var calendar: CalendarInvite?
    /// Without angle brackets, e.g. `<delivery-id>@booking.example.com`.
    public var messageID: String
    public var date: Date
    /// Added after the standard headers, e.g. `("Auto-Submitted", "auto-generated")`.
    public var extraHeaders: [(String, String)]

    public init(from: Mailbox, to: [Mailbox], replyTo: Mailbox? = nil, subject: String, text: String, html: String,
                calendar: CalendarInvite? = nil, messageID: String, date: Date, extraHeaders: [(String, String)] = []) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.calendar = calendar
        self.messageID = messageID
        self.date = date
        self.extraHeaders = extraHeaders
    }

    /// CRLF line ends, every line at most 998 octets (bodies are quoted-printable or base64),
    /// and the same bytes every time for the same message: the boundaries come from the
    /// Message-ID, so a retry sends exactly what was stored.
    public func encoded() -> [UInt8] {
        var lines: [String] = []
        lines.append("Date: \(Self.rfc5322Date(date))")
        lines.append(addressField("From", [from]))
        lines.append(addressField("To", to))
        if let replyTo { lines.append(addressField("Reply-To", [replyTo])) }
        lines.append(HeaderEncoding.field("Subject", HeaderEncoding.unstructured(subject, firstLineRoom: HeaderEncoding.lineLimit - "Subject: ".count)))
        let id = HeaderEncoding.withoutLineBreaks(messageID).trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
        lines.append("Message-ID: <\(id)>")
        lines.append("MIME-Version: 1.0")
        for (name, value) in extraHeaders {
            let cleanName = String(name.unicodeScalars.filter { $0.value > 0x20 && $0.value < 0x7F && $0 != ":" }.map(Character.init))
            guard !cleanName.isEmpty else { continue }
            lines.append(HeaderEncoding.field(cleanName, HeaderEncoding.unstructured(value, firstLineRoom: HeaderEncoding.lineLimit - cleanName.count - 2)))
        }

        let digest = SHA256.hash(data: Array(id.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
        // "=_" cannot occur in quoted-printable or base64 text, so no body can contain a boundary.
        let alternativeBoundary = "=_alt_\(digest)"
        let mixedBoundary = "=_mixed_\(digest)"

        var alternative: [String] = []
        alternative += Self.part(boundary: alternativeBoundary, headers: ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
                                 body: Self.quotedPrintable(text))
        alternative += Self.part(boundary: alternativeBoundary, headers: ["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
                                 body: Self.quotedPrintable(html))
        if let calendar {
            let ics = Self.base64Lines(Array(calendar.encoded().utf8))
            alternative += Self.part(boundary: alternativeBoundary,
                                     headers: ["Content-Type: text/calendar; charset=utf-8; method=\(calendar.method.rawValue)", "Content-Transfer-Encoding: base64"],
                                     body: ics)
            alternative.append("--\(alternativeBoundary)--")

            lines.append("Content-Type: multipart/mixed;\r\n boundary=\"\(mixedBoundary)\"")
            lines.append("")
            lines += Self.part(boundary: mixedBoundary, headers: ["Content-Type: multipart/alternative;\r\n boundary=\"\(alternativeBoundary)\""], body: alternative)
            lines += Self.part(boundary: mixedBoundary, headers: [
                "Content-Type: application/ics; name=\"invite.ics\"",
                "Content-Disposition: attachment; filename=\"invite.ics\"",
                "Content-Transfer-Encoding: base64",
            ], body: ics)
            lines.append("--\(mixedBoundary)--")
        } else {
            alternative.append("--\(alternativeBoundary)--")
            lines.append("Content-Type: multipart/alternative;\r\n boundary=\"\(alternativeBoundary)\"")
            lines.append("")
            lines += alternative
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    private func addressField(_ name: String, _ mailboxes: [Mailbox]) -> String {
        var tokens: [String] = []
        for (index, mailbox) in mailboxes.enumerated() {
            let room = HeaderEncoding.lineLimit - (tokens.isEmpty ? name.count + 2 : 1)
            var words = HeaderEncoding.mailbox(mailbox, firstLineRoom: room)
            if index < mailboxes.count - 1 { words[words.count - 1] += "," }
            tokens += words
        }
        return HeaderEncoding.field(name, tokens)
    }

    private static func part(boundary: String, headers: [String], body: [String]) -> [String] {
        ["--\(boundary)"] + headers + [""] + body
    }

    // MARK: Body encodings

    /// Quoted-printable (RFC 2045 6.7) of UTF-8 text: line breaks become CRLF hard breaks, other
    /// lines are soft-broken at 76 characters without splitting a character's bytes, and a
    /// leading dot is encoded so no line can be taken for SMTP's end of data.
    static func quotedPrintable(_ text: String) -> [String] {
        // Byte by byte: building a String per character was most of notifyd's time in a burst.
        let hex = Array("0123456789ABCDEF".utf8)
        let equals = UInt8(ascii: "=")
        var output: [String] = []
        var current: [UInt8] = []
        var token: [UInt8] = []
        current.reserveCapacity(80)
        func endLine() {
            output.append(String(decoding: current, as: UTF8.self))
            current.removeAll(keepingCapacity: true)
        }
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        while index != scalars.endIndex {
            let scalar = scalars[index]
            let next = scalars.index(after: index)
            if scalar == "\r" || scalar == "\n" {
                endLine()
                index = scalar == "\r" && next != scalars.endIndex && scalars[next] == "\n" ? scalars.index(after: next) : next
                continue
            }
            let isLast = next == scalars.endIndex || scalars[next] == "\r" || scalars[next] == "\n"
            token.removeAll(keepingCapacity: true)
            switch scalar.value {
            case 0x21...0x3C, 0x3E...0x7E:
                if scalar == "." && current.isEmpty {
                    token += [equals, UInt8(ascii: "2"), UInt8(ascii: "E")]
                } else {
                    token.append(UInt8(scalar.value))
                }
            case 0x20 where !isLast, 0x09 where !isLast:
                token.append(UInt8(scalar.value))
            default:
                UTF8.encode(scalar) { byte in token += [equals, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]] }
            }
            if current.count + token.count > 75 {
                current.append(equals)
                endLine()
            }
            current += token
            index = next
        }
        endLine()
        // A text ending in a line break ends with an empty line here, and it stays: the CRLF
        // before a boundary belongs to the boundary, so dropping it would drop the text's last
        // line break.
        return output
    }

    static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let encoded = Array(Data(bytes).base64EncodedString().utf8)
        return stride(from: 0, to: encoded.count, by: 76).map { String(decoding: encoded[$0..<min($0 + 76, encoded.count)], as: UTF8.self) }
    }

    // MARK: Date

    /// RFC 5322 date in UTC, e.g. `Tue, 01 Dec 2026 07:00:00 +0000`; English names whatever
    /// the machine's locale.
    static func rfc5322Date(_ date: Date) -> String {
        let c = utcCalendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(value ?? 0).leftPadded(to: 2) }
        return "\(weekdays[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }

    private static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
