import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A WebDAV 207 Multi-Status body (RFC 4918 §13) as CalDAV servers answer REPORT and PROPFIND:
/// per resource its href, and the properties the server found (status 200), or a status of its
/// own (a sync-collection's removed member answers 404 with no properties).
public struct MultiStatus: Sendable, Equatable {
    public struct Response: Sendable, Equatable {
        /// As the server wrote it: an absolute path, or a full URL.
        public var href: String
        /// The response's own status (no properties), e.g. 404 for a member gone since the token.
        public var status: Int?
        public var etag: String?
        public var calendarData: String?
        /// DAV:sync-token of a collection asked by PROPFIND.
        public var syncToken: String?
        /// calendarserver's getctag, when a server has no sync-collection.
        public var collectionTag: String?

        public init(href: String, status: Int? = nil, etag: String? = nil, calendarData: String? = nil, syncToken: String? = nil,
                    collectionTag: String? = nil) {
            self.href = href
            self.status = status
            self.etag = etag
            self.calendarData = calendarData
            self.syncToken = syncToken
            self.collectionTag = collectionTag
        }
    }

    public var responses: [Response]
    /// The token to send next time (sync-collection's reply).
    public var syncToken: String?

    public init(responses: [Response], syncToken: String?) {
        self.responses = responses
        self.syncToken = syncToken
    }

    public init(parsing body: [UInt8]) throws(CalDAVError) {
        let reader = MultiStatusReader()
        let parser = XMLParser(data: Data(body))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        guard parser.parse(), reader.sawMultiStatus else {
            let detail = parser.parserError.map { "\($0.localizedDescription)" } ?? "no DAV:multistatus element"
            throw .malformedReply("the server's multistatus cannot be read: \(detail)")
        }
        self.init(responses: reader.responses, syncToken: reader.syncToken)
    }

    /// "HTTP/1.1 404 Not Found" -> 404.
    static func statusCode(_ line: String) -> Int? {
        let parts = line.split(separator: " ")
        return parts.count >= 2 ? Int(parts[1]) : nil
    }
}

/// Collects what `MultiStatus` keeps while XMLParser walks the body. Only DAV: and CalDAV
/// elements count; a property is taken from a propstat whose status is 200.
private final class MultiStatusReader: NSObject, XMLParserDelegate {
    static let dav = "DAV:"
    static let caldav = "urn:ietf:params:xml:ns:caldav"
    static let calendarServer = "http://calendarserver.org/ns/"

    var responses: [MultiStatus.Response] = []
    var syncToken: String?
    var sawMultiStatus = false

    private var path: [(namespace: String, name: String)] = []
    private var text = ""
    private var current: MultiStatus.Response?
    private var propertyValues: [String: String] = [:]
    private var propstatStatus: Int?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        let namespace = namespaceURI ?? ""
        path.append((namespace, name))
        text = ""
        switch (namespace, name) {
        case (Self.dav, "response"): current = MultiStatus.Response(href: "")
        case (Self.dav, "propstat"): (propertyValues, propstatStatus) = ([:], nil)
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text += string
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        text += String(decoding: block, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        let namespace = namespaceURI ?? ""
        defer { path.removeLast() }
        let parent = path.count >= 2 ? path[path.count - 2] : (namespace: "", name: "")
        let value = text
        text = ""
        switch (namespace, name) {
        case (Self.dav, "href") where parent == (Self.dav, "response"):
            current?.href = value.trimmingCharacters(in: .whitespacesAndNewlines)
        case (Self.dav, "status") where parent == (Self.dav, "response"):
            current?.status = MultiStatus.statusCode(value.trimmingCharacters(in: .whitespacesAndNewlines))
        case (Self.dav, "status") where parent == (Self.dav, "propstat"):
            propstatStatus = MultiStatus.statusCode(value.trimmingCharacters(in: .whitespacesAndNewlines))
        case (Self.dav, "getetag"), (Self.caldav, "calendar-data"), (Self.calendarServer, "getctag"):
            propertyValues[name] = value
        case (Self.dav, "sync-token") where parent == (Self.dav, "prop"):
            propertyValues[name] = value
        case (Self.dav, "propstat"):
            guard propstatStatus == 200 || propstatStatus == nil else { break }
            if let etag = propertyValues["getetag"] { current?.etag = etag.trimmingCharacters(in: .whitespacesAndNewlines) }
            if let data = propertyValues["calendar-data"] { current?.calendarData = data }
            if let token = propertyValues["sync-token"] { current?.syncToken = token.trimmingCharacters(in: .whitespacesAndNewlines) }
            if let tag = propertyValues["getctag"] { current?.collectionTag = tag.trimmingCharacters(in: .whitespacesAndNewlines) }
        case (Self.dav, "multistatus"):
            // At its end, not its start: a body cut short is not a multistatus.
            sawMultiStatus = true
        case (Self.dav, "response"):
            if let current, !current.href.isEmpty { responses.append(current) }
            current = nil
        case (Self.dav, "sync-token") where parent == (Self.dav, "multistatus"):
            syncToken = value.trimmingCharacters(in: .whitespacesAndNewlines)
        default:
            break
        }
    }
}
