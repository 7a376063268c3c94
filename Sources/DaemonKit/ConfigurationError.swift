import Foundation
import Yams

/// A configuration that cannot be used, said in one line: the file, the key and the problem.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var key: String?
    public var problem: String

    public init(file: String, key: String? = nil, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        if let key { return "\(file): \(key): \(problem)" }
        return "\(file): \(problem)"
    }
}

extension ConfigurationError {
    /// A YAML decoding failure, as the key it is about and a short problem statement.
    public init(file: String, decoding error: any Error) {
        self.init(file: file, key: YAMLErrors.key(of: error), problem: YAMLErrors.problem(of: error))
    }
}

/// Turns a YAML decoding failure into the key it is about and a short problem statement.
enum YAMLErrors {
    static func key(of error: any Error) -> String? {
        guard let error = error as? DecodingError else { return nil }
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: return nil
        }
        guard !path.isEmpty else { return nil }
        return path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    static func problem(of error: any Error) -> String {
        switch error {
        case let error as DecodingError:
            switch error {
            case .keyNotFound: return "is required but missing"
            case .typeMismatch(let type, _): return "has the wrong type (expected \(typeName(type)))"
            case .valueNotFound(let type, _): return "is empty (expected \(typeName(type)))"
            case .dataCorrupted(let context):
                // Yams puts the line and column of a syntax error in the underlying error.
                if let underlying = context.underlyingError as? YamlError {
                    return "not valid YAML: \(summary(of: underlying))"
                }
                return oneLine(context.debugDescription)
            @unknown default: return oneLine("\(error)")
            }
        case let error as YamlError:
            return "not valid YAML: \(summary(of: error))"
        default:
            return "\(error)"
        }
    }

    /// Where and what, without the quoted line Yams adds below it: that line is the file's own
    /// bytes (garbage, when the file is), and a message is one line.
    static func summary(of error: YamlError) -> String {
        switch error {
        case let .reader(problem, offset, _, yaml):
            let line = offset.map { offset in yaml.utf8.prefix(offset).filter { $0 == UInt8(ascii: "\n") }.count + 1 }
            return oneLine(line.map { "line \($0): \(problem)" } ?? problem)
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let within = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return oneLine("line \(mark.line), column \(mark.column): \(problem)\(within)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return oneLine("line \(context.mark.line): the key \(duplicates.sorted().joined(separator: ", ")) appears twice")
        default:
            return oneLine("\(error)")
        }
    }

    /// Control characters (line breaks among them) become spaces: the message stays one line
    /// and cannot move an admin's cursor.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "a whole number"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}
