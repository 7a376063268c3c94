import HTMLEscaping

/// The page's tables: every figure the charts draw, as numbers, with real table headers.
enum ReportPageTables {
    struct Column {
        let title: String
        let numeric: Bool

        static func text(_ title: String) -> Column { Column(title: title, numeric: false) }
        static func number(_ title: String) -> Column { Column(title: title, numeric: true) }
    }

    /// Cells are already escaped HTML: a cell may hold a badge.
    static func table(_ caption: String, _ columns: [Column], _ rows: [[String]]) -> String {
        var html = "<table><caption>\(escapeHTML(caption))</caption><thead><tr>"
        html += columns.map { "<th scope=\"col\"\($0.numeric ? " class=\"num\"" : "")>\(escapeHTML($0.title))</th>" }.joined()
        html += "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>" + zip(columns, row).enumerated().map { index, pair in
                let (column, cell) = pair
                if index == 0 { return "<th scope=\"row\" class=\"wrap\">\(cell)</th>" }
                return column.numeric ? "<td class=\"num\">\(cell)</td>" : "<td class=\"wrap\">\(cell)</td>"
            }.joined() + "</tr>"
        }
        if rows.isEmpty {
            html += "<tr><td colspan=\"\(columns.count)\">none in this period</td></tr>"
        }
        return html + "</tbody></table>"
    }

    static func text(_ value: String) -> String { escapeHTML(value) }

    static func figures(_ report: BookingReport) -> String {
        table("Headline figures", [.text("Figure"), .number("Value"), .text("Target"), .number("Based on"), .text("Status")],
              report.figures.map { figure in
                  let basis: String
                  if let numerator = figure.numerator, let denominator = figure.denominator {
                      basis = "\(numerator) / \(denominator)"
                  } else {
                      basis = figure.denominator.map { "\($0) bookings" } ?? ""
                  }
                  return [text(figure.key.label), text(FigureText.value(figure.value, figure.unit)),
                          text(FigureText.target(figure.target, figure.unit)), text(basis), ReportPage.badge(figure.verdict)]
              })
    }

    static func counts(_ report: BookingReport) -> String {
        let counts = report.counts
        let rows: [(String, Int)] = [
            ("Bookings made", counts.made), ("Rescheduled (bookings)", counts.rescheduled), ("Moves", counts.moves),
            ("Cancelled", counts.cancelled), ("… by the client", counts.cancelledByClient), ("… by an admin", counts.cancelledByAdmin),
            ("… by the system (holds released)", counts.cancelledBySystem), ("Consultations held", counts.held),
            ("Attended", counts.attended), ("No-show", counts.noShow), ("Unmarked", counts.unmarked), ("Pending", counts.pending),
        ]
        return table("Appointments", [.text("Count"), .number("Number")], rows.map { [text($0.0), "\($0.1)"] })
    }

    static func funnelAndTimes(_ report: BookingReport) -> String {
        let funnel = report.funnel
        let steps = table("Funnel", [.text("Step"), .number("Visits"), .number("Of visits")], funnel.steps.map { step in
            [text(step.name), "\(step.count)", text(Ratio.of(step.count, funnel.viewed).map(FigureText.percent) ?? "no data")]
        })
        func row(_ name: String, _ stats: DurationStats) -> [String] {
            [text(name), "\(stats.count)", text(FigureText.value(stats.averageSeconds, .seconds)), text(FigureText.value(stats.medianSeconds, .seconds))]
        }
        let times = table("Times", [.text("Time"), .number("Measured"), .number("Average"), .number("Median")], [
            row("Booking (page view to reference)", report.bookingTime), row("Lead (booking to appointment)", report.leadTime),
        ])
        return "<div>" + steps + times + "</div>"
    }

    static func consultants(_ report: BookingReport) -> String {
        table("Load per consultant", [.text("Consultant"), .number("Made"), .number("Cancelled"), .number("Held"), .number("Attended"),
                                      .number("No-show"), .number("Unmarked")],
              report.consultants.map { load in
                  [text(load.consultantId), "\(load.made)", "\(load.cancelled)", "\(load.held)", "\(load.attended)", "\(load.noShow)", "\(load.unmarked)"]
              })
    }

    static func sources(_ report: BookingReport) -> String {
        table("Sources of the bookings made", [.text("utm_source"), .text("utm_medium"), .text("utm_campaign"), .text("Referrer"),
                                               .number("Made"), .number("Cancelled"), .number("Attended")],
              report.sources.map { source in
                  [text(source.utmSource ?? (source.referrer == nil && source.utmMedium == nil && source.utmCampaign == nil ? "(direct)" : "–")),
                   text(source.utmMedium ?? "–"), text(source.utmCampaign ?? "–"), text(source.referrer ?? "–"),
                   "\(source.made)", "\(source.cancelled)", "\(source.attended)"]
              })
    }

    static func weekdays(_ report: BookingReport) -> String {
        table("By weekday", [.text("Weekday"), .number("Bookings made"), .number("Consultations")],
              report.weekdays.map { [text($0.name), "\($0.bookings)", "\($0.consultations)"] })
    }

    static func hours(_ report: BookingReport) -> String {
        let busy = report.hours.filter { $0.bookings > 0 || $0.consultations > 0 }
        return table("By hour (hours with none left out)", [.text("Hour"), .number("Bookings made"), .number("Consultations")],
                     busy.map { [text(hourRange($0.hour)), "\($0.bookings)", "\($0.consultations)"] })
    }

    static func hourRange(_ hour: Int) -> String {
        func padded(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(padded(hour)):00–\(padded((hour + 1) % 24)):00"
    }

    static func days(_ report: BookingReport) -> String {
        table("Bookings made per day by outcome", [.text("Day"), .number("Made"), .number("Attended"), .number("No-show"), .number("Unmarked"),
                                                   .number("Pending"), .number("Cancelled")],
              report.days.map { day in
                  [text(day.date.description), "\(day.made)", "\(day.attended)", "\(day.noShow)", "\(day.unmarked)", "\(day.pending)", "\(day.cancelled)"]
              })
    }

    static func rates(_ report: BookingReport) -> String {
        table("Rates by \(report.rateInterval.rawValue)", [.text(report.rateInterval == .day ? "Day" : "Week")] + RateName.allCases.map { .number($0.figure.label) },
              report.rates.map { point in
                  [text(point.from == point.to ? point.from.description : "\(point.from) – \(point.to)")]
                      + RateName.allCases.map { text(point[$0].map(FigureText.percent) ?? "–") }
              })
    }
}
