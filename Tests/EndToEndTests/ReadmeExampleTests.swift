import Foundation
import Testing

/// The README's first example commands work on the day they are read: they are taken from
/// README.md as they stand and run against a running suite.
@Suite struct ReadmeExampleTests {
    /// The ```sh block after "With the suite running, in another terminal:".
    static func exampleCommands() throws -> [String] {
        let readme = try String(contentsOfFile: SuiteProcess.repositoryRoot + "/README.md", encoding: .utf8)
        guard let intro = readme.range(of: "With the suite running, in another terminal:"),
              let open = readme.range(of: "```sh\n", range: intro.upperBound..<readme.endIndex),
              let close = readme.range(of: "```", range: open.upperBound..<readme.endIndex)
        else { throw SuiteFailure("README.md has no example block after \"With the suite running\"") }
        return readme[open.upperBound..<close.lowerBound].split(separator: "\n").map(String.init)
    }

    @Test func theReadmesExampleCommandsWork() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()
        let lines = try Self.exampleCommands()
        #expect(lines.contains { $0.contains("bookctl book") } && lines.contains { $0.contains("bookctl slots --json") })
        let script = lines.map { line -> String in
            // The built bookctl wherever this test's binaries are; a follower runs until Ctrl-C,
            // so here it prints what there is and ends.
            line.replacingOccurrences(of: "alias bookctl=.build/debug/bookctl", with: "alias bookctl=\(SuiteProcess.binDirectory)/bookctl")
                .replacingOccurrences(of: "bookctl events --follow", with: "bookctl events")
        }
        let path = suite.directory + "/readme-example.sh"
        try ("set -euo pipefail\nshopt -s expand_aliases\n" + script.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        // Run where the README's reader is, with the suite's file as the default configuration.
        let run = try SuiteProcess.run("/bin/bash", [path], environment: ["BOOKING_CONFIG": suite.configPath])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let reference = try #require(run.stdout.firstMatch(of: /BK-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}/)).output
        #expect(run.stdout.contains("Иван Петров"), "show prints the booking: \(run.stdout)")
        #expect(run.stdout.contains("Sent a test message to you@example.com"), "\(run.stdout)")
        #expect(run.stdout.contains("booking.created"), "events prints the booking's event: \(run.stdout)")
        let appointments = try suite.bookctlJSON(["list"]) as? [[String: Any]] ?? []
        #expect(appointments.contains { $0["reference"] as? String == String(reference) })
    }
}
