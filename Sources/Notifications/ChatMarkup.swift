/// How the team chat reads a message's text, and so how a value (a reason a client typed, a
/// name) is escaped before it goes into a chat template: a value is always shown as typed,
/// never as a mention, a link or formatting. The template's own text is the operator's and
/// keeps its markup.
public enum ChatMarkup: String, Sendable, CaseIterable {
    /// Markdown, as Mattermost and most Slack-compatible chats read `{"text": …}` (the default).
    case markdown
    /// Slack's mrkdwn.
    case slack
    /// Text shown as it is (a receiver that renders no markup).
    case plain

    /// `value` as this markup shows it literally, on one line: a value's line breaks would let it
    /// start a quote, a list or a heading of its own.
    public func escaped(_ value: String) -> String {
        let line = value.split(whereSeparator: \.isNewline).joined(separator: " ")
        switch self {
        case .markdown: return Self.markdownEscaped(line)
        case .slack: return Self.slackEscaped(line)
        case .plain: return line
        }
    }

    /// CommonMark's backslash escape before every ASCII punctuation character that can start
    /// emphasis, code, a link, an image, a heading or a table, and before the `:` of `://` so a
    /// bare address is not made a link; the rest as `escapedEntitiesAndMentions` says (Mattermost
    /// converts the Slack-style `<!channel>` and `<url|text>` too).
    static func markdownEscaped(_ text: String) -> String {
        escapedEntitiesAndMentions(text) { character, rest in
            switch character {
            case "\\", "`", "*", "_", "~", "[", "]", "#", "|", "!": "\\" + String(character)
            case ":" where rest.hasPrefix("//"): "\\:"
            default: nil
            }
        }
    }

    /// The rest as `escapedEntitiesAndMentions` says; mrkdwn has no escape for `*`, `_`, `~` and
    /// `` ` ``: a zero-width space before each keeps it from pairing up.
    static func slackEscaped(_ text: String) -> String {
        escapedEntitiesAndMentions(text) { character, _ in
            "*_~`".contains(character) ? "\u{200B}" + String(character) : nil
        }
    }

    /// Slack's three control characters as the entities Slack documents (`&amp;`, `&lt;`, `&gt;`),
    /// so no `<!channel>`, `<!here>`, `<@U…>` or `<url|text>` can form, and a word joiner after
    /// `@`, so `@channel`, `@here`, `@all` and `@someone` notify nobody (chats find mentions in
    /// the raw text, where escapes do not count); `markup` escapes what else its format needs,
    /// given a character and the text after it.
    private static func escapedEntitiesAndMentions(_ text: String, markup: (Character, Substring) -> String?) -> String {
        var out = ""
        var rest = Substring(text)
        while let character = rest.popFirst() {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "@": out += "@\u{2060}"
            default: out += markup(character, rest) ?? String(character)
            }
        }
        return out
    }
}
