import CivilTime

/// The report as one CSV file (RFC 4180: CRLF line ends, quoted fields where needed): one
/// section per table, each a row with the table's name, a header row and its rows, with an
/// empty line between sections. The first table, `figures`, is the headline: figure, value,
/// target and verdict. Ratios are 0...1 and times are seconds, so that a spreadsheet can compute
/// with them.
public enum ReportCSV {
    /// `byteOrderMark`: start with U+FEFF, which some spreadsheets need to read UTF-8 (UTM
    /// values may be in any script).
    public static func write(_ report: BookingReport, byteOrderMark: Bool = false) -> String {
        let sections = tables(report).map { table in
            ([[.text(table.name)], table.header.map { .text($0) }] + table.rows)
                .map { row in row.map(\.encoded).joined(separator: ",") + "\r\n" }.joined()
        }
        return (byteOrderMark ? "\u{FEFF}" : "") + sections.joined(separator: "\r\n")
    }

    struct Table {
        let name: String
        let header: [String]
        let rows: [[CSVField]]
    }

    static func tables(_ report: BookingReport) -> [Table] {
        let counts = report.counts, funnel = report.funnel
        return [
            Table(name: "report", header: ["field", "value"], rows: [
                [.text("from"), .text(report.from.description)], [.text("to"), .text(report.to.description)],
                [.text("time_zone"), .text(report.timeZone)], [.text("consultant_id"), .text(report.consultantId ?? "")],
                [.text("generated_at"), .text(ISO8601.instant(report.generatedAt))],
                [.text("unmarked_after_seconds"), .number(report.unmarkedAfterSeconds)],
            ]),
            Table(name: "figures", header: ["figure", "value", "unit", "numerator", "denominator", "target", "target_rule", "met"],
                  rows: report.figures.map { figure in
                      [.text(figure.key.rawValue), .number(figure.value), .text(figure.unit.rawValue),
                       figure.numerator.map(CSVField.integer) ?? .text(""), figure.denominator.map(CSVField.integer) ?? .text(""),
                       .number(figure.target?.bound), .text(figure.target?.rule.rawValue ?? ""), .text(figure.verdict.rawValue)]
                  }),
            Table(name: "counts", header: ["count", "value"], rows: [
                ("made", counts.made), ("rescheduled", counts.rescheduled), ("moves", counts.moves), ("cancelled", counts.cancelled),
                ("cancelled_by_client", counts.cancelledByClient), ("cancelled_by_admin", counts.cancelledByAdmin),
                ("cancelled_by_system", counts.cancelledBySystem), ("held", counts.held), ("attended", counts.attended),
                ("no_show", counts.noShow), ("unmarked", counts.unmarked), ("pending", counts.pending),
            ].map { [.text($0.0), .integer($0.1)] }),
            Table(name: "funnel", header: ["step", "visits", "share_of_viewed"], rows: [
                ("viewed", funnel.viewed), ("slots", funnel.slots), ("chose", funnel.chose), ("sent", funnel.sent), ("booked", funnel.booked),
            ].map { [.text($0.0), .integer($0.1), .number(Ratio.of($0.1, funnel.viewed))] }),
            Table(name: "durations", header: ["duration", "count", "average_seconds", "median_seconds"], rows: [
                [.text("booking_time"), .integer(report.bookingTime.count), .number(report.bookingTime.averageSeconds),
                 .number(report.bookingTime.medianSeconds)],
                [.text("lead_time"), .integer(report.leadTime.count), .number(report.leadTime.averageSeconds),
                 .number(report.leadTime.medianSeconds)],
            ]),
            Table(name: "weekdays", header: ["weekday", "name", "bookings", "consultations"], rows: report.weekdays.map {
                [.integer($0.weekday), .text($0.name), .integer($0.bookings), .integer($0.consultations)]
            }),
            Table(name: "hours", header: ["hour", "bookings", "consultations"], rows: report.hours.map {
                [.integer($0.hour), .integer($0.bookings), .integer($0.consultations)]
            }),
            Table(name: "consultants", header: ["consultant_id", "made", "cancelled", "held", "attended", "no_show", "unmarked"],
                  rows: report.consultants.map {
                      [.text($0.consultantId), .integer($0.made), .integer($0.cancelled), .integer($0.held), .integer($0.attended),
                       .integer($0.noShow), .integer($0.unmarked)]
                  }),
            Table(name: "sources", header: ["utm_source", "utm_medium", "utm_campaign", "referrer", "made", "cancelled", "attended"],
                  rows: report.sources.map {
                      [.text($0.utmSource ?? ""), .text($0.utmMedium ?? ""), .text($0.utmCampaign ?? ""), .text($0.referrer ?? ""),
                       .integer($0.made), .integer($0.cancelled), .integer($0.attended)]
                  }),
            Table(name: "days", header: ["date", "made", "attended", "no_show", "unmarked", "pending", "cancelled"], rows: report.days.map {
                [.text($0.date.description), .integer($0.made), .integer($0.attended), .integer($0.noShow), .integer($0.unmarked),
                 .integer($0.pending), .integer($0.cancelled)]
            }),
            Table(name: "rates_by_\(report.rateInterval.rawValue)", header: ["from", "to"] + RateName.allCases.map(\.rawValue),
                  rows: report.rates.map { point in
                      [.text(point.from.description), .text(point.to.description)] + RateName.allCases.map { .number(point[$0]) }
                  }),
        ]
    }
}
