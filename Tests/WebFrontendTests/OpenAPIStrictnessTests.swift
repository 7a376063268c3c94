import BookingDomain
import BookingProtocol
import Foundation
import HTTPTypes
import Testing
@testable import WebFrontend

/// The OpenAPI document is as strict as the server: what it allows the server takes, what the
/// server answers it describes.
@Suite struct OpenAPIStrictnessTests {
    static var document: [String: Any] { try! JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json)) as! [String: Any] }
    static var paths: [String: [String: [String: Any]]] { document["paths"] as! [String: [String: [String: Any]]] }

    @Test func aPathsMethodsAreWhatA405Allows() {
        #expect(OpenAPIDocument.methods(at: "/api/v1/bookings") == ["POST"])
        #expect(OpenAPIDocument.methods(at: "/api/v1/bookings/BK-1234") == ["GET", "HEAD"])
        #expect(OpenAPIDocument.methods(at: "/api/v1/bookings/BK-1234/cancel") == ["POST"])
        #expect(OpenAPIDocument.methods(at: "/api/v1/bookings//cancel") == nil)
        #expect(OpenAPIDocument.methods(at: "/api/v1/nothing") == nil)
        #expect(OpenAPIDocument.methods(at: "/manage") == nil)
        let problem = Problem.methodNotAllowed(["GET", "HEAD"]).response
        #expect(problem.status.code == 405 && problem.headers[.allow] == "GET, HEAD")
    }

    @Test func theReferencePatternTakesEveryFormTheServerReads() throws {
        let pattern = try NSRegularExpression(pattern: OpenAPIDocument.referencePattern)
        func matches(_ text: String) -> Bool { pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil }
        for _ in 0..<50 {
            let reference = BookingReference.random().description
            #expect(matches(reference) && matches(reference.lowercased()) && matches(reference.replacingOccurrences(of: "-", with: "")), "\(reference)")
            #expect((try? BookingReference(parsing: reference.lowercased())) != nil)
        }
        for text in ["BK-1", "", "BK-7Q2M-X9TD-4KHN-ZP3C", "BK-7Q2M-X9TD-4KHN-ZP3CG-X"] { #expect(!matches(text), "\(text)") }
    }

    @Test func theIdempotencyKeyPatternIsTheServersRule() throws {
        #expect(APIRoutes.idempotencyKeyPattern == "^[!-~]{1,100}$")
        let pattern = try NSRegularExpression(pattern: APIRoutes.idempotencyKeyPattern)
        for byte in UInt8(0)...UInt8(127) {
            let text = String(repeating: Character(UnicodeScalar(byte)), count: 3)
            let allowed = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
            #expect(allowed == text.utf8.allSatisfy(APIRoutes.visibleASCII.contains), "byte \(byte)")
        }
    }

    @Test func everyErrorIsAProblemAndEveryBodyOperationCanBeTooLargeOrNotJSON() throws {
        for (path, methods) in Self.paths {
            for (method, operation) in methods {
                let responses = try #require(operation["responses"] as? [String: [String: Any]])
                for (status, response) in responses where Int(status)! >= 400 {
                    let content = try #require(response["content"] as? [String: Any])
                    #expect(content.keys.sorted() == ["application/problem+json"], "\(method) \(path) \(status)")
                }
                if operation["requestBody"] != nil {
                    for status in ["400", "413", "415", "422"] { #expect(responses[status] != nil, "\(method) \(path) lacks \(status)") }
                }
                if responses["429"] != nil {
                    #expect(((responses["429"]?["headers"] as? [String: Any])?["Retry-After"]) != nil, "\(method) \(path)")
                }
            }
        }
    }

    @Test func aNewBookingLinksToWhatCanBeDoneWithIt() throws {
        let created = try #require(Self.paths["/bookings"]?["post"]?["responses"] as? [String: [String: Any]])["201"]
        let links = try #require(created?["links"] as? [String: [String: Any]])
        let operations = Set(links.values.compactMap { $0["operationId"] as? String })
        #expect(operations == ["getBooking", "reschedule", "cancel", "getBookingCalendar"])
        let ids = Set(OpenAPIDocument.operations.map(\.id))
        #expect(operations.isSubset(of: ids))
    }

    /// A booking's `source` is the one object whose unknown keys the server refuses, and its
    /// referrer pattern takes what `LeadSource` takes.
    @Test func theSourceIsAsStrictAsTheServer() throws {
        let schemas = try #require((Self.document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        let source = try #require(schemas["Source"])
        #expect(source["additionalProperties"] as? Bool == false)
        let properties = try #require(source["properties"] as? [String: [String: Any]])
        #expect(Set(properties.keys) == ["utm_source", "utm_medium", "utm_campaign", "referrer"])
        #expect(properties.values.allSatisfy { $0["maxLength"] as? Int == LeadSource.maximumCharacters })
        let pattern = try NSRegularExpression(pattern: OpenAPIDocument.hostPattern)
        for host in ["example.com", "www.Example.org", "a-b.c9", "localhost", "-a.com", "a-.com", "a..com", "example.com/path", "https://x.com", "ex ample.com", ".com"] {
            let matches = pattern.firstMatch(in: host, range: NSRange(host.startIndex..., in: host)) != nil
            let taken = (try? LeadSource.validated(utmSource: nil, utmMedium: nil, utmCampaign: nil, referrer: host)) != nil
            #expect(matches == taken, "\(host)")
        }
        let book = try #require((schemas["BookRequest"]?["properties"] as? [String: Any])?["source"] as? [String: Any])
        #expect(book["$ref"] as? String == "#/components/schemas/Source")
    }
}
