import Foundation
import LoopbackServers
import Testing

/// A client's request about their data, all the way: the manage page's button (a form post with
/// the page's cookie), notifyd's email through a real SMTP server, the link's page (which a mail
/// scanner may open without effect), and its button, which downloads the export or erases.
@Suite(.serialized) struct DataRequestFlowTests {
    /// A browser without JavaScript: curl with a cookie jar.
    struct Browser {
        let jar: String

        struct Page {
            var status: Int
            var body: String
            var headers: String
        }

        func open(_ url: String, form: [(String, String)]? = nil) throws -> Page {
            var arguments = ["-s", "-L", "-c", jar, "-b", jar, "-D", "-", "-o", jar + ".body", "-w", "%{http_code}"]
            for (name, value) in form ?? [] { arguments += ["--data-urlencode", "\(name)=\(value)"] }
            let run = try SuiteProcess.run("/usr/bin/curl", arguments + [url])
            guard run.status == 0 else { throw SuiteFailure("curl \(url): \(run.stderr)") }
            let body = String(decoding: try Data(contentsOf: URL(fileURLWithPath: jar + ".body")), as: UTF8.self)
            return Page(status: Int(run.stdout.suffix(3)) ?? 0, body: body, headers: String(run.stdout.dropLast(3)))
        }

        /// The values of a page's hidden fields, as its form would post them.
        static func fields(_ page: Page, _ names: [String]) throws -> [(String, String)] {
            try names.map { name in
                let value = try #require(page.body.components(separatedBy: "name=\"\(name)\" value=\"").dropFirst().first?.prefix { $0 != "\"" }, "\(name)")
                return (name, String(value))
            }
        }
    }

    /// The data-request link of the newest such email, on the suite's own web address.
    static func link(_ servers: NotificationTests.Servers, count: Int, web: String) async throws -> String {
        let mails = try NotificationTests.summaries(try await servers.smtp.waitForMessages(count: count, timeout: .seconds(30)), in: servers.smtp)
        let request = try #require(mails.last { ($0["message_id"] as? String)?.contains("data-") == true })
        let text = try #require(request["text"] as? String)
        let found = try #require(text.firstMatch(of: /https:\/\/book\.example\.com(\/manage\/BK-[0-9A-Z-]+\/data\?action=[a-z]+&expires=[0-9]+&token=[0-9a-f]{32})/))
        return web + found.output.1
    }

    @Test func theManagePagesButtonsEmailALinkWhoseButtonExportsOrErases() async throws {
        let servers = try NotificationTests.Servers()
        defer { servers.stop() }
        let suite = try NotificationTests.suite(servers)
        defer { suite.tearDown() }
        try await suite.start()
        let reference = try NotificationTests().book(suite, "2026-12-02T11:00", 7, locale: "en")
        _ = try await servers.smtp.waitForMessages(count: 2, timeout: .seconds(30))
        let browser = Browser(jar: suite.directory + "/cookies")
        let manage = suite.webURL + "/manage/\(reference)"

        let page = try browser.open(manage + "?lang=en")
        #expect(page.status == 200 && page.body.contains("id=\"personal-data\""))
        let asked = try browser.open(manage + "/data", form: try Browser.fields(page, ["form_token"]) + [("action", "export")])
        #expect(asked.status == 200 && asked.body.contains("id=\"data-link-sent\"") && asked.body.contains("c***@example.com"), "\(asked.body)")
        let exportLink = try await Self.link(servers, count: 3, web: suite.webURL)
        #expect(exportLink.contains("action=export"))

        // The link's page, as a mail scanner fetches it, does nothing.
        let linkPage = try browser.open(exportLink)
        #expect(linkPage.status == 200 && linkPage.body.contains("id=\"data-request-button\""))
        let form = try Browser.fields(linkPage, ["form_token", "action", "expires", "token"])
        let download = try browser.open(manage + "/data/confirm", form: form)
        #expect(download.status == 200 && download.headers.lowercased().contains("content-disposition: attachment"), "\(download.headers)")
        let export = try #require(try JSONSerialization.jsonObject(with: Data(download.body.utf8)) as? [String: Any])
        let booking = try #require((export["bookings"] as? [[String: Any]])?.first?["appointment"] as? [String: Any])
        #expect((booking["contact"] as? [String: Any])?["email"] as? String == "client7@example.com", "the client's own data, in full")

        // The export's link, its token posted as an erasure, erases nothing.
        let misused = try browser.open(manage + "/data/confirm", form: form.map { $0.0 == "action" ? ("action", "erase") : $0 })
        #expect(misused.status == 403, "\(misused.body)")
        func stored() throws -> [String: Any] { try #require(try suite.bookctlJSON(["show", reference]) as? [String: Any]) }
        #expect((try stored()["contact"] as? [String: Any])?["email"] as? String == "client7@example.com", "nothing erased")

        let again = try browser.open(manage + "?lang=en")
        let erasing = try browser.open(manage + "/data", form: try Browser.fields(again, ["form_token"]) + [("action", "erase")])
        #expect(erasing.status == 200 && erasing.body.contains("id=\"data-link-sent\""))
        let eraseLink = try await Self.link(servers, count: 4, web: suite.webURL)
        let erasePage = try browser.open(eraseLink + "&lang=en")
        #expect(erasePage.body.contains("This cannot be undone"))
        #expect(try stored()["status"] as? String == "confirmed", "opening the link erases nothing")
        let eraseForm = try Browser.fields(erasePage, ["form_token", "action", "expires", "token"])
        let erased = try browser.open(manage + "/data/confirm", form: eraseForm)
        #expect(erased.status == 200 && erased.body.contains("Upcoming consultations cancelled: 1"), "\(erased.body)")
        let shown = try stored()
        #expect(shown["status"] as? String == "cancelled")
        #expect((shown["contact"] as? [String: Any])?["email"] as? String == "")
        let run = try suite.bookctl(["privacy", "export", "--reference", reference])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
        let erasures = try #require(record["erasures"] as? [[String: Any]])
        #expect(erasures.map { $0["user"] as? String } == ["client"])
        // The manage page no longer offers what is done.
        #expect(try !browser.open(manage + "?lang=en").body.contains("id=\"personal-data\""))
    }
}
