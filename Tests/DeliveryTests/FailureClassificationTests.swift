import CivilTime
import Foundation
import Testing
@testable import Delivery

@Suite struct FailureClassificationTests {
    @Test func smtpReplyCodesDecide() {
        let t = Duration.seconds(10)
        #expect(FailureClassification.smtp(error: nil, replyCode: 250, replyLine: "250 OK", timeout: t) == nil)
        let busy = FailureClassification.smtp(
            error: .unexpectedReply(detail: "x"), replyCode: 451, replyLine: "451 4.3.0 local error in processing", timeout: t)
        #expect(busy == .transient("SMTP 451 4.3.0 local error in processing"))
        let unknown = FailureClassification.smtp(
            error: .connectionLost(detail: "RCPT failed: 550"), replyCode: 550, replyLine: "550 5.1.1 mailbox unavailable", timeout: t)
        #expect(unknown == .permanent("SMTP 550 5.1.1 mailbox unavailable"))
        let login = FailureClassification.smtp(
            error: .loginDenied(detail: "Login denied"), replyCode: 535, replyLine: "535 5.7.8 Authentication credentials invalid", timeout: t)
        #expect(login == .permanent("SMTP authentication failed: 535 5.7.8 Authentication credentials invalid"))
        let tempLogin = FailureClassification.smtp(
            error: .loginDenied(detail: "Login denied"), replyCode: 454, replyLine: "454 4.7.0 try later", timeout: t)
        #expect(tempLogin?.permanent == false)
        // A reply line that is not the final reply falls back to the code alone.
        let mismatched = FailureClassification.smtp(
            error: .unexpectedReply(detail: "x"), replyCode: 452, replyLine: "250-PIPELINING", timeout: t)
        #expect(mismatched == .transient("SMTP 452"))
    }

    @Test func transportErrorsWithoutAReplyCode() {
        let t = Duration.seconds(10)
        func smtp(_ e: TransferError) -> DeliveryFailure? {
            FailureClassification.smtp(error: e, replyCode: 0, replyLine: nil, timeout: t)
        }
        #expect(smtp(.connectionRefused(endpoint: "127.0.0.1:2525")) == .transient("connection refused (127.0.0.1:2525)"))
        #expect(smtp(.timedOut) == .transient("timed out after 10 s"))
        #expect(smtp(.couldNotResolve(host: "mail.invalid")) == .transient("could not resolve host mail.invalid"))
        #expect(smtp(.connectionLost(detail: "Send failure")) == .transient("connection lost: Send failure"))
        #expect(smtp(.tls(detail: "certificate verify failed"))?.permanent == true)
        #expect(smtp(.loginDenied(detail: "Login denied")) == .permanent("SMTP authentication failed: Login denied"))
        #expect(smtp(.invalidURL(detail: "bad")) == .permanent("invalid URL: bad"))
        #expect(smtp(.other(code: 99, detail: "odd"))?.permanent == false)
        // A 2xx/3xx code with an error (e.g. TLS after "220 Ready to start TLS") is the error's call.
        #expect(FailureClassification.smtp(error: .tls(detail: "x"), replyCode: 220, replyLine: "220 Ready", timeout: t)?.permanent == true)
    }

    @Test(arguments: [
        (200, nil), (201, nil), (204, nil),
        (408, false), (425, false), (429, false), (500, false), (502, false), (503, false), (504, false),
        (301, true), (302, true), (400, true), (401, true), (403, true), (404, true), (410, true), (422, true),
    ] as [(Int, Bool?)])
    func httpStatuses(status: Int, permanent: Bool?) {
        let failure = FailureClassification.http(error: nil, status: status, retryAfter: nil, timeout: .seconds(5))
        #expect(failure?.permanent == permanent)
        if let failure { #expect(failure.reason == "HTTP \(status)") }
    }

    @Test func httpKeepsRetryAfterOnTransientFailures() {
        let f = FailureClassification.http(error: nil, status: 429, retryAfter: .seconds(7), timeout: .seconds(5))
        #expect(f == .transient("HTTP 429", retryAfter: .seconds(7)))
        #expect(f?.description == "transient failure: HTTP 429 (retry after 7 s)")
        let timedOut = FailureClassification.http(error: .timedOut, status: 0, retryAfter: nil, timeout: .milliseconds(250))
        #expect(timedOut == .transient("timed out after 0.25 s"))
    }

    @Test func retryAfterParsesSecondsAndDates() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)  // Tue, 14 Nov 2023 22:13:20 GMT
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(" 0 ", now: now) == .seconds(0))
        #expect(RetryAfter.parse("Tue, 14 Nov 2023 22:14:20 GMT", now: now) == .seconds(60))
        #expect(RetryAfter.parse("Tue, 14 Nov 2023 22:00:00 GMT", now: now) == .seconds(0))
        #expect(RetryAfter.parse("-5", now: now) == nil)
        #expect(RetryAfter.parse("soon", now: now) == nil)
    }

    @Test func sendmailExitStatuses() {
        #expect(SendmailOutcome.exited(0, stderr: "").failure(path: "/s") == nil)
        #expect(SendmailOutcome.exited(75, stderr: "queue full").failure(path: "/s")
            == .transient("/s exited with status 75 (EX_TEMPFAIL): queue full"))
        #expect(SendmailOutcome.exited(67, stderr: "").failure(path: "/s")
            == .permanent("/s exited with status 67 (EX_NOUSER)"))
        #expect(SendmailOutcome.exited(1, stderr: "").failure(path: "/s") == .permanent("/s exited with status 1"))
        #expect(SendmailOutcome.signaled(9, stderr: "").failure(path: "/s") == .transient("/s was killed by signal 9"))
        #expect(SendmailOutcome.couldNotStart("no such file").failure(path: "/s")?.permanent == true)
    }

    @Test func envelopeValidation() {
        #expect(throws: DeliveryFailure.permanent("no envelope recipients")) {
            try EnvelopeValidation.check(from: "a@b.test", to: [])
        }
        #expect(throws: DeliveryFailure.self) { try EnvelopeValidation.check(from: "a@b.test\r\nRCPT TO:<x@y>", to: ["c@d.test"]) }
        #expect(throws: DeliveryFailure.self) { try EnvelopeValidation.check(from: "a@b.test", to: ["<c@d.test>"]) }
        #expect(throws: DeliveryFailure.self) { try EnvelopeValidation.check(from: "a@b.test", to: ["nobody"]) }
        #expect(throws: Never.self) { try EnvelopeValidation.check(from: "", to: ["c@d.test"]) }
    }

    @Test func httpRequestValidation() {
        #expect(throws: Never.self) { try HTTPRequest(url: "https://sms.example.test/send", headers: [("X-Key", "k")]).validate() }
        #expect(throws: DeliveryFailure.self) { try HTTPRequest(url: "ftp://sms.example.test/").validate() }
        #expect(throws: DeliveryFailure.self) { try HTTPRequest(url: "not a url").validate() }
        #expect(throws: DeliveryFailure.self) { try HTTPRequest(method: "PO ST", url: "http://a.test/").validate() }
        #expect(throws: DeliveryFailure.self) { try HTTPRequest(url: "http://a.test/", headers: [("X", "a\r\nInjected: 1")]).validate() }
        #expect(throws: DeliveryFailure.self) { try HTTPRequest(url: "http://a.test/", headers: [("Bad Name", "v")]).validate() }
        #expect(HTTPRequest(url: "http://a.test:8080/x").endpoint == "a.test:8080")
        #expect(HTTPRequest(url: "https://a.test/x").endpoint == "a.test:443")
        #expect(HTTPRequest(url: "http://a/", headers: [("A", "1")]) == HTTPRequest(url: "http://a/", headers: [("A", "1")]))
        #expect(HTTPRequest(url: "http://a/", headers: [("A", "1")]) != HTTPRequest(url: "http://a/", headers: [("A", "2")]))
    }

    @Test func smtpURLs() {
        #expect(SMTPSettings(host: "mail.example.test", port: 587).url == "smtp://mail.example.test:587")
        #expect(SMTPSettings(host: "mail.example.test", port: 465, security: .implicitTLS).url == "smtps://mail.example.test:465")
        #expect(SMTPSettings(host: "::1", port: 25, security: .none).url == "smtp://[::1]:25")
        #expect(SMTPSettings(host: "relay.test", port: 25, localName: "app1.example.test").url == "smtp://relay.test:25/app1.example.test")
        #expect(SMTPSettings.Security(rawValue: "tls") == .implicitTLS)
        #expect(SMTPSettings.Security(rawValue: "starttls") == .startTLS)
    }
}
