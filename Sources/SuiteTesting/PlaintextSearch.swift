import Foundation

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
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            for value in values {
                for (encoding, needle) in encodings(of: value) where contains(bytes, needle) {
                    found.append("\(name): \(value) (\(encoding))")
                }
            }
        }
        return found
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

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        while let start = haystack[index...].firstIndex(of: first), start + needle.count <= haystack.count {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
            index = start + 1
        }
        return false
    }
}
