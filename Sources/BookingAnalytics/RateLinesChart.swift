import HTMLEscaping

/// One small chart per rate: its line over the days or weeks (a gap where a day has no
/// data), a dashed line at its target and the target's side shaded. Small charts rather than one
/// crowded one: each line is then told apart by its title, not by its colour.
enum RateLinesChart {
    static let charted: [RateName] = [.completion, .conversion, .cancellation, .rescheduling, .attendance, .noShow]

    static func svg(_ rate: RateName, points: [RatePoint], target: ReportTarget?, interval: RateInterval) -> String {
        let width = 300.0, height = 190.0, left = 38.0, right = 10.0, top = 30.0, bottom = 26.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let id = "rate-\(rate.rawValue)"
        let title = rate.figure.label
        func x(_ index: Int) -> Double {
            points.count < 2 ? left + plotWidth / 2 : left + Double(index) / Double(points.count - 1) * plotWidth
        }
        func y(_ ratio: Double) -> Double { top + plotHeight - min(1, max(0, ratio)) * plotHeight }

        let known = points.compactMap { $0[rate] }
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\" class=\"chart small\">"
        svg += "<title id=\"\(id)-title\">\(escapeHTML(title)) by \(interval.rawValue)</title>"
        let targetText = target.map { "target " + FigureText.target($0, .ratio) } ?? "no target"
        svg += "<desc id=\"\(id)-desc\">\(known.count) of \(points.count) \(interval.rawValue)s have data; \(targetText).</desc>"
        svg += "<text x=\"\(Int(left))\" y=\"16\" class=\"chart-title\">\(escapeHTML(title))</text>"
        if let target {
            let bandTop = target.rule == .above ? top : y(target.bound)
            let bandHeight = target.rule == .above ? y(target.bound) - top : top + plotHeight - y(target.bound)
            svg += "<rect x=\"\(Int(left))\" y=\"\(HTMLText.coordinate(bandTop))\" width=\"\(Int(plotWidth))\" height=\"\(HTMLText.coordinate(bandHeight))\" class=\"target-zone\"/>"
        }
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            svg += "<line x1=\"\(Int(left))\" x2=\"\(Int(left + plotWidth))\" y1=\"\(HTMLText.coordinate(y(tick)))\" y2=\"\(HTMLText.coordinate(y(tick)))\" class=\"grid\"/>"
            svg += "<text x=\"\(Int(left - 4))\" y=\"\(HTMLText.coordinate(y(tick) + 3.5))\" text-anchor=\"end\" class=\"tick\">\(Int(tick * 100))%</text>"
        }
        if let target {
            svg += "<line x1=\"\(Int(left))\" x2=\"\(Int(left + plotWidth))\" y1=\"\(HTMLText.coordinate(y(target.bound)))\" y2=\"\(HTMLText.coordinate(y(target.bound)))\" class=\"target-line\"/>"
            let labelY = target.rule == .above ? y(target.bound) + 12 : y(target.bound) - 4
            svg += "<text x=\"\(Int(left + plotWidth - 2))\" y=\"\(HTMLText.coordinate(labelY))\" text-anchor=\"end\" class=\"target-label\">\(escapeHTML(targetText))</text>"
        }
        for segment in segments(points.map { $0[rate] }) {
            let path = segment.map { "\(HTMLText.coordinate(x($0.index))),\(HTMLText.coordinate(y($0.value)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" class=\"rate-line\"/>"
        }
        for (index, point) in points.enumerated() {
            guard let value = point[rate] else { continue }
            let span = point.from == point.to ? "\(point.from)" : "\(point.from) to \(point.to)"
            svg += "<circle cx=\"\(HTMLText.coordinate(x(index)))\" cy=\"\(HTMLText.coordinate(y(value)))\" r=\"2.6\" class=\"rate-dot\"><title>\(span): \(FigureText.percent(value))</title></circle>"
        }
        if let first = points.first, let last = points.last {
            svg += "<text x=\"\(Int(left))\" y=\"\(Int(height - 8))\" class=\"tick\">\(OutcomeBarsChart.shortDate(first.from))</text>"
            svg += "<text x=\"\(Int(left + plotWidth))\" y=\"\(Int(height - 8))\" text-anchor=\"end\" class=\"tick\">\(OutcomeBarsChart.shortDate(last.from))</text>"
        }
        if known.isEmpty {
            svg += "<text x=\"\(HTMLText.coordinate(left + plotWidth / 2))\" y=\"\(HTMLText.coordinate(top + plotHeight / 2))\" text-anchor=\"middle\" class=\"no-data\">no data</text>"
        }
        return svg + "</svg>"
    }

    /// Runs of consecutive points with data: a line never bridges a day without any.
    static func segments(_ values: [Double?]) -> [[(index: Int, value: Double)]] {
        var segments: [[(index: Int, value: Double)]] = [], current: [(index: Int, value: Double)] = []
        for (index, value) in values.enumerated() {
            if let value {
                current.append((index, value))
            } else if !current.isEmpty {
                segments.append(current)
                current = []
            }
        }
        if !current.isEmpty { segments.append(current) }
        return segments
    }
}
