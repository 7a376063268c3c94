import DaemonKit
import Foundation
import Testing

/// `storage:` and `postgresql:`: SQLite unless the file says otherwise, and each mistake refused
/// naming its key.
@Suite struct StorageConfigurationTests {
    func parse(_ yaml: String) throws(ConfigurationError) -> SuiteConfiguration {
        try SuiteConfiguration.parse(yaml, file: "/etc/booking/booking.yaml")
    }

    func refusal(_ yaml: String) -> ConfigurationError? {
        do {
            _ = try parse(yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test func sqliteIsTheDefault() throws {
        #expect(try parse("log_level: info\n").storage == .sqlite)
        #expect(try parse("storage: sqlite\n").storage == .sqlite)
    }

    @Test func postgresqlTakesItsURLPasswordAndConnections() throws {
        let configuration = try parse("""
            storage: postgresql
            postgresql:
              url: postgresql://booking@/booking?host=/run/postgresql
              password: postgres-password
              connections: 8

            """)
        let expected = StorageConfiguration.PostgresConnection(url: "postgresql://booking@/booking?host=/run/postgresql", password: "postgres-password", connections: 8)
        #expect(configuration.storage == .postgresql(expected))
        // Not a credential under this process: a file beside the configuration.
        #expect(expected.passwordFile(configuration: configuration) == "/etc/booking/postgres-password")
        let defaults = try parse("storage: postgresql\npostgresql:\n  url: postgres://booking@db1/booking\n")
        #expect(defaults.storage == .postgresql(.init(url: "postgres://booking@db1/booking", password: nil, connections: 4, replicaCheck: .seconds(1))))
        let checked = try parse("storage: postgresql\npostgresql:\n  url: postgres://booking@db1/booking\n  replica_check_milliseconds: 250\n")
        #expect(checked.storage == .postgresql(.init(url: "postgres://booking@db1/booking", password: nil, replicaCheck: .milliseconds(250))))
    }

    @Test(arguments: [
        ("storage: mysql\n", "storage"),
        ("storage: postgresql\n", "postgresql"),
        ("storage: postgresql\npostgresql:\n  password: p\n", "postgresql.url"),
        ("storage: postgresql\npostgresql:\n  url: mysql://x@y/z\n", "postgresql.url"),
        ("storage: postgresql\npostgresql:\n  url: postgresql://b@/b?host=/run\n  connections: 0\n", "postgresql.connections"),
        ("storage: postgresql\npostgresql:\n  url: postgresql://b@/b?host=/run\n  replica_check_milliseconds: 5\n", "postgresql.replica_check_milliseconds"),
        ("storage: postgresql\npostgresql:\n  url: postgresql://b@/b?host=/run\n  password: \"\"\n", "postgresql.password"),
        ("storage: postgresql\npostgresql:\n  url: postgresql://b@/b?host=/run\n  pasword: p\n", "postgresql.pasword"),
        ("postgresql:\n  url: postgresql://b@/b?host=/run\n", "storage"),
    ])
    func eachMistakeIsRefusedNamingItsKey(yaml: String, key: String) {
        #expect(refusal(yaml)?.key == key, "\(String(describing: refusal(yaml)))")
    }
}
