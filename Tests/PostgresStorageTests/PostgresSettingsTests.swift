import Foundation
import PostgresStorage
import Testing

/// The connection URL and the password file, as an operator writes them.
struct PostgresSettingsTests {
    @Test func aUnixSocketIsADirectoryInTheHostParameter() throws {
        let settings = try PostgresSettings(url: "postgresql://booking@/suite?host=/run/postgresql", passwordFile: nil)
        #expect(settings.endpoint == .unixSocket(directory: "/run/postgresql", port: 5432))
        #expect(settings.user == "booking")
        #expect(settings.database == "suite")
        #expect(settings.socketPath == "/run/postgresql/.s.PGSQL.5432")
        #expect(settings.description == "postgresql://booking@/suite?host=/run/postgresql")
        let other = try PostgresSettings(url: "postgres://booking@/suite?host=/tmp/pg&port=5433", passwordFile: nil)
        #expect(other.socketPath == "/tmp/pg/.s.PGSQL.5433")
    }

    @Test func tcpRequiresTLSUnlessTurnedOff() throws {
        let secure = try PostgresSettings(url: "postgresql://booking@db1.example:6432/suite", passwordFile: "/run/credentials/bookingd.service/postgres")
        #expect(secure.endpoint == .tcp(host: "db1.example", port: 6432, tls: true))
        #expect(secure.passwordFile == "/run/credentials/bookingd.service/postgres")
        let plain = try PostgresSettings(url: "postgresql://booking@[::1]/suite?sslmode=disable", passwordFile: nil)
        #expect(plain.endpoint == .tcp(host: "::1", port: 5432, tls: false))
        #expect(plain.description == "postgresql://booking@[::1]:5432/suite?sslmode=disable")
    }

    @Test func aPasswordInTheURLIsRefusedAndNotRepeated() {
        let error = #expect(throws: PostgresStorageError.self) {
            try PostgresSettings(url: "postgresql://booking:hunter2@/suite?host=/run/postgresql", passwordFile: nil)
        }
        #expect(error?.description.contains("password in a file") == true)
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func whatIsMissingOrWrongIsNamed() {
        let cases: [(String, String)] = [
            ("mysql://booking@/suite?host=/run", "postgresql://"),
            ("postgresql://booking@/?host=/run", "no database"),
            ("postgresql:///suite?host=/run", "no user"),
            ("postgresql://booking@/suite", "no host"),
            ("postgresql://booking@db:99999/suite", "port"),
            ("postgresql://booking@db/suite?sslmode=prefer", "sslmode"),
            ("postgresql://booking@db/suite?connect_timeout=3", "connect_timeout"),
            ("postgresql://booking@/suite?host=/run&sslmode=require", "Unix socket"),
        ]
        for (url, named) in cases {
            let error = #expect(throws: PostgresStorageError.self) { try PostgresSettings(url: url, passwordFile: nil) }
            #expect(error?.description.contains(named) == true, "\(url): \(String(describing: error))")
        }
    }

    @Test func thePasswordIsReadFromItsFileWithoutTheLastNewline() throws {
        let path = NSTemporaryDirectory() + "password-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("s3cret pass\n".utf8).write(to: URL(fileURLWithPath: path))
        let settings = try PostgresSettings(url: "postgresql://booking@/suite?host=/run", passwordFile: path)
        #expect(try settings.password() == "s3cret pass")
        let missing = PostgresSettings(endpoint: settings.endpoint, user: "booking", database: "suite", passwordFile: path + ".missing")
        #expect(throws: PostgresStorageError.unreadablePasswordFile(path: path + ".missing")) { try missing.password() }
    }

    @Test func aSchemaIsAPlainNameAndTheStatementTimeoutHasADefault() throws {
        let settings = try PostgresSettings(url: "postgresql://booking@/suite?host=/run/postgresql", passwordFile: nil).schema("bookingd")
        #expect(settings.schema == "bookingd")
        #expect(settings.statementTimeout == PostgresSettings.defaultStatementTimeout)
        #expect(["bookingd", "notifyd", "a_1"].allSatisfy(PostgresSettings.isPlainName))
        #expect(!["", "Bookingd", "1st", "book-ingd", "x; DROP"].contains(where: PostgresSettings.isPlainName))
    }
}
