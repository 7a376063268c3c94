import Mustache

/// One template file checked and parsed. Besides Mustache's own syntax check, the tags are read
/// here so that mistakes Mustache would render as silence are refused at start with their line:
/// a section never closed, a variable the purpose does not have (a typo, or a team message
/// reaching for the unmasked contact), an unescaped value in HTML, and partials, which the
/// library does not load.
struct TemplateSource: Sendable {
    let template: MustacheTemplate

    init(path: String, text: String, part: TemplatePart, variables: Set<String>) throws(TemplateError) {
        func fail(_ line: Int?, _ problem: String) -> TemplateError { TemplateError(file: path, line: line, problem: problem) }

        var open: [(name: String, line: Int)] = []
        for tag in Self.tags(in: text) {
            switch tag.sigil {
            case "!":
                continue
            case ">", "<", "$", "=", "%":
                throw fail(tag.line, "\"{{\(tag.sigil)\(tag.body)}}\": partials, blocks, pragmas and delimiter changes are not supported in message templates")
            case "#", "^":
                try Self.check(tag, variables, fail)
                open.append((tag.name, tag.line))
            case "/":
                guard let last = open.popLast() else {
                    throw fail(tag.line, "\"{{/\(tag.name)}}\" closes a section that was never opened")
                }
                guard last.name == tag.name else {
                    throw fail(tag.line, "\"{{/\(tag.name)}}\" closes the section \"\(last.name)\" opened on line \(last.line); close it with \"{{/\(last.name)}}\" first")
                }
            case "{", "&":
                if part.isHTML {
                    throw fail(tag.line, "\"\(tag.raw)\" would insert \"\(tag.name)\" without HTML escaping; use \"{{\(tag.name)}}\"")
                }
                try Self.check(tag, variables, fail)
            default:
                try Self.check(tag, variables, fail)
            }
        }
        if let unclosed = open.last {
            throw fail(unclosed.line, "section \"\(unclosed.name)\" is opened here and never closed (add \"{{/\(unclosed.name)}}\")")
        }

        // Plain-text parts must not HTML-escape ("O'Brien" stays as typed). The pragma is put in
        // front of the first line, so Mustache's line numbers still match the file's.
        let source = part.isHTML ? text : "{{%CONTENT_TYPE:TEXT}}" + text
        do {
            template = try MustacheTemplate(string: source)
        } catch let error as MustacheTemplate.ParserError {
            throw fail(error.context.lineNumber, Self.explain(error.error))
        } catch {
            throw fail(nil, "not a valid Mustache template: \(error)")
        }
    }

    func render(_ values: [String: Any]) -> String { template.render(values) }

    // MARK: Reading tags

    struct Tag {
        var sigil: String
        var body: String
        var name: String
        var raw: String
        var line: Int
    }

    private static func check(_ tag: Tag, _ variables: Set<String>, _ fail: (Int?, String) -> TemplateError) throws(TemplateError) {
        guard tag.name == "." || variables.contains(tag.name) else {
            throw fail(tag.line, "unknown variable \"\(tag.name)\" in \"\(tag.raw)\"; this template may use: \(variables.sorted().joined(separator: ", "))")
        }
    }

    /// Tags with the default delimiters, each with the line it starts on. An unterminated `{{`
    /// is left to Mustache's parser, which reports it.
    static func tags(in text: String) -> [Tag] {
        var tags: [Tag] = []
        let chars = Array(text.unicodeScalars)
        var index = 0
        var line = 1
        while index < chars.count {
            if chars[index] == "\n" { line += 1 }
            guard chars[index] == "{", index + 1 < chars.count, chars[index + 1] == "{" else {
                index += 1
                continue
            }
            let triple = index + 2 < chars.count && chars[index + 2] == "{"
            let bodyStart = index + (triple ? 3 : 2)
            let closer: [Unicode.Scalar] = triple ? ["}", "}", "}"] : ["}", "}"]
            var end = bodyStart
            while end + closer.count <= chars.count, Array(chars[end..<end + closer.count]) != closer { end += 1 }
            guard end + closer.count <= chars.count else { break }
            var body = String(String.UnicodeScalarView(chars[bodyStart..<end])).trimmingWhitespace()
            var sigil = triple ? "{" : ""
            if !triple, let first = body.unicodeScalars.first, "!#^/&>{<$=%".unicodeScalars.contains(first) {
                sigil = String(first)
                body = String(body.dropFirst()).trimmingWhitespace()
            }
            let raw = String(String.UnicodeScalarView(chars[index..<end + closer.count]))
            tags.append(Tag(sigil: sigil, body: body, name: innermostName(body), raw: raw, line: line))
            for scalar in chars[index..<end + closer.count] where scalar == "\n" { line += 1 }
            index = end + closer.count
        }
        return tags
    }

    /// `uppercased(client_name)` → `client_name`: transforms wrap the variable they apply to.
    private static func innermostName(_ body: String) -> String {
        guard let open = body.lastIndex(of: "(") else { return body }
        let inner = body[body.index(after: open)...]
        return String(inner.prefix { $0 != ")" }).trimmingWhitespace()
    }

    private static func explain(_ error: any Error) -> String {
        guard let error = error as? MustacheTemplate.Error else { return "not a valid Mustache template: \(error)" }
        switch error {
        case .sectionCloseNameIncorrect: return "a section is closed with a name other than the one it was opened with"
        case .unfinishedName: return "a tag is not finished: a name may hold letters, digits, _ and ., and must end with \"}}\""
        case .expectedSectionEnd: return "a section is opened and never closed"
        case .invalidSetDelimiter: return "bad delimiter change"
        case .transformAppliedToInheritanceSection, .illegalTokenInsideInheritSection, .textInsideInheritSection:
            return "template inheritance is not supported in message templates"
        case .invalidConfigVariableSyntax, .unrecognisedConfigVariable: return "bad {{% }} pragma"
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
