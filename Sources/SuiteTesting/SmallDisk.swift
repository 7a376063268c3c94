import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file system of its own for a test, small enough to fill: a tmpfs mounted on a new
/// directory, so "the disk is full" is a real ENOSPC from the kernel and freeing it is real
/// too. Mounting needs root; `isAvailable` says whether this process may.
public final class SmallDisk: Sendable {
    public let directory: String
    private var filler: String { directory + "/filler" }

    public static var isAvailable: Bool { geteuid() == 0 }

    public init(megabytes: Int) throws {
        var template = Array("/tmp/disk-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        directory = String(cString: made)
        try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0750", "tmpfs", directory])
    }

    /// Writes a file until the kernel says the disk is full.
    public func fill() throws {
        let descriptor = open(filler, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0x2e, count: 4096)
        while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        guard errno == ENOSPC else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Removes what `fill` wrote.
    public func free() throws {
        try FileManager.default.removeItem(atPath: filler)
    }

    public func unmount() {
        try? Self.run("/bin/umount", ["-l", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(executable) \(arguments.joined(separator: " ")) failed"])
        }
    }
}
