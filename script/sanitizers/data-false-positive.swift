// LeakSanitizer and Foundation's Data on Linux: run
//
//   swiftc -sanitize=address -O script/sanitizers/data-false-positive.swift -o /tmp/data-false-positive
//   ASAN_OPTIONS=detect_leaks=1 /tmp/data-false-positive
//
// Both globals below keep what they hold until the process exits; nothing is leaked. The byte
// arrays pass; every Data is reported all the same (its __DataStorage directly, the bytes
// read from the file indirectly): Data keeps its storage reference in an enum
// (_Representation) whose cases are told apart by bits stored in the reference itself, and
// LeakSanitizer's scan, which looks for plain addresses, does not take that word for a pointer
// (llvm/llvm-project#56751). So a Data alive at exit is reported; script/lsan.supp has no rule
// for it, and a test must not keep one in a global.
import Foundation

nonisolated(unsafe) var keptData: [Data] = []
nonisolated(unsafe) var keptBytes: [[UInt8]] = []

let path = NSTemporaryDirectory() + "/data-false-positive.bin"
FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 4096))
for _ in 0..<4 {
    keptData.append(try Data(contentsOf: URL(fileURLWithPath: path)))
    keptBytes.append([UInt8](repeating: 7, count: 4096))
}
