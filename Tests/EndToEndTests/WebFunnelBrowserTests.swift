import Foundation
import Testing

/// The funnel's visit in a real browser with JavaScript (`browser/funnel_visit.py`, headless
/// chromium): the page's script reloads a first visit into the browser's zone, and that reload
/// must stay in the visit the first page began, or every visitor with JavaScript would count
/// twice. Run with the browser tests (`--filter WebBrowserTests`), which have the cores to themselves.
extension WebBrowserTests {
    static let funnelScript = SuiteProcess.repositoryRoot + "/Tests/EndToEndTests/browser/funnel_visit.py"

    @Test func theScriptsReloadIntoTheVisitorsZoneKeepsTheVisit() async throws {
        try await WebBrowserTests.withWebSuite(consultants: ["anna"]) { suite, url in
            // At the lowest CPU and I/O priority, on a thread of its own, as WebBrowserTests runs its browser.
            let command = ["-n", "19", "/usr/bin/ionice", "-c", "3", "/usr/bin/python3", Self.funnelScript, "--url", url]
            let run = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<SuiteProcess.Run, any Error>) in
                Thread.detachNewThread { continuation.resume(with: Result { try SuiteProcess.run("/usr/bin/nice", command) }) }
            }
            #expect(run.status == 0, "\(run.stderr.suffix(3000))")
            let line = run.stdout.split(separator: "\n").last.map(String.init) ?? "{}"
            let seen = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect((seen["form"] as? String)?.contains("visit=") == true, "\(seen)")

            var funnel: [String: Int] = [:]
            for _ in 0..<50 {
                let report = try #require(try suite.bookctlJSON(["report", "--from", "2026-12-01", "--to", "2026-12-01"]) as? [String: Any])
                funnel = report["funnel"] as? [String: Int] ?? [:]
                if funnel["chose"] == 1 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(funnel["viewed"] == 1 && funnel["slots"] == 1 && funnel["chose"] == 1, "one visit, reloaded: \(funnel)")
        }
    }
}
