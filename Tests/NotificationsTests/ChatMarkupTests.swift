import Testing
@testable import Notifications

@Suite struct ChatMarkupTests {
    static let hostile = "@channel @here <!channel> <!here|here> [prize](https://evil.example/x) *bold* _it_ ~gone~ `code` # title\n> quote | cell & more http://bare.example"

    @Test func markdownShowsAValueAsTyped() {
        let text = ChatMarkup.markdown.escaped(Self.hostile)
        #expect(!text.contains("@channel") && !text.contains("@here"))
        #expect(text.contains("@\u{2060}channel"))
        #expect(!text.contains("<") && !text.contains(">"))
        #expect(text.contains(#"&lt;\!channel&gt;"#))
        #expect(text.contains(#"\[prize\](https\://evil.example/x)"#))
        #expect(text.contains(##"\*bold\* \_it\_ \~gone\~ \`code\` \# title"##))
        #expect(text.contains(#"&gt; quote \| cell &amp; more http\://bare.example"#))
        #expect(!text.contains("\n"), "a value stays on its line")
    }

    @Test func slackUsesItsThreeEntitiesAndBreaksFormatting() {
        let text = ChatMarkup.slack.escaped(Self.hostile)
        #expect(!text.contains("<") && !text.contains(">"))
        #expect(text.contains("&lt;!channel&gt; &lt;!here|here&gt;"))
        #expect(text.contains("&amp; more"))
        #expect(text.contains("\u{200B}*bold\u{200B}*"))
        #expect(!text.contains("@channel"))
        #expect(!text.contains("\n"))
    }

    @Test func plainOnlyKeepsAValueOnItsLine() {
        #expect(ChatMarkup.plain.escaped("a *b*\nc") == "a *b* c")
    }

    @Test func aTeamMessageEscapesTheReasonButKeepsTheTemplatesOwnText() throws {
        let library = try Fixtures.library()
        let facts = Fixtures.facts(locale: "en", clientMessage: "Ill @channel [win](https://evil.example)")
        let chat = try library.chat(.teamCancelled, facts, markup: .markdown)
        #expect(chat.hasSuffix(#"Reason: Ill @\#u{2060}channel \[win\](https\://evil.example)"#), "\(chat)")
        #expect(chat.hasPrefix("Cancelled BK\\-") == false, "the reference is a plain value: \(chat)")
        #expect(!chat.contains("](https://"))
    }
}
