import Foundation
import NIOConcurrencyHelpers
import PostgresStorage
import StoreSQL
import Testing

/// Statements through the transaction runner against a real PostgreSQL 15.
struct PostgresTransactionTests {
    @Test func eachKindOfValueComesBackAsItWent() async throws {
        try await withDatabase { pool in
            let values: [[SQLValue]] = [
                [.integer(1), .integer(Int64.max), .real(1.5), .text("Консультация 'сегодня' ?"), .blob([0, 1, 254, 255])],
                [.integer(2), .integer(Int64.min), .real(-0.25e-300), .text(""), .blob([])],
                [.integer(3), .null, .null, .null, .null],
                [.integer(4), .integer(0), .real(.infinity), .text("emoji 🙂 and a NUL-free \\ backslash"), .blob(Array(0...255))],
            ]
            let read = try await pool.transaction { transaction in
                try transaction.execute("CREATE TABLE kinds (id bigint PRIMARY KEY, i bigint, r double precision, t text, b bytea)", [])
                for row in values {
                    #expect(try transaction.execute("INSERT INTO kinds (id, i, r, t, b) VALUES (?, ?, ?, ?, ?)", row) == 1)
                }
                return try transaction.rows("SELECT id, i, r, t, b FROM kinds ORDER BY id", []).map(\.values)
            }
            #expect(read == values)
        }
    }

    @Test func smallerIntegersBooleansAndWholeSumsReadAsIntegers() async throws {
        try await withDatabase { pool in
            let row = try await pool.transaction { transaction in
                try transaction.row("""
                    SELECT 7::int2 AS small, 8::int4 AS middle, 2.5::float4 AS single, true AS yes, 1 = 2 AS no,
                           sum(x) AS total, avg(x) AS mean, 'name'::name AS label
                    FROM (VALUES (1::bigint), (2::bigint)) AS numbers (x)
                    """)!.values
            }
            #expect(row == [.integer(7), .integer(8), .real(2.5), .integer(1), .integer(0), .integer(3), .real(1.5), .text("name")])
        }
    }

    @Test func aTypeTheStoresDoNotReadIsNamedNotGuessed() async throws {
        try await withDatabase { pool in
            let failure = try await failure(pool) { _ = try $0.rows("SELECT now() AS moment", []) }
            guard case let .statement(problem) = failure else { Issue.record("\(String(describing: failure))"); return }
            #expect(problem.contains("moment"))
        }
    }

    @Test func placeholdersInsideQuotedTextAreLeftAlone() async throws {
        try await withDatabase { pool in
            let row = try await pool.transaction { transaction in
                try transaction.row("""
                    SELECT '?' AS plain, E'it\\'s ?' AS escaped, $$ ? $$ AS dollar, ? AS argument, "?" FROM (SELECT 1 AS "?") AS q -- ?
                    """, "value")!.values
            }
            #expect(row == [.text("?"), .text("it's ?"), .text(" ? "), .text("value"), .integer(1)])
        }
    }

    @Test func aWrongNumberOfArgumentsIsRefusedBeforeTheServer() async throws {
        try await withDatabase { pool in
            let failure = try await failure(pool) { try $0.execute("SELECT ?, ?", [.integer(1)]) }
            guard case let .statement(problem) = failure else { Issue.record("\(String(describing: failure))"); return }
            #expect(problem.contains("2 placeholders"))
        }
    }

    @Test func eachConstraintIsReportedAsItsKind() async throws {
        try await withDatabase { pool in
            try await pool.transaction { transaction in
                try transaction.execute("CREATE TABLE consultants (id text PRIMARY KEY)", [])
                try transaction.execute("""
                    CREATE TABLE notes (
                        id text CONSTRAINT notes_key PRIMARY KEY,
                        consultant_id text CONSTRAINT notes_consultant REFERENCES consultants (id),
                        minutes bigint CONSTRAINT positive_minutes CHECK (minutes > 0),
                        body text NOT NULL)
                    """, [])
                try transaction.execute("INSERT INTO consultants (id) VALUES ('c1')", [])
                try transaction.execute("INSERT INTO notes VALUES ('n1', 'c1', 30, 'first')", [])
            }
            let insert = "INSERT INTO notes (id, consultant_id, minutes, body) VALUES (?, ?, ?, ?)"
            let cases: [([SQLValue], SQLConstraint, String?)] = [
                ([.text("n1"), .text("c1"), .integer(30), .text("again")], .unique, "notes_key"),
                ([.text("n2"), .text("c9"), .integer(30), .text("nobody")], .foreignKey, "notes_consultant"),
                ([.text("n3"), .text("c1"), .integer(0), .text("no time")], .check, "positive_minutes"),
                ([.text("n4"), .text("c1"), .integer(30), .null], .notNull, nil),
            ]
            for (arguments, kind, name) in cases {
                let failure = try await failure(pool) { try $0.execute(insert, arguments) }
                guard case let .constraint(reported, reportedName, problem) = failure else {
                    Issue.record("\(kind): \(String(describing: failure))")
                    continue
                }
                #expect(reported == kind)
                if let name { #expect(reportedName == name) }
                // The row's key is the client's data: the problem names the rule, not the values.
                #expect(!problem.contains("c9") && !problem.contains("n1)"), "\(problem)")
            }
        }
    }

    /// No double booking by construction: an active appointment's time, a range made from its
    /// two integer-millisecond columns, may not overlap another active one of the same consultant.
    @Test func anExclusionConstraintRefusesAnOverlapAndLetsSlotsTouch() async throws {
        try await withDatabase { pool in
            try await pool.transaction { transaction in
                try transaction.execute("CREATE EXTENSION IF NOT EXISTS btree_gist", [])
                try transaction.execute("""
                    CREATE TABLE appointments (
                        id text PRIMARY KEY,
                        consultant_id text NOT NULL,
                        start_ms bigint NOT NULL,
                        end_ms bigint NOT NULL,
                        active integer NOT NULL,
                        during tstzrange GENERATED ALWAYS AS
                            (tstzrange(to_timestamp(start_ms / 1000.0), to_timestamp(end_ms / 1000.0), '[)')) STORED,
                        CONSTRAINT one_consultant_at_a_time EXCLUDE USING gist (consultant_id WITH =, during WITH &&) WHERE (active = 1)
                    )
                    """, [])
            }
            let minute: Int64 = 60_000
            let ten: Int64 = 1_800_000_000_000
            let insert = "INSERT INTO appointments (id, consultant_id, start_ms, end_ms, active) VALUES (?, ?, ?, ?, ?)"
            func book(_ id: String, _ consultant: String, _ start: Int64, _ end: Int64, active: Bool = true) async throws -> SQLFailure? {
                try await failure(pool) { try $0.execute(insert, id, consultant, start, end, active) }
            }
            #expect(try await book("a", "c1", ten, ten + 30 * minute) == nil)
            let overlap = try await book("b", "c1", ten + 15 * minute, ten + 45 * minute)
            guard case let .constraint(kind, name, _) = overlap else { Issue.record("\(String(describing: overlap))"); return }
            #expect(kind == .exclusion)
            #expect(name == "one_consultant_at_a_time")
            // One millisecond of overlap is still an overlap.
            if case .constraint(.exclusion, _, _) = try await book("c", "c1", ten + 30 * minute - 1, ten + 60 * minute) {} else { Issue.record("1 ms overlap passed") }
            #expect(try await book("d", "c1", ten + 30 * minute, ten + 60 * minute) == nil, "touching after")
            #expect(try await book("e", "c1", ten - 30 * minute, ten) == nil, "touching before")
            #expect(try await book("f", "c2", ten, ten + 30 * minute) == nil, "another consultant")
            #expect(try await book("g", "c1", ten, ten + 30 * minute, active: false) == nil, "a cancelled one does not count")
            let reactivated = try await failure(pool) { try $0.execute("UPDATE appointments SET active = 1 WHERE id = 'g'", []) }
            if case .constraint(.exclusion, _, _) = reactivated {} else { Issue.record("reactivated: \(String(describing: reactivated))") }
        }
    }

    @Test func aSavepointUndoesOnlyItsOwnPart() async throws {
        try await withDatabase { pool in
            struct Refused: Error {}
            let ids = try await pool.transaction { transaction in
                try transaction.execute("CREATE TABLE things (id text PRIMARY KEY)", [])
                try transaction.execute("INSERT INTO things VALUES ('kept before')", [])
                #expect(throws: Refused.self) {
                    try transaction.inSavepoint {
                        try transaction.execute("INSERT INTO things VALUES ('undone')", [])
                        throw Refused()
                    }
                }
                // A statement the server refused leaves the transaction usable after its savepoint.
                #expect(throws: SQLFailure.self) {
                    try transaction.inSavepoint { try transaction.execute("INSERT INTO things VALUES ('kept before')", []) }
                }
                try transaction.inSavepoint {
                    try transaction.execute("INSERT INTO things VALUES ('outer')", [])
                    #expect(throws: Refused.self) {
                        try transaction.inSavepoint {
                            try transaction.execute("INSERT INTO things VALUES ('inner undone')", [])
                            throw Refused()
                        }
                    }
                }
                try transaction.execute("INSERT INTO things VALUES ('kept after')", [])
                return try transaction.rows("SELECT id FROM things ORDER BY id", []).compactMap { String(sqlValue: $0["id"]!) }
            }
            #expect(ids == ["kept after", "kept before", "outer"])
        }
    }

    @Test func whatTheBodyThrowsRollsBackAndComesOutUnchanged() async throws {
        try await withDatabase { pool in
            struct Refused: Error, Equatable {}
            try await pool.transaction { try $0.execute("CREATE TABLE things (id text)", []) }
            await #expect(throws: Refused()) {
                try await pool.transaction { transaction in
                    try transaction.execute("INSERT INTO things VALUES ('x')", [])
                    throw Refused()
                }
            }
            let count = try await pool.transaction { try $0.row("SELECT count(*) AS n FROM things", [])!["n"] }
            #expect(count == .integer(0))
        }
    }
}
