import BookingProtocol
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /feeds/<token>.ics`: a private calendar feed, fetched by calendar applications and
/// services (Google's from abroad), never by a browser session: no cookie, no form, no page.
extension BookingWebsite {
    /// Longer than any token bookingd signs; anything longer is not asked about.
    static let longestFeedToken = 200

    func calendarFeed(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        // Lookups by secret are limited per address, as references are: tokens cannot be tried quickly.
        if case .limited(let seconds) = limitAddress(clientAddress(request, context)) {
            var response = text(.tooManyRequests, "too many requests; retry in \(seconds) s\n")
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        guard let file = context.parameters.get("file"), file.hasSuffix(WebConfiguration.feedSuffix) else { return feedNotFound }
        let token = String(file.dropLast(WebConfiguration.feedSuffix.count))
        guard !token.isEmpty, token.count <= Self.longestFeedToken else { return feedNotFound }
        let detail = configuration.feedDetail
        let feed: FeedBookings
        do {
            feed = try await services.feed(token: token, detail: detail)
        } catch let error as ProtocolError where error.code == .notFound || error.code == .validationFailed {
            return feedNotFound
        }
        return Response(status: .ok, headers: [.contentType: "text/calendar; charset=utf-8", .cacheControl: "private, max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(string: CalendarFeed.render(feed, detail: detail))))
    }

    /// 404 whatever was wrong (a forged token, one rotated away, a revoked feed): the answer never
    /// says that a feed exists.
    private var feedNotFound: Response { text(.notFound, "no such feed\n") }
}
