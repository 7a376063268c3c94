import ArgumentParser
import BookingProtocol
import CivilTime
import DaemonKit
import FieldEncryption
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The master keys that seal clients' personal data in bookingd's and notifyd's databases, and
/// the CURVE keys of tcp:// between hosts.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Show or rotate the master keys that seal clients' personal data; make and list CURVE keys.",
        discussion: """
            bookctl keys status                          each daemon's key: fingerprint, where it is loaded from, a rotation under way
            bookctl keys rotate-master [--daemon NAME]   a new key for bookingd and notifyd (or one of them), while they serve
            bookctl keys generate NAME [--directory DIR] a CURVE key pair for a daemon or an admin: NAME-curve.public, NAME-curve.secret (0600)
            bookctl keys list                            the CURVE public keys each daemon admits, by name (from the configuration)
            """,
        subcommands: [Status.self, RotateMaster.self, GenerateCurve.self, ListCurve.self]
    )

    /// The daemons whose databases are sealed.
    static let daemons = ["bookingd", "notifyd"]

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each daemon's master key: fingerprint, source, rotation under way.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let suite = try Suite.open(global)
            var replies: [MasterKeyStatusReply] = []
            do {
                for daemon in KeysCommand.daemons {
                    replies.append(try await suite.client(daemon).call(MessageType.masterKey, Empty()))
                }
            } catch {
                await suite.context.shutdown()
                throw error
            }
            await suite.context.shutdown()
            if global.json {
                Output.line(Output.json(wire: try WireJSON.encode(replies)))
                return
            }
            var table = TextTable(header: ["DAEMON", "FINGERPRINT", "SOURCE", "CLIENT KEYS", "ROTATION"])
            for reply in replies {
                let source = reply.credential.map { "credential \($0)" } ?? reply.file.map { "file \($0)" } ?? reply.source
                let rotation = reply.rotationTo.map { "to \($0), \(reply.remaining) keys left" } ?? "-"
                table.add([reply.daemon, reply.fingerprint, source, "\(reply.clientKeys)", rotation])
            }
            Output.line(table.rendered)
        }
    }

    struct RotateMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master",
            abstract: "Re-wrap every client key under a new master key, while the daemons serve.",
            discussion: """
                The new key is written beside the current one first (<key>.next), so a crash of bookctl or of \
                the daemon loses nothing: run the same command again and it goes on with that key. Once every \
                client key is under it, it replaces the current key (under systemd: the encrypted credential in \
                /etc/credstore.encrypted, made with systemd-creds; run as root), the old key is kept as \
                <key>.retired-<time> (backups made before now need it), and the daemon forgets the old key.
                """
        )
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "Only this daemon (bookingd or notifyd); default both.") var daemon: String?
        @Option(name: .long, help: "Client keys re-wrapped per step, each step one short transaction (1-10000).") var batch = MasterKeyCommands.defaultLimit

        func validate() throws {
            if let daemon, !KeysCommand.daemons.contains(daemon) {
                throw ValidationError("--daemon is one of \(KeysCommand.daemons.joined(separator: ", "))")
            }
            let limits = MasterKeyCommands.limits
            guard limits.contains(batch) else { throw ValidationError("--batch is \(limits.lowerBound) to \(limits.upperBound)") }
        }

        func run() async throws {
            let suite = try Suite.open(global)
            for name in daemon.map({ [$0] }) ?? KeysCommand.daemons {
                let client = try await suite.client(name)
                do {
                    let reply = try await rotate(client, name)
                    if global.json {
                        Output.line(Output.json(wire: try WireJSON.encode(reply)))
                    }
                } catch {
                    await suite.context.shutdown()
                    throw error
                }
            }
            await suite.context.shutdown()
        }

        private func rotate(_ client: DaemonClient, _ name: String) async throws -> RotateMasterReply {
            let status: MasterKeyStatusReply = try await client.call(MessageType.masterKey, Empty())
            let location = try KeyLocation(status)
            let (key, installed) = try location.keyToRotateTo(status)
            let next = MasterKey(key)
            if status.rotationTo == nil {
                Output.error("\(name): rotating the master key \(status.fingerprint) to \(next.fingerprint) (client keys: \(status.clientKeys))")
            } else {
                Output.error("\(name): going on with the rotation to \(next.fingerprint) (client keys left: \(status.remaining))")
            }
            var step: RotateMasterReply
            repeat {
                step = try await client.call(MessageType.rotateMaster, RotateMasterRequest(key: key.base64, limit: batch))
                if !step.rewrappedAll {
                    Output.error("\(name): \(step.rewrapped) client keys re-wrapped, \(step.remaining) left")
                }
            } while !step.rewrappedAll
            let retired = installed ? nil : try location.install()
            let finished: RotateMasterReply = try await client.call(MessageType.rotateMasterFinish, RotateMasterFinishRequest(fingerprint: next.fingerprint))
            let kept = retired.map { "; the old key is kept as \($0) for the backups made before now" } ?? ""
            if !global.json {
                Output.line("\(name): the master key is now \(next.fingerprint) (was \(step.from)), in \(location.path)\(kept)")
            }
            return finished
        }
    }
}

/// Where a daemon's master key is, as the daemon says it loaded it (`master_key.reply`): the
/// encrypted credential that systemd hands it, or the development key file beside its database.
struct KeyLocation {
    /// The credential's name, for `systemd-creds --name=`; nil for a development key file.
    var credential: String?
    var path: String

    static let credentialStore = "/etc/credstore.encrypted"

    init(_ status: MasterKeyStatusReply) throws {
        if let credential = status.credential {
            // The units load it as `LoadCredentialEncrypted=<name>:booking.<name>`, from the store.
            self.credential = credential
            path = Self.credentialStore + "/booking." + credential
        } else if let file = status.file {
            credential = nil
            path = file
        } else {
            throw CommandFailure(message: "\(status.daemon) did not say where its master key is", code: Exit.refused)
        }
    }

    var pending: String { path + ".next" }

    /// The key to rotate to, and whether it is already where the daemon loads it from: the
    /// pending key of a run that stopped, the installed key of a run that stopped before its
    /// finish, or a new one (written to `pending` before any use).
    func keyToRotateTo(_ status: MasterKeyStatusReply) throws -> (SecretKey, installed: Bool) {
        if FileManager.default.fileExists(atPath: pending) {
            let key = try read(pending)
            let fingerprint = MasterKey(key).fingerprint
            guard status.rotationTo == nil || status.rotationTo == fingerprint else {
                throw CommandFailure(message: "\(status.daemon) is rotating to the key \(status.rotationTo ?? ""), and \(pending) holds another (\(fingerprint)); nothing was changed", code: Exit.refused)
            }
            return (key, false)
        }
        if let to = status.rotationTo {
            let key = try read(path)
            guard MasterKey(key).fingerprint == to else {
                throw CommandFailure(message: "\(status.daemon) is rotating to the key \(to), which neither \(pending) nor \(path) holds; nothing was changed", code: Exit.refused)
            }
            return (key, true)
        }
        let key = SecretKey.random()
        try write(key, to: pending)
        return (key, false)
    }

    /// The pending key becomes the key: the old one is kept under a dated name first (a hard
    /// link), then the rename replaces the key in one step, so a crash leaves one or the other.
    func install() throws -> String? {
        var retired: String?
        if FileManager.default.fileExists(atPath: path) {
            // 20261204T165913Z: the moment it stopped being the key.
            let stamp = String(ISO8601.instant(Date()).prefix(19).filter { $0 != "-" && $0 != ":" }) + "Z"
            let name = path + ".retired-" + stamp
            guard link(path, name) == 0 else { throw failure("cannot keep the old key as \(name)") }
            retired = name
        }
        guard rename(pending, path) == 0 else { throw failure("cannot move \(pending) to \(path)") }
        try syncDirectory()
        return retired
    }

    private func read(_ file: String) throws -> SecretKey {
        let content: [UInt8]
        if let credential {
            content = try SystemdCreds.run(["decrypt", "--name=\(credential)", file, "-"], input: [])
        } else {
            guard let data = FileManager.default.contents(atPath: file) else { throw failure("cannot read \(file)") }
            content = Array(data)
        }
        do {
            return try SecretKey(keyFile: content)
        } catch {
            throw CommandFailure(message: "\(file): \(error)", code: Exit.refused)
        }
    }

    private func write(_ key: SecretKey, to file: String) throws {
        let line = Array((key.base64 + "\n").utf8)
        if let credential {
            let old = umask(0o077)
            defer { umask(old) }
            _ = try SystemdCreds.run(["encrypt", "--name=\(credential)", "-", file], input: line)
        } else {
            let descriptor = open(file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw failure("cannot create \(file)") }
            let written = line.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            let synced = fsync(descriptor) == 0
            close(descriptor)
            guard written == line.count, synced else {
                unlink(file)
                throw failure("cannot write \(file)")
            }
        }
        try syncDirectory()
    }

    private func syncDirectory() throws {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("cannot open \(directory)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("cannot sync \(directory)") }
    }

    private func failure(_ what: String) -> CommandFailure {
        CommandFailure(message: "\(what): \(String(cString: strerror(errno))); run the same command again once that is mended", code: Exit.refused)
    }
}

/// `systemd-creds`, which alone can encrypt and decrypt credentials with the host's key.
enum SystemdCreds {
    static func run(_ arguments: [String], input: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-creds")
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw CommandFailure(message: "cannot run systemd-creds: \(error)", code: Exit.refused)
        }
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let said = String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw CommandFailure(message: "systemd-creds \(arguments[0]) failed: \(said)", code: Exit.refused)
        }
        return Array(output)
    }
}
