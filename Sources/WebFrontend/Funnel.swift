import BookingDomain
import BookingProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// The booking funnel as the page sees it: which visit a page view belongs to, where a new
/// visit came from, and the steps it reaches (`FunnelReports` tells bookingd). A step is counted
/// only once the page that shows it is answered `200`, so a request refused by the rate limits
/// never begins a visit, and a form refused by the abuse defences is never `sent`.
extension BookingWebsite {
    /// The visit of a page of the funnel, and its token for the page's links and forms.
    struct VisitOnPage: Sendable {
        var visit: Visit
        var token: String
        /// This view began the visit: `viewed` is counted with its first step.
        var isNew: Bool
    }

    /// The visit a funnel page's link carried, or a new one when it carried none that holds (a
    /// forged or expired token starts a new visit, its own id and source forgotten).
    func visitOnPage(_ request: Request) -> VisitOnPage {
        let now = clock.now()
        if let carried = request.uri.queryParameters.get("visit").map({ String($0) }), let visit = visitTokens.verify(carried, now: now) {
            return VisitOnPage(visit: visit, token: carried, isNew: false)
        }
        let visit = Visit(id: VisitToken.newID(), issuedAt: now, source: leadSource(request))
        return VisitOnPage(visit: visit, token: visitTokens.issue(visit), isNew: true)
    }

    /// The visit a posted form carried; nil when it carried none that holds: a post never
    /// begins a visit (no page of the funnel was shown for it).
    func postedVisit(_ fields: [String: String]) -> VisitOnPage? {
        guard let carried = fields["visit"], let visit = visitTokens.verify(carried, now: clock.now()) else { return nil }
        return VisitOnPage(visit: visit, token: carried, isNew: false)
    }

    /// Counts the steps a page showed, after `viewed` when the view began the visit.
    func count(_ steps: [VisitStep], of page: VisitOnPage) {
        funnel.reached((page.isNew ? [.viewed] : []) + steps, visit: page.visit)
    }

    /// Where a new visit came from: the `utm_*` parameters of the address it began with, and
    /// the host of the page that linked to it when that is another site. The visitor does not
    /// choose these, so a value bookingd would refuse is dropped (`LeadSource.keepingValid`) on
    /// its own, silently, rather than shown to them as an error.
    func leadSource(_ request: Request) -> LeadSourceBody? {
        let query = request.uri.queryParameters
        func raw(_ name: String) -> String? { query.get(name).map { String($0) } }
        guard let source = LeadSource.keepingValid(utmSource: raw("utm_source"), utmMedium: raw("utm_medium"), utmCampaign: raw("utm_campaign"),
                                                   referrer: referringSite(request)) else { return nil }
        return LeadSourceBody(utmSource: source.utmSource, utmMedium: source.utmMedium, utmCampaign: source.utmCampaign, referrer: source.referrer)
    }

    /// The Referer's host alone (its path and query may carry a search or a person's id), when
    /// it is another site than this one; links within the page send no Referer anyway
    /// (`Referrer-Policy: no-referrer`).
    func referringSite(_ request: Request) -> String? {
        guard let header = request.headers[.referer], let url = URL(string: header), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host?.lowercased() else { return nil }
        let own = [URL(string: configuration.publicURL)?.host, request.head.authority.map(Self.host(ofAuthority:))].compactMap { $0?.lowercased() }
        guard !own.contains(host) else { return nil }
        return host
    }

    /// `example.com:8080` → `example.com`, `[::1]:8080` → `::1`.
    static func host(ofAuthority authority: String) -> String {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<end])
        }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "")
    }
}
