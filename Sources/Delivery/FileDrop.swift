import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes development deliveries (SMS, chat) as files in a directory, atomically: a reader sees
/// the whole file or none of it, and writing the same name again replaces it.
public struct FileDrop: Sendable {
    public let directory: String
    /// Messages hold contacts: the daemon's user alone reads them, whatever the umask (the group
    /// `booking` holds webd's user too; an admin reads them as root or with `sudo -u`).
    static let fileMode: mode_t = 0o600
    static let directoryMode: mode_t = 0o750

    public init(directory: String) {
        self.directory = directory
    }

    /// Writes `contents` as `directory/name` ("<id>.sms.txt", "<id>.chat.json"), creating the
    /// directory if needed. A name that is not a plain file name is refused.
    public func write(name: String, contents: [UInt8]) throws(DeliveryFailure) {
        guard !name.isEmpty, name != ".", name != "..", !name.hasPrefix("."),
              !name.unicodeScalars.contains(where: { $0 == "/" || $0 == "\0" }), name.utf8.count <= 255
        else { throw .permanent("invalid file name \(name.debugDescription) for \(directory)") }
        if !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .permanent("cannot create directory \(directory): \(error.localizedDescription)")
            }
            chmod(directory, Self.directoryMode)
        }
        let target = (directory as NSString).appendingPathComponent(name)
        let temporary = (directory as NSString).appendingPathComponent(".\(name).\(UInt64.random(in: 0...UInt64.max)).tmp")
        do {
            // A hidden temporary file beside the target, then rename(2): atomic on one file system.
            try Self.create(temporary, contents)
            if rename(temporary, target) != 0 {
                let code = errno
                throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            // A full disk or a permissions problem can be fixed without changing the message.
            throw .transient("cannot write \(target): \(error.localizedDescription)")
        }
    }

    /// Creates the file with its mode from the start (open(2) with O_EXCL), so no moment exists
    /// in which the umask decided who may read it.
    private static func create(_ path: String, _ contents: [UInt8]) throws {
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        guard fchmod(descriptor, fileMode) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var written = 0
        while written < contents.count {
            let result = contents.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, contents.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            written += result
        }
    }

    /// A development file's name that says what it holds: the given parts (reference, purpose,
    /// recipient; absent ones left out) and 8 hex digits of `identity`'s SHA-256, so the same
    /// message is the same file and two alike messages are two files. Only letters, digits and
    /// `@ + - _ = .` of ASCII, never a leading dot, each part at most 60 bytes.
    public static func fileName(describing parts: [String?], identity: [UInt8], suffix: String) -> String {
        let id = SHA256.hash(data: identity).prefix(4).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        return (parts.compactMap { $0.map(safe) }.filter { !$0.isEmpty } + [id, suffix]).joined(separator: ".")
    }

    private static func safe(_ text: String) -> String {
        let kept = text.trimmingCharacters(in: [" ", "\t", "<", ">"]).prefix(60).map { character -> Character in
            character.isASCII && (character.isLetter || character.isNumber || "@+-_=.".contains(character)) ? character : "_"
        }
        return String(kept.first == "." ? ["_"] + kept.dropFirst() : kept)
    }
}
