import HTMLEscaping

/// The booking page's funnel as horizontal bars, each labelled with its count, its share of
/// the visits and of the step before: readable without colour.
enum FunnelChart {
    static func svg(_ funnel: FunnelCounts) -> String {
        let steps = funnel.steps
        let width = 900.0, rowHeight = 44.0, labelWidth = 150.0, barSpace = 400.0
        let height = rowHeight * Double(steps.count) + 10
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-labelledby=\"funnel-title funnel-desc\" class=\"chart\">"
        svg += "<title id=\"funnel-title\">Booking funnel</title>"
        svg += "<desc id=\"funnel-desc\">Visits of the booking page reaching each step: "
            + steps.map { "\($0.name) \($0.count)" }.joined(separator: ", ") + ".</desc>"
        for (index, step) in steps.enumerated() {
            let y = 5 + Double(index) * rowHeight
            let share = Ratio.of(step.count, funnel.viewed) ?? 0
            let barWidth = max(step.count > 0 ? 2 : 0, share * barSpace)
            svg += "<text x=\"\(HTMLText.coordinate(labelWidth - 10))\" y=\"\(HTMLText.coordinate(y + 25))\" text-anchor=\"end\" class=\"label\">\(escapeHTML(step.name))</text>"
            svg += "<rect x=\"\(Int(labelWidth))\" y=\"\(HTMLText.coordinate(y + 6))\" width=\"\(Int(barSpace))\" height=\"30\" class=\"track\"/>"
            svg += "<rect x=\"\(Int(labelWidth))\" y=\"\(HTMLText.coordinate(y + 6))\" width=\"\(HTMLText.coordinate(barWidth))\" height=\"30\" class=\"funnel-bar\"><title>\(escapeHTML(step.name)): \(step.count)</title></rect>"
            var note = "\(step.count)"
            if funnel.viewed > 0 { note += " · " + FigureText.percent(share) + " of visits" }
            if index > 0, let ofPrevious = Ratio.of(step.count, steps[index - 1].count) {
                note += " · " + FigureText.percent(ofPrevious) + " of previous step"
            }
            svg += "<text x=\"\(HTMLText.coordinate(labelWidth + barSpace + 12))\" y=\"\(HTMLText.coordinate(y + 25))\" class=\"value\">\(escapeHTML(note))</text>"
        }
        return svg + "</svg>"
    }
}
