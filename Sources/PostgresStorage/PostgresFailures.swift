import PostgresNIO
import StoreSQL

/// PostgreSQL's errors classed once into `SQLFailure`, by SQLSTATE for the server's own.
enum PostgresFailures {
    static func failure(_ error: any Error) -> SQLFailure {
        if let failure = error as? SQLFailure { return failure }
        guard let error = error as? PSQLError else { return .unavailable(problem: "\(error)") }
        switch error.code {
        case .server:
            guard let info = error.serverInfo else { return .statement(problem: "the server refused the statement") }
            return failure(sqlState: info[.sqlState] ?? "", problem: problem(info), constraint: info[.constraintName])
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            let underlying = error.underlying.map { ": \($0)" } ?? ""
            return .unavailable(problem: "\(error.code)\(underlying)")
        default:
            return .statement(problem: "\(error.code)")
        }
    }

    /// What went wrong, whatever its class: for a failure reported as another (connecting fails
    /// as `.unavailable`, whatever the server said).
    static func problem(_ error: any Error) -> String {
        switch failure(error) {
        case let .constraint(_, _, problem), let .retryable(problem), let .unavailable(problem), let .statement(problem): problem
        }
    }

    /// https://www.postgresql.org/docs/15/errcodes-appendix.html
    static func failure(sqlState: String, problem: String, constraint: String?) -> SQLFailure {
        switch sqlState {
        case "23505": return .constraint(.unique, name: constraint, problem: problem)
        case "23P01": return .constraint(.exclusion, name: constraint, problem: problem)
        case "23503": return .constraint(.foreignKey, name: constraint, problem: problem)
        case "23514": return .constraint(.check, name: constraint, problem: problem)
        case "23502": return .constraint(.notNull, name: constraint, problem: problem)
        // deadlock, serialisation failure, lock not available (NOWAIT, lock_timeout)
        case "40P01", "40001", "55P03": return .retryable(problem: problem)
        default: break
        }
        switch sqlState.prefix(2) {
        case "23": return .constraint(.other, name: constraint, problem: problem)
        // connection exceptions, insufficient resources (disk full, out of memory, too many
        // connections), system errors (I/O)
        case "08", "53", "58": return .unavailable(problem: problem)
        // operator intervention: shutdown, crash, cannot connect now, database dropped
        case "57" where sqlState.hasPrefix("57P"): return .unavailable(problem: problem)
        default: return .statement(problem: problem)
        }
    }

    /// The server's message and detail, never the statement's arguments (they may be a client's
    /// data). A constraint's detail quotes the row's key, so it is left out.
    private static func problem(_ info: PSQLError.ServerInfo) -> String {
        var problem = info[.message] ?? "an error"
        if let detail = info[.detail], info[.sqlState]?.hasPrefix("23") != true { problem += " (\(detail))" }
        if let state = info[.sqlState] { problem += " [SQLSTATE \(state)]" }
        return problem
    }
}
