@testable import PostgresStorage
import Testing

/// `?` becomes `$n` only where it stands for an argument.
struct PlaceholdersTests {
    @Test func eachArgumentIsNumberedInOrder() {
        let numbered = Placeholders.rewrite("INSERT INTO t (a, b, c) VALUES (?, ?, ?)")
        #expect(numbered.sql == "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)")
        #expect(numbered.count == 3)
    }

    @Test func aQuestionMarkInsideQuotesOrCommentsIsText() {
        let cases: [(String, String)] = [
            ("SELECT '?', ?", "SELECT '?', $1"),
            ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"),
            ("SELECT E'it\\'s ?', ?", "SELECT E'it\\'s ?', $1"),
            ("SELECT \"a?b\" FROM t WHERE x = ?", "SELECT \"a?b\" FROM t WHERE x = $1"),
            ("SELECT $$ ? $$, ?", "SELECT $$ ? $$, $1"),
            ("SELECT $tag$ '?' $ ? $tag$, ?", "SELECT $tag$ '?' $ ? $tag$, $1"),
            ("SELECT ? -- ?\n, ?", "SELECT $1 -- ?\n, $2"),
            ("SELECT /* ? /* ? */ ? */ ?", "SELECT /* ? /* ? */ ? */ $1"),
            ("SELECT ?, 'unclosed ?", "SELECT $1, 'unclosed ?"),
        ]
        for (sql, expected) in cases {
            #expect(Placeholders.rewrite(sql).sql == expected, "\(sql)")
        }
    }

    @Test func anEscapeLetterOnlyCountsStandingAlone() {
        // `name'…'` is not an E string: a backslash there is an ordinary character.
        #expect(Placeholders.rewrite("SELECT some'\\', ?").sql == "SELECT some'\\', $1")
    }

    @Test func textThatIsNotASCIIPassesUnchanged() {
        #expect(Placeholders.rewrite("SELECT 'Консультация ?', ? AS «имя»").sql == "SELECT 'Консультация ?', $1 AS «имя»")
    }

    @Test func theRewriteIsKeptPerStatement() {
        let sql = "SELECT ? AS cached_\(Int.random(in: 0...1_000_000))"
        #expect(Placeholders.numbered(sql).sql == Placeholders.numbered(sql).sql)
        #expect(Placeholders.numbered(sql).count == 1)
    }
}
