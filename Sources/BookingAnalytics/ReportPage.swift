import CivilTime
import Foundation
import HTMLEscaping

/// The report as one self-contained HTML page (English): inline CSS, charts as inline SVG, no
/// script and nothing fetched, so it can be mailed, archived and printed as it is. Every value
/// from the facts is escaped.
public enum ReportPage {
    public static func html(_ report: BookingReport) -> String {
        let scope = report.consultantId.map { "Consultant " + escapeHTML($0) } ?? "All consultants"
        let period = "\(report.from) to \(report.to)"
        var page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Booking report \(period)</title>
        <style>\(ReportPageStyle.css)</style>
        </head>
        <body>
        <main>
        <header>
        <h1>Booking report</h1>
        <p class="meta">\(period) · \(escapeHTML(report.timeZone)) · \(scope) · made \(escapeHTML(madeAt(report)))</p>
        </header>

        """
        page += section("Against the targets", cards(report))
        page += section("Booking funnel", figure(FunnelChart.svg(report.funnel),
                                                 "Visits that began in the period, by the furthest step they reached. Completion: got a reference / chose a slot. Conversion: got a reference / all visits."))
        page += section("Bookings per day by outcome", figure(OutcomeBarsChart.svg(report.days),
                                                              "Bookings made each day, split by what became of them by the time of the report."))
        let smalls = RateLinesChart.charted.map { rate in
            figure(RateLinesChart.svg(rate, points: report.rates, target: report.targets.target(for: rate), interval: report.rateInterval), nil)
        }.joined()
        page += section("Rates by \(report.rateInterval.rawValue) against targets",
                        "<div class=\"smalls\">\(smalls)</div><p class=\"meta\">Dashed line: the target; shaded: where the target is met. A gap: no data that \(report.rateInterval.rawValue).</p>")
        page += "<div class=\"page-break\"></div>"
        page += section("Figures", ReportPageTables.figures(report))
        page += section("Counts and times", "<div class=\"tables\">" + ReportPageTables.counts(report) + ReportPageTables.funnelAndTimes(report) + "</div>")
        page += section("With whom and from where", ReportPageTables.consultants(report) + ReportPageTables.sources(report))
        page += section("When", "<div class=\"tables\">" + ReportPageTables.weekdays(report) + ReportPageTables.hours(report) + "</div>")
        page += section("By day", ReportPageTables.days(report) + ReportPageTables.rates(report))
        page += """
        <footer>Bookings made: booked in the period. Consultations held: slot starting in the period, not cancelled. Unmarked: ended more than \(FigureText.seconds(report.unmarkedAfterSeconds)) before the report and never marked attended or no-show. Days, weekdays and hours in \(escapeHTML(report.timeZone)).</footer>
        </main>
        </body>
        </html>

        """
        return page
    }

    /// The report's own zone when it is one Foundation knows, else UTC.
    static func madeAt(_ report: BookingReport) -> String {
        TimeZone(identifier: report.timeZone).map { ISO8601.local(report.generatedAt, in: $0) } ?? ISO8601.instant(report.generatedAt)
    }

    static func section(_ title: String, _ body: String) -> String {
        "<section>\n<h2>\(escapeHTML(title))</h2>\n\(body)\n</section>\n"
    }

    static func figure(_ svg: String, _ caption: String?) -> String {
        "<figure>\(svg)" + (caption.map { "<figcaption>\(escapeHTML($0))</figcaption>" } ?? "") + "</figure>"
    }

    static func badge(_ verdict: Verdict) -> String {
        let text = switch verdict {
        case .met: "✓ met"
        case .notMet: "✗ not met"
        case .noData: "– no data"
        case .noTarget: "no target"
        }
        return "<span class=\"badge \(verdict.rawValue)\">\(text)</span>"
    }

    static func cards(_ report: BookingReport) -> String {
        let cards = report.figures.filter { $0.target != nil }.map { figure in
            """
            <div class="card \(figure.verdict.rawValue)"><div class="name">\(escapeHTML(figure.key.label))</div>\
            <div class="value">\(escapeHTML(FigureText.value(figure.value, figure.unit)))</div>\
            <div class="target">target \(escapeHTML(FigureText.target(figure.target, figure.unit))) \(badge(figure.verdict))</div></div>
            """
        }
        return "<div class=\"cards\">\(cards.joined())</div>"
    }
}
