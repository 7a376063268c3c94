import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Looks for personal data where it must not be: every byte of every file in a directory (a
/// database, its -wal and -shm files, backups), each value in the encodings a file could hold it
/// in (UTF-8, UTF-16 in both byte orders, as SQLite can store text, and JSON's `\u` escapes of
/// non-ASCII text, as an encoder may write a body).
public enum PlaintextSearch {
    /// Where any of `values` occurs, as "file: value (encoding)"; empty when nowhere.
    public static func occurrences(of values: [String], inFilesUnder directory: String) throws -> [String] {
        var found: [String] = []
        guard let files = FileManager.default.enumerator(atPath: directory) else { return [] }
        for case let name as String in files {
            let path = directory + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let bytes = Data(try Self.bytes(ofFileAt: path))
            for value in values {
                for (encoding, needle) in encodings(of: value) where contains(bytes, needle) {
                    found.append("\(name): \(value) (\(encoding))")
                }
            }
        }
        return found
    }

    /// A file's bytes, read with POSIX calls. Not `Data(contentsOf:)`: on Linux, for a file whose
    /// size reads as 0 (an empty -wal after a checkpoint, or one truncated while it is read),
    /// Foundation allocates a 4 KiB buffer and, when nothing comes, returns an empty `Data`
    /// without freeing it (swift-foundation's `readBytesFromFile`); every search leaked it.
    public static func bytes(ofFileAt path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    static func encodings(of value: String) -> [(String, [UInt8])] {
        let utf16 = Array(value.utf16)
        var forms = [
            ("UTF-8", Array(value.utf8)),
            ("UTF-16LE", utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }),
            ("UTF-16BE", utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }),
        ]
        if !value.allSatisfy(\.isASCII) {
            let escaped = utf16.map { $0 < 0x80 ? String(UnicodeScalar(UInt8($0))) : String(format: "\\u%04x", $0) }.joined()
            forms.append(("JSON escapes", Array(escaped.utf8)))
        }
        return forms
    }

    /// Foundation's search, not a loop in Swift: a database's WAL holds megabytes, searched for
    /// dozens of forms, and a byte-by-byte loop took a minute of the sanitizers' runs (starving
    /// the tests that run beside it).
    static func contains(_ haystack: Data, _ needle: [UInt8]) -> Bool {
        !needle.isEmpty && haystack.range(of: Data(needle)) != nil
    }
}
