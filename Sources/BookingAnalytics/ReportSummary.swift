/// bookctl's default output: the headline figures as an aligned table for a terminal.
public enum ReportSummary {
    public static func text(_ report: BookingReport) -> String {
        let scope = report.consultantId.map { "consultant \($0)" } ?? "all consultants"
        var lines = ["Booking report \(report.from) to \(report.to) (\(report.timeZone), \(scope))", ""]
        let rows = [["Figure", "Value", "Target", "Met"]] + report.figures.map { figure in
            [figure.key.label, FigureText.value(figure.value, figure.unit), FigureText.target(figure.target, figure.unit),
             FigureText.verdict(figure.verdict)]
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                // Values right-aligned so that their digits line up.
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 1 ? pad + cell : cell + pad
            }
            lines.append(cells.joined(separator: "  ").trimmingTrailingSpaces())
        }
        let counts = report.counts
        lines += ["",
                  "Bookings made \(counts.made): rescheduled \(counts.rescheduled) (\(counts.moves) moves), cancelled \(counts.cancelled) "
                      + "(client \(counts.cancelledByClient), admin \(counts.cancelledByAdmin), system \(counts.cancelledBySystem))",
                  "Consultations held \(counts.held): attended \(counts.attended), no-show \(counts.noShow), unmarked \(counts.unmarked), "
                      + "pending \(counts.pending)"]
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
