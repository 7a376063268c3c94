import Foundation
import Testing

/// The harness itself: what every end-to-end test leans on.
struct SuiteProcessTests {
    /// Foundation keeps a Process (and so its pipes) alive until `waitUntilExit` has run; a test
    /// process that leaked one per command reached 2,000 descriptors and crashed in Foundation.
    @Test func aChildWaitedForIsFreedWithItsPipes() async throws {
        weak var freed: Process?
        do {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/true")
            process.standardOutput = Pipe()
            process.standardError = Pipe()
            try process.run()
            #expect(SuiteProcess.waitForExit(of: process, seconds: 30) == 0)
            freed = process
        }
        // Foundation's own thread lets go of it once it has seen the exit, soon after.
        for _ in 0..<300 where freed != nil { try await Task.sleep(for: .milliseconds(100)) }
        #expect(freed == nil, "the Process outlived its exit, and with it its pipes")
    }
}
