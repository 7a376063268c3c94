import Foundation
import Testing
@testable import CalDAV

@Suite struct MultiStatusTests {
    /// Radicale's answer to a sync-collection: default namespace DAV:, CalDAV prefixed.
    @Test func aSyncCollectionReplyGivesItsMembersAndToken() throws {
        let body = """
            <?xml version='1.0' encoding='utf-8'?>
            <multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><sync-token>http://radicale.org/ns/sync/69c8</sync-token>\
            <response><href>/anna/work/m1.ics</href><propstat><prop><getetag>"cb82"</getetag><C:calendar-data>BEGIN:VCALENDAR
            END:VCALENDAR
            </C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat></response>\
            <response><href>/anna/work/gone.ics</href><status>HTTP/1.1 404 Not Found</status></response></multistatus>
            """
        let reply = try MultiStatus(parsing: Array(body.utf8))
        #expect(reply.syncToken == "http://radicale.org/ns/sync/69c8")
        #expect(reply.responses == [
            MultiStatus.Response(href: "/anna/work/m1.ics", etag: "\"cb82\"", calendarData: "BEGIN:VCALENDAR\nEND:VCALENDAR\n"),
            MultiStatus.Response(href: "/anna/work/gone.ics", status: 404),
        ])
    }

    /// Nextcloud's style: every element prefixed, a 404 propstat for a property it lacks, which
    /// must not hide the ones it has, and calendar data in CDATA.
    @Test func prefixesMissingPropertiesAndCDATA() throws {
        let body = """
            <d:multistatus xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">
              <d:response>
                <d:href>/remote.php/dav/calendars/anna/personal/a%20b.ics</d:href>
                <d:propstat><d:prop><d:getetag>&quot;e1&quot;</d:getetag><cal:calendar-data><![CDATA[BEGIN:VCALENDAR\r
            END:VCALENDAR\r
            ]]></cal:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
                <d:propstat><d:prop><cs:getctag/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
              </d:response>
              <d:response>
                <d:href>/remote.php/dav/calendars/anna/personal/</d:href>
                <d:propstat><d:prop><d:sync-token>token-7</d:sync-token><cs:getctag>ctag-7</cs:getctag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
              </d:response>
            </d:multistatus>
            """
        let reply = try MultiStatus(parsing: Array(body.utf8))
        #expect(reply.syncToken == nil)
        #expect(reply.responses.count == 2)
        #expect(reply.responses[0].etag == "\"e1\"")
        #expect(reply.responses[0].calendarData == "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        #expect(reply.responses[0].collectionTag == nil)
        #expect(reply.responses[1].syncToken == "token-7" && reply.responses[1].collectionTag == "ctag-7")
    }

    @Test(arguments: ["", "not xml at all", "<html><body>Login</body></html>", "<d:multistatus xmlns:d=\"DAV:\"><d:response>"])
    func whatIsNotAMultistatusIsRefused(body: String) {
        #expect(throws: CalDAVError.self) { try MultiStatus(parsing: Array(body.utf8)) }
    }

    @Test func anExternalEntityIsNotRead() throws {
        let body = """
            <?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>
            <multistatus xmlns="DAV:"><response><href>&x;</href><status>HTTP/1.1 404 Not Found</status></response></multistatus>
            """
        let reply = try? MultiStatus(parsing: Array(body.utf8))
        #expect(reply?.responses.contains { $0.href.contains("root:") } != true)
    }

    @Test func statusLines() {
        #expect(MultiStatus.statusCode("HTTP/1.1 404 Not Found") == 404)
        #expect(MultiStatus.statusCode("HTTP/1.1 200") == 200)
        #expect(MultiStatus.statusCode("garbage") == nil)
    }

    @Test func queryBodiesEscapeTheTokenAndUseUTCTimes() {
        let query = CalDAVQuery.changes(since: "a<b&\"c\"")
        #expect(query.contains("<D:sync-token>a&lt;b&amp;&quot;c&quot;</D:sync-token>"))
        let events = CalDAVQuery.events(from: Date(timeIntervalSince1970: 1_796_000_000), to: Date(timeIntervalSince1970: 1_796_086_400))
        #expect(events.contains(#"<C:time-range start="20261130T005320Z" end="20261201T005320Z"/>"#), "\(events)")
    }
}
