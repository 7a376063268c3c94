import Foundation
import Testing
@testable import Delivery

/// The sendmail interface against a real process: a small shell script standing in for
/// /usr/sbin/sendmail that keeps its input and arguments and exits as told. The script runs as
/// `/bin/sh script ...` rather than being executed itself: exec'ing a file this process has just
/// written can fail with ETXTBSY while another test forks (the write descriptor leaks into the
/// child until its exec).
@Suite(.timeLimit(.minutes(1)))
struct SendmailTransportTests {
    func withSendmail(exit status: String, stderr: String = "", _ body: (String, String) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let script = directory + "/sendmail"
            try """
            #!/bin/sh
            printf '%s\\n' "$@" > "\(directory)/arguments"
            cat > "\(directory)/input"
            \(stderr.isEmpty ? "" : "echo '\(stderr)' >&2")
            \(status)
            """.write(toFile: script, atomically: true, encoding: .utf8)
            try await body(script, directory)
        }
    }

    @Test func theMessageGoesToStandardInput() async throws {
        try await withSendmail(exit: "exit 0") { script, directory in
            let message = sampleMessage()
            try await SendmailTransport(path: "/bin/sh", arguments: [script, "-t", "-i"]).send(message, from: "booking@example.test", to: ["client@example.test"])
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/input"))) == message)
            let arguments = try String(contentsOfFile: directory + "/arguments", encoding: .utf8)
            #expect(arguments == "-t\n-i\n-f\nbooking@example.test\n")
        }
    }

    @Test func withoutDashTTheRecipientsArePassed() async throws {
        try await withSendmail(exit: "exit 0") { script, directory in
            try await SendmailTransport(path: "/bin/sh", arguments: [script, "-i"])
                .send(sampleMessage(), from: "booking@example.test", to: ["a@example.test", "b@example.test"])
            let arguments = try String(contentsOfFile: directory + "/arguments", encoding: .utf8)
            #expect(arguments == "-i\n-f\nbooking@example.test\n--\na@example.test\nb@example.test\n")
        }
    }

    @Test func tempfailIsTransientWithItsStderr() async throws {
        try await withSendmail(exit: "exit 75", stderr: "queue directory full") { script, _ in
            let failure = await failure { () async throws(DeliveryFailure) in
                try await SendmailTransport(path: "/bin/sh", arguments: [script, "-t", "-i"]).send(sampleMessage(), from: "booking@example.test", to: ["c@example.test"])
            }
            #expect(failure == .transient("/bin/sh exited with status 75 (EX_TEMPFAIL): queue directory full"))
        }
    }

    @Test func otherExitStatusesArePermanent() async throws {
        try await withSendmail(exit: "exit 67", stderr: "user unknown") { script, _ in
            let failure = await failure { () async throws(DeliveryFailure) in
                try await SendmailTransport(path: "/bin/sh", arguments: [script, "-t", "-i"]).send(sampleMessage(), from: "booking@example.test", to: ["c@example.test"])
            }
            #expect(failure == .permanent("/bin/sh exited with status 67 (EX_NOUSER): user unknown"))
        }
    }

    @Test func aSignalIsTransient() async throws {
        try await withSendmail(exit: "kill -KILL $$") { script, _ in
            let failure = await failure { () async throws(DeliveryFailure) in
                try await SendmailTransport(path: "/bin/sh", arguments: [script, "-t", "-i"]).send(sampleMessage(), from: "booking@example.test", to: ["c@example.test"])
            }
            #expect(failure == .transient("/bin/sh was killed by signal 9"))
        }
    }

    @Test func aSendmailThatReadsNothingDoesNotKillUs() async throws {
        try await withTemporaryDirectory { directory in
            let script = directory + "/sendmail"
            try "#!/bin/sh\nexit 75\n".write(toFile: script, atomically: true, encoding: .utf8)
            let big = sampleMessage(body: String(repeating: "x", count: 900) + String(repeating: "\r\nline", count: 100_000))
            let failure = await failure { () async throws(DeliveryFailure) in
                try await SendmailTransport(path: "/bin/sh", arguments: [script, "-t", "-i"]).send(big, from: "booking@example.test", to: ["c@example.test"])
            }
            #expect(failure?.permanent == false)
        }
    }

    @Test func aMissingBinaryIsPermanent() async throws {
        let failure = await failure { () async throws(DeliveryFailure) in
            try await SendmailTransport(path: "/nonexistent/sendmail").send(sampleMessage(), from: "a@example.test", to: ["c@example.test"])
        }
        #expect(failure == .permanent("sendmail not found or not executable at /nonexistent/sendmail"))
    }
}
