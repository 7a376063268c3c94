import Foundation
import Testing
@testable import ZeroMQ

func b(_ s: String) -> [UInt8] { Array(s.utf8) }
func str(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A private directory for ipc:// endpoints (short path: ipc paths are limited to ~107 bytes).
let ipcDirectory: String = {
    var template = Array("/tmp/zmqt-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(p != nil, "mkdtemp failed")
    // Removed when the test process exits, with whatever socket files are left in it.
    atexit { try? FileManager.default.removeItem(atPath: ipcDirectory) }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}()

func ipcEndpoint(_ name: String) -> String {
    "ipc://\(ipcDirectory)/\(name)-\(UInt32.random(in: 0...UInt32.max))"
}

func inprocEndpoint(_ name: String) -> String {
    "inproc://\(name)-\(UUID().uuidString)"
}

/// Runs `body` with a fresh context that is always shut down afterwards.
func withContext<T>(_ body: (ZMQContext) async throws -> T) async throws -> T {
    let context = try ZMQContext()
    do {
        let result = try await body(context)
        await context.shutdown()
        return result
    } catch {
        await context.shutdown()
        throw error
    }
}

/// Options with unlimited message size (for tests that are not about the limit).
var unlimited: SocketOptions {
    var o = SocketOptions()
    o.maxMessageSize = -1
    return o
}
