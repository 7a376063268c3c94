import ArgumentParser
import DaemonKit
import Foundation
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

extension KeysCommand {
    struct GenerateCurve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Write a new CURVE key pair: NAME-curve.public (Z85) and NAME-curve.secret (Z85, mode 0600).",
            discussion: """
                NAME is a daemon's name (its secret key becomes its credential NAME-curve.secret) or an admin's \
                user name (their --curve-key). The public key goes into the configuration: curve.public_keys for a \
                daemon, an entry of curve.admits for whom a daemon admits. An existing file is never overwritten.
                """
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Whose pair: a daemon (bookingd, ...) or an admin's user name.") var name: String
        @Option(help: "Where to write the two files (default: the working directory).") var directory = "."

        func validate() throws {
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), !name.hasPrefix(".") else {
                throw ValidationError("NAME is letters, digits, '-', '_' and '.', as a file name")
            }
        }

        func run() async throws {
            let files = CurveKeyFiles(directory: directory, name: name)
            let pair = try CurveKeyPair.generate()
            try files.write(pair)
            if global.json {
                Output.json(["name": name, "publicKey": pair.publicKey.z85, "publicFile": files.publicFile, "secretFile": files.secretFile])
                return
            }
            Output.line("\(name)'s CURVE public key: \(pair.publicKey.z85)")
            Output.line("wrote \(files.publicFile) and \(files.secretFile) (mode 0600: the secret key; install it as a credential, never copy it elsewhere)")
        }
    }

    struct ListCurve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Show the CURVE public keys each daemon admits, by name, from the configuration."
        )
        @OptionGroup var global: GlobalOptions

        struct Row: Encodable {
            var daemon: String
            var admits: String
            var kind: String
            var publicKey: String
        }

        func run() async throws {
            let configuration = try Suite.loadConfiguration(global)
            let curve = configuration.curve
            let rows = curve.admits.keys.sorted().flatMap { daemon in
                (curve.admits[daemon] ?? []).map { Row(daemon: daemon, admits: $0.name, kind: $0.kind.rawValue, publicKey: $0.publicKey.z85) }
            }
            if global.json {
                Output.json(rows)
                return
            }
            var table = TextTable(header: ["DAEMON", "ADMITS", "AS", "PUBLIC KEY"])
            for row in rows { table.add([row.daemon, row.admits, row.kind, row.publicKey]) }
            Output.line(rows.isEmpty ? "no daemon admits a CURVE key (curve.admits): every endpoint is ipc:// or insecure loopback tcp://" : table.rendered)
            let tcp = configuration.endpoints.named.filter { curve.requiresCurve($0.endpoint) }
            for endpoint in tcp where curve.publicKeys[endpoint.daemon] != nil {
                Output.line("\(endpoint.daemon) serves \(endpoint.endpoint) with the public key \(curve.publicKeys[endpoint.daemon]!.z85)")
            }
        }
    }
}

/// A CURVE key pair's two files: the public key anyone may read, the secret key its owner only.
struct CurveKeyFiles {
    var publicFile: String
    var secretFile: String

    init(directory: String, name: String) {
        publicFile = (directory as NSString).appendingPathComponent("\(name)-curve.public")
        secretFile = (directory as NSString).appendingPathComponent(CurveConfiguration.defaultSecretKeyFile(of: name))
    }

    /// Both files, or neither: an existing one is refused before anything is written.
    func write(_ pair: CurveKeyPair) throws {
        for file in [publicFile, secretFile] where FileManager.default.fileExists(atPath: file) {
            throw CommandFailure(message: "\(file) exists; nothing was written (a key pair is never overwritten: move the old one away first)", code: Exit.refused)
        }
        try create(secretFile, mode: 0o600, line: pair.secretKey.z85)
        do {
            try create(publicFile, mode: 0o644, line: pair.publicKey.z85)
        } catch {
            unlink(secretFile)
            throw error
        }
    }

    /// O_EXCL: a file that appeared since the check is not overwritten either. The mode is set
    /// whatever the umask.
    private func create(_ path: String, mode: mode_t, line: String) throws {
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw CommandFailure(message: "cannot create \(path): \(String(cString: strerror(errno))); nothing was written", code: Exit.refused)
        }
        defer { close(descriptor) }
        let bytes = Array((line + "\n").utf8)
        guard fchmod(descriptor, mode) == 0, bytes.withUnsafeBytes({ Glibc.write(descriptor, $0.baseAddress, $0.count) }) == bytes.count,
              fsync(descriptor) == 0 else {
            unlink(path)
            throw CommandFailure(message: "cannot write \(path): \(String(cString: strerror(errno)))", code: Exit.refused)
        }
    }
}
