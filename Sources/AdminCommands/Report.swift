import ArgumentParser
import BookingAnalytics
import BookingProtocol
import Foundation

/// `bookctl report`: the booking figures of a period beside the team's targets.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Booking figures of a period beside their targets (docs/analytics.md).",
        discussion: """
            Prints a table of the headline figures. --json prints the whole report; --csv FILE and \
            --html FILE write it (FILE - for standard output). The HTML page is self-contained, with \
            its charts inline, and prints on A4.
            """
    )
    @OptionGroup var global: GlobalOptions
    @Option(help: "The first day (YYYY-MM-DD, the calendar's zone); default: 29 days before --to.") var from: String?
    @Option(help: "The last day, included; default: today.") var to: String?
    @Option(help: "Only this consultant's bookings (the page's funnel is then left out).") var consultant: String?
    @Option(help: "Write the report as CSV to FILE.") var csv: String?
    @Option(help: "Write the report as one HTML page to FILE.") var html: String?

    func run() async throws {
        let suite = try Suite.open(global)
        let report: BookingReport = try await suite.call("bookingd", MessageType.report,
                                                         ReportRequest(from: from, to: to, consultantId: consultant), patience: .seconds(60))
        if let csv { try Self.write(ReportCSV.write(report), to: csv) }
        if let html { try Self.write(ReportPage.html(report), to: html) }
        if global.json {
            Output.line(Output.json(wire: try ReportJSON.write(report)))
        } else if csv != "-" && html != "-" {
            Output.line(Output.message(ReportSummary.text(report)))
        }
    }

    private static func write(_ text: String, to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ValidationError("cannot write \(path): \((error as NSError).localizedDescription)")
        }
    }
}
