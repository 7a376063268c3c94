@testable import BookingAnalytics
import BookingProtocol
import Foundation
import HTMLEscaping
import Testing

/// Campaign values as a hostile visitor's link could give them.
enum HostileSource {
    static let bookings = [
        ReportFixtures.booking("X1", booked: "2026-12-02T10:00:00", slot: "2026-12-04T10:00:00",
                               source: .init(utmSource: "<script>alert(1)</script>", utmMedium: "=HYPERLINK(\"http://evil.example\",\"x\")",
                                             utmCampaign: "\"><img src=x onerror=alert(1)>", referrer: "evil.example")),
        ReportFixtures.booking("X2", consultant: "-cmd", booked: "2026-12-02T11:00:00", slot: "2026-12-04T11:00:00",
                               source: .init(utmSource: "+1+2", utmMedium: "@SUM(A1)", utmCampaign: "a,b \"quoted\"\nnext line")),
        ReportFixtures.booking("X3", booked: "2026-12-02T12:00:00", slot: "2026-12-04T12:00:00",
                               source: .init(utmSource: "-2+3", utmMedium: "\tTAB", utmCampaign: "spring sale")),
    ]

    static var report: BookingReport {
        BookingReport(facts: ReportFixtures.facts(bookings: ReportFixtures.week + bookings, visits: ReportFixtures.visits))
    }
}

/// Reads RFC 4180 text back into records, to check the writer against the standard rather than
/// against its own code.
func csvRecords(_ text: String) -> [[String]] {
    var records: [[String]] = [], record: [String] = [], field = "", quoted = false
    var characters = Array(text.unicodeScalars)[...]
    while let scalar = characters.popFirst() {
        if quoted {
            if scalar == "\"" {
                if characters.first == "\"" { field.unicodeScalars.append("\""); characters.removeFirst() } else { quoted = false }
            } else {
                field.unicodeScalars.append(scalar)
            }
        } else if scalar == "\"" {
            quoted = true
        } else if scalar == "," {
            record.append(field); field = ""
        } else if scalar == "\r", characters.first == "\n" {
            characters.removeFirst()
            record.append(field); records.append(record); record = []; field = ""
        } else {
            field.unicodeScalars.append(scalar)
        }
    }
    return records
}

@Suite struct ReportCSVTests {
    @Test func quotesWhatNeedsQuotingAndDoublesQuotes() {
        #expect(CSVField.text("plain").encoded == "plain")
        #expect(CSVField.text("a,b").encoded == "\"a,b\"")
        #expect(CSVField.text("say \"hi\"").encoded == "\"say \"\"hi\"\"\"")
        #expect(CSVField.text("two\nlines").encoded == "\"two\nlines\"")
        #expect(CSVField.text("").encoded == "")
        #expect(CSVField.number(nil).encoded == "")
        #expect(CSVField.number(0.375).encoded == "0.375")
        #expect(CSVField.number(3.0 / 7).encoded == "0.4286")
        #expect(CSVField.integer(-3).encoded == "-3")
    }

    @Test(arguments: ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
    func textThatASpreadsheetWouldRunStaysText(_ value: String) {
        let encoded = CSVField.text(value).encoded
        let unquoted = encoded.hasPrefix("\"") ? String(encoded.dropFirst()) : encoded
        #expect(unquoted.hasPrefix("'"), "\(encoded)")
    }

    @Test func everyLineEndsInCRLFAndEveryTableHasItsSection() {
        let csv = ReportCSV.write(ReportFixtures.weekReport)
        #expect(csv.hasSuffix("\r\n"))
        #expect(!csv.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        let names = csvRecords(csv).split(whereSeparator: { $0 == [""] }).map { $0.first?.first ?? "" }
        #expect(names == ["report", "figures", "counts", "funnel", "durations", "weekdays", "hours", "consultants", "sources", "days", "rates_by_day"])
    }

    @Test func theFiguresTableHoldsValueTargetAndVerdict() {
        let records = csvRecords(ReportCSV.write(ReportFixtures.weekReport))
        let header = records.firstIndex(of: ["figure", "value", "unit", "numerator", "denominator", "target", "target_rule", "met"])
        #expect(header != nil)
        #expect(records.contains(["cancellation_rate", "0.375", "ratio", "3", "8", "0.1", "below", "not_met"]))
        #expect(records.contains(["average_booking_time", "55", "seconds", "", "3", "60", "below", "met"]))
        #expect(records.contains(["no_show_rate", "0.25", "ratio", "1", "4", "", "", "no_target"]))
        let empty = csvRecords(ReportCSV.write(BookingReport(facts: ReportFixtures.facts())))
        #expect(empty.contains(["completion_rate", "", "ratio", "0", "0", "0.9", "above", "no_data"]))
    }

    @Test func hostileSourcesComeBackAsTextAndNeverAsFormulas() throws {
        let records = csvRecords(ReportCSV.write(HostileSource.report))
        let start = try #require(records.firstIndex(of: ["sources"]))
        let rows = records[(start + 2)...].prefix { $0 != [""] }
        #expect(rows.allSatisfy { $0.count == 7 })
        #expect(rows.contains(["'+1+2", "'@SUM(A1)", "a,b \"quoted\"\nnext line", "", "1", "0", "0"]))
        #expect(rows.contains(["'-2+3", "'\tTAB", "spring sale", "", "1", "0", "0"]))
        #expect(rows.contains(["<script>alert(1)</script>", "'=HYPERLINK(\"http://evil.example\",\"x\")", "\"><img src=x onerror=alert(1)>",
                               "evil.example", "1", "0", "0"]))
        for row in records {
            for field in row {
                #expect(!(field.first.map { "=+-@".contains($0) } ?? false) || Double(field) != nil, "\(field)")
            }
        }
        #expect(records.contains { $0.first == "'-cmd" })
    }

    @Test func aByteOrderMarkOnlyWhenAsked() {
        #expect(!ReportCSV.write(ReportFixtures.weekReport).hasPrefix("\u{FEFF}"))
        #expect(ReportCSV.write(ReportFixtures.weekReport, byteOrderMark: true).hasPrefix("\u{FEFF}report\r\n"))
    }
}

@Suite struct ReportJSONTests {
    @Test func roundTripsThroughTheWireJSON() throws {
        let report = HostileSource.report
        let bytes = try ReportJSON.write(report)
        #expect(try ReportJSON.read(bytes) == report)
        #expect(try WireJSON.decode(BookingReport.self, from: bytes) == report)
    }

    @Test func keysAreSnakeCaseAndNoDataIsNoValue() throws {
        let text = String(decoding: try ReportJSON.write(BookingReport(facts: ReportFixtures.facts())), as: UTF8.self)
        #expect(text.contains("\"cancelled_by_client\":0"))
        #expect(text.contains("\"generated_at\":\"2026-12-08T09:00:00.000Z\""))
        #expect(text.contains("\"time_zone\":\"Europe/Moscow\""))
        #expect(text.contains("\"verdict\":\"no_data\""))
        #expect(!text.contains("NaN"))
        #expect(!text.contains("\"value\""))
        #expect(!text.contains("cancelledByClient"))
        #expect(text.hasPrefix("{\"booking_time\":{\"count\":0},\"consultants\":[],\"counts\":{"))
        #expect(text.contains("{\"attended\":0,\"cancelled\":0,\"date\":\"2026-12-01\",\"made\":0,"))
    }
}

@Suite struct ReportPageTests {
    @Test func escapesEveryValueFromTheFacts() {
        let html = ReportPage.html(HostileSource.report)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)"))
        #expect(escapeHTML("a&b<c>\"d'") == "a&amp;b&lt;c&gt;&quot;d&#39;")
    }

    @Test func isSelfContained() {
        let html = ReportPage.html(ReportFixtures.weekReport)
        #expect(!html.contains("http://"))
        #expect(!html.contains("https://"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("src="))
        #expect(!html.contains("@import"))
        #expect(!html.contains("<iframe"))
        // Only the page's own patterns are referenced.
        #expect(html.components(separatedBy: "url(").dropFirst().allSatisfy { $0.hasPrefix("#") })
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<style>"))
    }

    @Test func chartsAreAccessibleAndFiguresHaveTableHeaders() {
        let html = ReportPage.html(ReportFixtures.weekReport)
        let charts = html.components(separatedBy: "<svg").count - 1
        #expect(charts == 8)  // funnel, days, six rates
        #expect(html.components(separatedBy: "<title id=").count - 1 == charts)
        #expect(html.components(separatedBy: "<desc id=").count - 1 == charts)
        #expect(html.contains("role=\"img\""))
        #expect(html.contains("<th scope=\"col\">Figure</th>"))
        #expect(html.contains("@media print"))
        #expect(html.contains("size: A4"))
        #expect(html.contains("✗ not met"))
        #expect(html.contains("✓ met"))
        #expect(html.contains("<pattern id=\"fill-no-show\""))
    }

    @Test func noDataIsSaidNotDrawnAsZero() {
        let html = ReportPage.html(BookingReport(facts: ReportFixtures.facts()))
        #expect(html.contains("– no data"))
        #expect(!html.contains("NaN"))
        #expect(!html.contains("0%</div>"))
        #expect(html.contains(">no data</text>"))
    }
}

@Suite struct ReportGaugesTests {
    func value(_ gauges: [ReportGauge], _ name: String, _ label: String = "", _ labelValue: String = "") -> Double? {
        gauges.first { $0.name == name && (label.isEmpty ? $0.labels.isEmpty : $0.labels.first! == (label, labelValue)) }?.value
    }

    @Test func ratesTimesAndTargets() {
        let gauges = ReportGauges.values(ReportFixtures.weekReport)
        #expect(value(gauges, "booking_rate", "rate", "cancellation") == 0.375)
        #expect(value(gauges, "booking_rate", "rate", "rescheduling") == 0.25)
        #expect(value(gauges, "booking_rate", "rate", "attendance") == 0.75)
        #expect(value(gauges, "booking_rate", "rate", "no_show") == 0.25)
        #expect(value(gauges, "booking_rate", "rate", "completion") == 0.6)
        #expect(value(gauges, "booking_rate", "rate", "conversion") == 3.0 / 7)
        #expect(value(gauges, "booking_rate_target", "rate", "completion") == 0.9)
        #expect(value(gauges, "booking_rate_target", "rate", "cancellation") == 0.1)
        #expect(value(gauges, "booking_rate_target", "rate", "no_show") == nil)
        #expect(value(gauges, "booking_target_met", "figure", "conversion_rate") == 1)
        #expect(value(gauges, "booking_target_met", "figure", "completion_rate") == 0)
        #expect(value(gauges, "booking_target_met", "figure", "no_show_rate") == nil)
        #expect(value(gauges, "booking_time_seconds", "stat", "average") == 55)
        #expect(value(gauges, "booking_time_seconds", "stat", "median") == 45)
        #expect(value(gauges, "booking_time_target_seconds") == 60)
        #expect(value(gauges, "booking_lead_time_seconds", "stat", "median") == 174_600)
        #expect(value(gauges, "booking_appointments", "count", "unmarked") == 1)
        #expect(value(gauges, "booking_funnel_visits", "step", "chose") == 5)
    }

    @Test func noDataLeavesTheSeriesOut() {
        let gauges = ReportGauges.values(BookingReport(facts: ReportFixtures.facts()))
        #expect(!gauges.contains { $0.name == "booking_rate" || $0.name == "booking_time_seconds" || $0.name == "booking_target_met" })
        #expect(value(gauges, "booking_rate_target", "rate", "attendance") == 0.8)
        #expect(value(gauges, "booking_appointments", "count", "made") == 0)
    }

    @Test func everyNameIsDescribedAndTheTextFormatIsPrometheus() {
        let gauges = ReportGauges.values(ReportFixtures.weekReport)
        #expect(Set(gauges.map(\.name)) == Set(ReportGauges.help.keys))
        let text = ReportGauges.exposition(ReportFixtures.weekReport)
        #expect(text.contains("# TYPE booking_rate gauge\n"))
        #expect(text.contains("booking_rate{rate=\"cancellation\"} 0.375\n"))
        #expect(text.contains("booking_time_target_seconds 60\n"))
        #expect(text.components(separatedBy: "# TYPE booking_rate gauge").count == 2)
    }
}

@Suite struct ReportSummaryTests {
    @Test func anAlignedTableOfFigureValueTargetAndVerdict() {
        let lines = ReportSummary.text(ReportFixtures.weekReport).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "Booking report 2026-12-01 to 2026-12-07 (Europe/Moscow, all consultants)")
        let table = lines[2...10]
        let valueEnd = table.first!.range(of: "Value")!.upperBound.utf16Offset(in: table.first!)
        for line in table {
            // Values right-aligned: each ends in the header's last column, with a gap after it.
            let characters = Array(line.utf16)
            #expect(characters.count >= valueEnd, "\(line)")
            #expect(characters[valueEnd - 1] != UInt16(UInt8(ascii: " ")), "\(line)")
            if characters.count > valueEnd { #expect(characters[valueEnd] == UInt16(UInt8(ascii: " ")), "\(line)") }
        }
        #expect(table.contains { $0.hasPrefix("Booking completion rate") && $0.contains("60%") && $0.contains("> 90%") && $0.hasSuffix("not met") })
        #expect(table.contains { $0.hasPrefix("Average booking time") && $0.contains("55 s") && $0.contains("< 1 min") && $0.hasSuffix("met") && !$0.contains("not met") })
        #expect(table.contains { $0.hasPrefix("Lead conversion") && $0.contains("42.9%") })
        #expect(lines.contains("Bookings made 8: rescheduled 2 (3 moves), cancelled 3 (client 1, admin 1, system 1)"))
        #expect(lines.contains("Consultations held 6: attended 3, no-show 1, unmarked 1, pending 1"))
    }

    @Test func figuresReadAsPeopleWriteThem() {
        #expect(FigureText.percent(0.6) == "60%")
        #expect(FigureText.percent(3.0 / 7) == "42.9%")
        #expect(FigureText.percent(0) == "0%")
        #expect(FigureText.seconds(55) == "55 s")
        #expect(FigureText.seconds(65) == "1 min 05 s")
        #expect(FigureText.seconds(60) == "1 min")
        #expect(FigureText.seconds(174_600) == "2 d 0 h")
        #expect(FigureText.seconds(7_200) == "2 h 00 min")
        #expect(FigureText.value(nil, .ratio) == "no data")
    }
}
