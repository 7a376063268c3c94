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
    /// choose these, so a value bookingd would refuse (`LeadSource.validated`) is dropped on
    /// its own, silently, rather than shown to them as an error.
    func leadSource(_ request: Request) -> LeadSourceBody? {
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? {
            guard let raw = query.get(name).map({ String($0) }) else { return nil }
            return switch name {
            case "utm_source": (try? LeadSource.validated(utmSource: raw, utmMedium: nil, utmCampaign: nil, referrer: nil))??.utmSource
            case "utm_medium": (try? LeadSource.validated(utmSource: nil, utmMedium: raw, utmCampaign: nil, referrer: nil))??.utmMedium
            default: (try? LeadSource.validated(utmSource: nil, utmMedium: nil, utmCampaign: raw, referrer: nil))??.utmCampaign
            }
        }
        let source = LeadSourceBody(utmSource: value("utm_source"), utmMedium: value("utm_medium"), utmCampaign: value("utm_campaign"),
                                    referrer: referringSite(request))
        return source.isEmpty ? nil : source
    }

    /// The Referer's host alone (its path and query may carry a search or a person's id), when
    /// it is another site than this one; links within the page send no Referer anyway
    /// (`Referrer-Policy: no-referrer`).
    func referringSite(_ request: Request) -> String? {
        guard let header = request.headers[.referer], let url = URL(string: header), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host?.lowercased() else { return nil }
        let own = [URL(string: configuration.publicURL)?.host, request.head.authority.map(Self.host(ofAuthority:))].compactMap { $0?.lowercased() }
        guard !own.contains(host) else { return nil }
        return (try? LeadSource.validated(utmSource: nil, utmMedium: nil, utmCampaign: nil, referrer: host))??.referrer
    }

    /// `example.com:8080` → `example.com`, `[::1]:8080` → `::1`.
    static func host(ofAuthority authority: String) -> String {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<end])
        }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "")
    }
}
