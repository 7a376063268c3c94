@testable import BookingService
import DaemonKit
import FieldEncryption
import Foundation
import Logging
import Testing

/// bookingd opens the store `storage:` names; a PostgreSQL URL it cannot use stops it naming the key.
@Suite struct StoreOpeningTests {
    @Test func aPostgreSQLURLThatCannotBeUsedIsRefusedNamingItsKey() async throws {
        let configuration = try SuiteConfiguration.parse("""
            storage: postgresql
            postgresql:
              url: postgresql://booking:secret@/booking?host=/run/postgresql

            """, file: "/etc/booking/booking.yaml")
        do {
            _ = try await BookingDaemon.openStore(configuration, databasePath: "/nonexistent/bookingd.sqlite", masterKey: MasterKey(SecretKey.random()),
                                                  logger: Logger(label: "test"))
            Issue.record("a URL with a password was used")
        } catch let error as ConfigurationError {
            #expect(error.key == "postgresql.url")
            #expect(!error.problem.contains("secret"), "the password is not repeated: \(error.problem)")
        }
    }
}
