import BookingProtocol
import Crypto
import DaemonKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import ZeroMQ
@testable import WebFrontend

/// The routes that do not need the daemons, over a real loopback connection (the peer is
/// 127.0.0.1); the daemons' endpoints are real sockets that nobody answers, so readiness and the API report them down.
/// (Every route with the daemons running: Tests/EndToEndTests/WebAPITests.swift.)
@Suite(.serialized) struct WebsiteHTTPTests {
    /// Over HummingbirdTesting's `.live` setup, not `.router`: the router setup makes a
    /// NIOAsyncTestingChannel for every request and never closes it, so each request leaks its
    /// channel and event loop, which fails the unit tests under LeakSanitizer.
    static func withSite(_ configure: (inout WebConfiguration) -> Void = { _ in },
                         _ body: @Sendable (BookingWebsite, any TestClientProtocol) async throws -> Void) async throws {
        let directory = "/tmp/wf-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let context = try ZMQContext()
        let bookingd = try await DaemonClient(daemon: "bookingd", endpoint: "ipc://\(directory)/bookingd.ipc", context: context, timeout: .milliseconds(100), attempts: 1)
        let availabilityd = try await DaemonClient(daemon: "availabilityd", endpoint: "ipc://\(directory)/availabilityd.ipc", context: context, timeout: .milliseconds(100), attempts: 1)
        let notifyd = try await DaemonClient(daemon: "notifyd", endpoint: "ipc://\(directory)/notifyd.ipc", context: context, timeout: .milliseconds(100), attempts: 1)
        var configuration = WebConfiguration(stateDirectory: directory)
        configure(&configuration)
        let site = try BookingWebsite(
            configuration: configuration, key: SymmetricKey(size: .bits256),
            services: DaemonBookingServices(bookingd: bookingd, availabilityd: availabilityd, notifyd: notifyd), calendarZone: VisitorTime.moscow, clock: .system,
            logger: Logger(label: "test")
        )
        let app = Application(router: site.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body(site, client) }
        await bookingd.close()
        await availabilityd.close()
        await notifyd.close()
        await context.shutdown()
    }

    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test func healthIsAlwaysOkAndReadinessNeedsBothDaemons() async throws {
        try await Self.withSite { _, client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(Self.text(response).contains("bookingd: not ready"))
                #expect(Self.text(response).contains("availabilityd: not ready"))
            }
        }
    }

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        try await Self.withSite { _, client in
            for uri in ["/healthz", "/assets/site.css", "/nowhere", "/api/v1/openapi.json", "/manage"] {
                try await client.execute(uri: uri, method: .get) { response in
                    let csp = response.headers[.contentSecurityPolicy] ?? ""
                    #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"), "\(uri)")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(uri)")
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                    #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(uri)")
                }
            }
        }
    }

    @Test func assetsAreServedFromTheBinaryWithETags() async throws {
        try await Self.withSite { _, client in
            for (name, type) in [("site.css", "text/css"), ("site.js", "text/javascript"), ("icon.svg", "image/svg+xml")] {
                let etag = try await client.execute(uri: "/assets/\(name)", method: .get) { response -> String in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix(type) == true)
                    #expect(!Self.text(response).isEmpty)
                    return response.headers[.eTag] ?? ""
                }
                try await client.execute(uri: "/assets/\(name)", method: .get, headers: [.ifNoneMatch: etag]) { response in
                    #expect(response.status == .notModified)
                }
            }
            try await client.execute(uri: "/assets/../../etc/passwd", method: .get) { response in
                #expect(response.status == .notFound)
            }
            // The stylesheet names no other origin (no CDN, no web fonts).
            #expect(!Asset.siteCSS.contains("http") && !Asset.siteCSS.contains("@import") && !Asset.siteCSS.contains("@font-face"))
        }
    }

    @Test func unknownAPIRoutesAndDownDaemonsAreProblems() async throws {
        try await Self.withSite { _, client in
            try await client.execute(uri: "/api/v1/nothing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(Self.text(response).contains("\"code\":\"not_found_route\""))
            }
            try await client.execute(uri: "/api/v1/slots", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.headers[.retryAfter] == "30")
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .serviceUnavailable, "the page says the service is down, not a blank error")
                #expect(Self.text(response).contains("temporarily unavailable") || Self.text(response).contains("временно недоступен"))
            }
        }
    }

    @Test(arguments: [("UTF-16LE", String.Encoding.utf16LittleEndian, "application/json"), ("UTF-32BE", .utf32BigEndian, "application/json"),
                      ("UTF-16", .utf8, "application/json; charset=utf-16")])
    func jsonThatIsNotUTF8IsRefusedBeforeItIsRead(name: String, encoding: String.Encoding, contentType: String) async throws {
        try await Self.withSite { _, client in
            let body = ByteBuffer(bytes: Array(#"{"start":"2026-12-02T10:00:00+03:00"}"#.data(using: encoding)!))
            try await client.execute(uri: "/api/v1/bookings", method: .post, headers: [.contentType: contentType], body: body) { response in
                #expect(response.status == .unsupportedMediaType)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(Self.text(response).contains("the body is \(name)"), "\(Self.text(response))")
            }
        }
    }

    @Test func theOpenAPIDocumentListsExactlyTheAPIRoutes() async throws {
        try await Self.withSite { site, client in
            let document = try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response -> [String: Any] in
                #expect(response.status == .ok)
                return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            }
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) /api/v1\(path)" } })
            let routed = Set(site.router().routes.map { "\($0.method) \($0.path)" }.filter { $0.contains("/api/") }
                .map { $0.replacingOccurrences(of: ":reference", with: "{reference}") })
            #expect(documented == routed)
            // Every schema a path refers to exists.
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let text = String(decoding: OpenAPIDocument.json, as: UTF8.self)
            let references = text.components(separatedBy: "#/components/schemas/").dropFirst().map { String($0.prefix { $0 != "\"" }) }
            #expect(!references.isEmpty)
            for name in references { #expect(schemas[name] != nil, "\(name)") }
        }
    }

    @Test func aFormPostWithoutTheSessionCookieIsRefusedBeforeAnyDaemonIsAsked() async throws {
        try await Self.withSite { _, client in
            let body = "start=2026-12-02T07%3A00%3A00.000Z&name=Bot&email=bot%40example.com&country=%2B7&phone=9161234567&consent=yes&form_token=1.00"
            try await client.execute(uri: "/book", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: body)) { response in
                // Re-rendering the form needs availabilityd, which is down: the visitor is told so.
                #expect(response.status == .serviceUnavailable || response.status == .forbidden)
            }
        }
    }

    @Test func embeddingIsOffUntilSitesAreListedAndThenOnlyTheyMayFrameThePage() async throws {
        try await Self.withSite { site, client in
            try await client.execute(uri: "/embed.js", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(Self.text(response).contains("web.embed.allowed_origins"))
            }
            var configuration = site.configuration
            configuration.branding.embedOrigins = ["https://www.example.com", "http://localhost:8443"]
            try site.apply(configuration)
            for uri in ["/", "/manage", "/nowhere"] {
                try await client.execute(uri: uri, method: .get) { response in
                    let csp = response.headers[.contentSecurityPolicy] ?? ""
                    #expect(csp.hasSuffix("; frame-ancestors https://www.example.com http://localhost:8443"), "\(uri): \(csp)")
                    #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == nil, "DENY would forbid the listed sites too")
                }
            }
            let etag = try await client.execute(uri: "/embed.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                let script = Self.text(response)
                #expect(script.contains("event.origin !== origin || event.source !== frame.contentWindow"), "only its own frame is believed")
                return response.headers[.eTag]
            }
            try await client.execute(uri: "/embed.js", method: .get, headers: [.ifNoneMatch: etag ?? ""]) { #expect($0.status == .notModified) }
        }
    }

    @Test func theLogoAndTheAccentAreServedAsConfigured() async throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]
        try await Self.withSite({ configuration in
            configuration.branding.logo = Branding.Logo(path: "/x/logo.png", contentType: "image/png", bytes: png, etag: "\"abc\"")
            configuration.branding.accentColour = "#1d4ed8"
        }) { site, client in
            try await client.execute(uri: "/logo", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/png")
                #expect(Array(response.body.readableBytesView) == png)
                #expect(response.headers[.eTag] == "\"abc\"")
            }
            try await client.execute(uri: "/logo", method: .get, headers: [.ifNoneMatch: "\"abc\""]) { #expect($0.status == .notModified) }
            try await client.execute(uri: "/brand.css", method: .get) { response in
                #expect(response.headers[.contentType] == "text/css; charset=utf-8")
                #expect(Self.text(response) == ":root{--accent:#1d4ed8}\n")
            }
            try await client.execute(uri: "/manage?lang=en", method: .get) { response in
                #expect(Self.text(response).contains("<img class=\"logo\" id=\"logo\" src=\"/logo\" alt=\"\">"))
            }
            var configuration = site.configuration
            configuration.branding.logo = nil
            try site.apply(configuration)
            try await client.execute(uri: "/logo", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/brand.css", method: .get) { #expect(Self.text($0).contains("#1d4ed8")) }
        }
    }

    @Test func embeddedOverHTTPSTheSessionCookieReachesTheFramePartitioned() async throws {
        try await Self.withSite { site, client in
            let lax = try await client.execute(uri: "/manage", method: .get) { $0.headers[values: .setCookie].first { $0.hasPrefix("bk_session=") } ?? "" }
            #expect(lax.contains("SameSite=Lax") && !lax.contains("Partitioned"), "\(lax)")
            var configuration = site.configuration
            configuration.branding.embedOrigins = ["https://www.example.com"]
            try site.apply(configuration)
            let plain = try await client.execute(uri: "/manage", method: .get) { $0.headers[values: .setCookie].first { $0.hasPrefix("bk_session=") } ?? "" }
            #expect(plain.contains("SameSite=Lax"), "a plain-HTTP page cannot have a secure cookie: \(plain)")
            configuration.publicURL = "https://booking.example.net"
            try site.apply(configuration)
            let framed = try await client.execute(uri: "/manage", method: .get) { $0.headers[values: .setCookie].first { $0.hasPrefix("bk_session=") } ?? "" }
            for attribute in ["HttpOnly", "Secure", "SameSite=None", "Partitioned"] { #expect(framed.contains(attribute), "\(framed)") }
        }
    }
}

