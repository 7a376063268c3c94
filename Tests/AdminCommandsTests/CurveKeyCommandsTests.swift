import Foundation
import Testing
import ZeroMQ
@testable import AdminCommands

#if canImport(Glibc)
import Glibc
#endif

/// `bookctl keys generate` and `bookctl keys list`, on real files.
@Suite struct CurveKeyCommandsTests {
    func temporaryDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("curve-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    func mode(_ path: String) -> mode_t {
        var status = stat()
        stat(path, &status)
        return status.st_mode & 0o777
    }

    @Test func generateWritesAPairWhoseSecretOnlyItsOwnerReadsAndNeverOverwrites() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let oldMask = umask(0)
        defer { umask(oldMask) }

        let command = try KeysCommand.GenerateCurve.parse(["alice", "--directory", directory])
        try await command.run()
        let publicText = try String(contentsOfFile: directory + "/alice-curve.public", encoding: .utf8)
        let secretText = try String(contentsOfFile: directory + "/alice-curve.secret", encoding: .utf8)
        #expect(mode(directory + "/alice-curve.secret") == 0o600, "0600 whatever the umask")
        #expect(mode(directory + "/alice-curve.public") == 0o644)
        // Z85, one line each, and the public key is the secret key's.
        let pair = try CurveKeyPair(secretKey: CurveKey(z85: secretText))
        #expect(publicText == pair.publicKey.z85 + "\n")

        // Again: refused, and the first pair is untouched.
        await #expect { try await command.run() } throws: { error in
            (error as? CommandFailure)?.message.contains("alice-curve.public exists; nothing was written") == true
        }
        #expect(try String(contentsOfFile: directory + "/alice-curve.secret", encoding: .utf8) == secretText)

        // A secret file alone in the way is refused too, before the public one is written.
        unlink(directory + "/alice-curve.public")
        await #expect(throws: CommandFailure.self) { try await command.run() }
        #expect(!FileManager.default.fileExists(atPath: directory + "/alice-curve.public"))
    }

    @Test func aNameThatIsNoFileNameIsRefused() {
        #expect(throws: (any Error).self) { try KeysCommand.GenerateCurve.parse(["../etc/x"]) }
        #expect(throws: (any Error).self) { try KeysCommand.GenerateCurve.parse([".hidden"]) }
    }
}
