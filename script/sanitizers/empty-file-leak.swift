// Foundation's Data(contentsOf:) leaks 4 KiB per read of an empty file on Linux: run
//
//   swiftc -sanitize=address -O script/sanitizers/empty-file-leak.swift -o /tmp/empty-file-leak
//   ASAN_OPTIONS=detect_leaks=1 /tmp/empty-file-leak
//
// LeakSanitizer reports 3 × 4096 bytes allocated in readBytesFromFile. A file whose size reads
// as 0 is read in 4 KiB chunks on Linux, since /proc's files say 0 and have contents
// (swiftlang/swift-foundation#739); when nothing comes, the empty result becomes `Data()` and
// the chunk is never freed. The personal-data tests search databases' directories, where an
// empty -wal is common; they read with SuiteTesting's PlaintextSearch.bytes (POSIX read).
import Foundation

let path = NSTemporaryDirectory() + "/empty-file-leak.bin"
FileManager.default.createFile(atPath: path, contents: Data())
for _ in 0..<3 {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    precondition(data.isEmpty)
}
