/// A template that cannot be used: missing, unreadable, or not valid Mustache. `file` is the path
/// as it was read, `line` is 1-based.
public struct TemplateError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var line: Int?
    public var problem: String

    public init(file: String, line: Int? = nil, problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    /// `path:line: problem`, the form editors and compilers use, so an operator can jump to it.
    public var description: String {
        if let line { return "\(file):\(line): \(problem)" }
        return "\(file): \(problem)"
    }
}

/// Facts a message cannot be rendered from, or a message asked of the wrong kind (an email for
/// the team's chat).
public struct MessageRenderError: Error, CustomStringConvertible, Sendable, Equatable {
    public var problem: String
    public init(problem: String) { self.problem = problem }
    public var description: String { problem }
}
