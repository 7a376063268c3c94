import CivilTime

/// Bookings made per day, each bar split by what became of them (stacked, patterned).
enum OutcomeBarsChart {
    static func svg(_ days: [DayOutcomes]) -> String {
        let width = 900.0, height = 300.0, left = 44.0, right = 10.0, top = 36.0, bottom = 34.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let axis = CountAxis(maximum: days.map(\.made).max() ?? 0)
        let slot = plotWidth / Double(max(days.count, 1))
        let barWidth = max(1, slot * 0.72)
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-labelledby=\"days-title days-desc\" class=\"chart\">"
        svg += "<title id=\"days-title\">Bookings per day by outcome</title>"
        let total = days.reduce(0) { $0 + $1.made }
        svg += "<desc id=\"days-desc\">\(total) bookings made over \(days.count) days, each day's bar split into "
            + OutcomePalette.allCases.map { $0.label.lowercased() }.joined(separator: ", ") + ". The table of days below gives the numbers.</desc>"
        svg += "<defs>" + OutcomePalette.allCases.map(\.patternDefinition).joined() + "</defs>"
        // The legend says each pattern's name, so the chart reads in greyscale.
        var legendX = left
        for outcome in OutcomePalette.allCases {
            svg += "<rect x=\"\(HTMLText.coordinate(legendX))\" y=\"6\" width=\"16\" height=\"16\" fill=\"url(#fill-\(outcome.id))\" stroke=\"#333\" stroke-width=\"0.5\"/>"
            svg += "<text x=\"\(HTMLText.coordinate(legendX + 22))\" y=\"19\" class=\"label\">\(outcome.label)</text>"
            legendX += 130
        }
        for tick in axis.ticks {
            let y = top + plotHeight - Double(tick) / Double(axis.top) * plotHeight
            svg += "<line x1=\"\(Int(left))\" x2=\"\(HTMLText.coordinate(width - right))\" y1=\"\(HTMLText.coordinate(y))\" y2=\"\(HTMLText.coordinate(y))\" class=\"grid\"/>"
            svg += "<text x=\"\(HTMLText.coordinate(left - 6))\" y=\"\(HTMLText.coordinate(y + 4))\" text-anchor=\"end\" class=\"tick\">\(tick)</text>"
        }
        let labelEvery = max(1, Int((Double(days.count) / 15).rounded(.up)))
        for (index, day) in days.enumerated() {
            let x = left + Double(index) * slot + (slot - barWidth) / 2
            var y = top + plotHeight
            var parts: [String] = []
            for outcome in OutcomePalette.allCases {
                let count = outcome.count(day)
                guard count > 0 else { continue }
                let barHeight = Double(count) / Double(axis.top) * plotHeight
                y -= barHeight
                parts.append("\(outcome.label.lowercased()) \(count)")
                svg += "<rect x=\"\(HTMLText.coordinate(x))\" y=\"\(HTMLText.coordinate(y))\" width=\"\(HTMLText.coordinate(barWidth))\" height=\"\(HTMLText.coordinate(barHeight))\" fill=\"url(#fill-\(outcome.id))\" stroke=\"#fff\" stroke-width=\"0.5\"><title>\(day.date): \(outcome.label) \(count)</title></rect>"
            }
            if index % labelEvery == 0 {
                svg += "<text x=\"\(HTMLText.coordinate(x + barWidth / 2))\" y=\"\(HTMLText.coordinate(height - bottom + 16))\" text-anchor=\"middle\" class=\"tick\">\(shortDate(day.date))</text>"
            }
        }
        svg += "<line x1=\"\(Int(left))\" x2=\"\(HTMLText.coordinate(width - right))\" y1=\"\(HTMLText.coordinate(top + plotHeight))\" y2=\"\(HTMLText.coordinate(top + plotHeight))\" class=\"axis\"/>"
        return svg + "</svg>"
    }

    /// `12-05`: the year is in the report's heading.
    static func shortDate(_ date: LocalDate) -> String {
        String(date.description.dropFirst(5))
    }
}

/// A count axis from 0 with four or five round steps.
struct CountAxis {
    let step: Int
    let top: Int

    init(maximum: Int) {
        let rough = max(1, Int((Double(maximum) / 4).rounded(.up)))
        let magnitude = Self.pow10(of: rough)
        let step = [1, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? rough
        self.step = step
        top = max(step, Int((Double(maximum) / Double(step)).rounded(.up)) * step)
    }

    var ticks: [Int] { Array(stride(from: 0, through: top, by: step)) }

    private static func pow10(of value: Int) -> Int {
        var magnitude = 1
        while magnitude * 10 <= value { magnitude *= 10 }
        return magnitude
    }
}
