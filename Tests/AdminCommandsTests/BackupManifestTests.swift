import DaemonKit
import Foundation
import Testing
@testable import AdminCommands

/// The manifest `bookctl backup` writes and `restore` reads.
@Suite struct BackupManifestTests {
    static let at = Date(timeIntervalSince1970: 1_796_000_000)

    @Test func aPostgreSQLManifestRoundTripsWithItsDump() throws {
        let dump = BackupManifest.Dump(file: "postgresql.dump", bytes: 4096, sha256: String(repeating: "ab", count: 32), serverVersion: "15.14",
                                       schemas: ["bookingd", "notifyd"], createdAt: Self.at)
        let manifest = BackupManifest(suiteVersion: "1.0", createdAt: Self.at, createdBy: "admin",
                                      files: [.init(daemon: "availabilityd", file: "availabilityd.sqlite", bytes: 10, integrity: "ok", createdAt: Self.at)],
                                      postgresql: dump)
        let data = try manifest.encoded()
        let read = try BackupManifest.decode(data)
        #expect(read.format == 2)
        #expect(read.postgresql == dump)
        #expect(read.files.map(\.daemon) == ["availabilityd"])
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((json["postgresql"] as? [String: Any])?["sha256"] as? String == dump.sha256)
    }

    @Test func aFormatOneManifestOfSQLiteCopiesStillReads() throws {
        let old = """
            {"createdAt":"2026-11-30T10:00:00Z","createdBy":"admin","files":[{"bytes":10,"createdAt":"2026-11-30T10:00:00Z",
            "daemon":"bookingd","file":"bookingd.sqlite","integrity":"ok"}],"format":1,"suiteVersion":"0.9"}
            """
        let read = try BackupManifest.decode(Data(old.utf8))
        #expect(read.format == 1)
        #expect(read.postgresql == nil)
        #expect(read.files.map(\.file) == ["bookingd.sqlite"])
    }

    /// On SQLite each database owner hands over a copy of its file; on PostgreSQL every one of
    /// them is in the one dump, and none is asked for a copy.
    @Test func onPostgreSQLEveryDatabaseOwnerIsInTheDumpAndNoneIsCopiedOverItsRoute() {
        #expect(PostgresBackup.sqliteOwners(.sqlite) == ["bookingd", "availabilityd", "notifyd"])
        let postgresql = StorageConfiguration.postgresql(.init(url: "postgresql://booking@/booking?host=/run/postgresql", password: nil))
        #expect(PostgresBackup.sqliteOwners(postgresql) == [])
        #expect(PostgresBackup.daemons == ["bookingd", "availabilityd", "notifyd"])
    }
}
