import ArgumentParser
import BookingProtocol
import DaemonKit
import Foundation

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "A summary of every daemon's metrics: requests and latency by type, outcomes, changes, lag.",
        discussion: "Prometheus scrapes the same figures from each daemon's HTTP port (metrics: in booking.yaml)."
    )
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print each daemon's Prometheus text exposition as it is.") var raw = false

    /// One sample of the text format: `name{label="value",...} number`.
    struct Sample: Encodable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    func run() async throws {
        let suite = try Suite.open(global)
        var all: [String: [Sample]] = [:]
        for daemon in suite.daemons {
            let client = try await suite.client(daemon)
            let reply: MetricsReply = try await client.call(MessageType.metrics, Empty())
            if raw {
                Output.line("# \(daemon)\n\(Output.message(reply.exposition))")
                continue
            }
            all[daemon] = Self.parse(reply.exposition)
        }
        await suite.context.shutdown()
        if raw { return }
        if global.json {
            Output.json(all)
            return
        }
        for daemon in suite.daemons {
            let samples = all[daemon] ?? []
            Output.line("\(daemon)")
            var table = TextTable(header: ["REQUEST", "OUTCOME", "COUNT", "MEAN MS"])
            let requests = samples.filter { $0.name == "booking_requests_total" }
            for sample in requests.sorted(by: { ($0.labels["type"] ?? "", $0.labels["outcome"] ?? "") < ($1.labels["type"] ?? "", $1.labels["outcome"] ?? "") }) {
                let type = sample.labels["type"] ?? "?"
                let sum = samples.first { $0.name == "booking_request_duration_seconds_sum" && $0.labels["type"] == type }?.value
                let count = samples.first { $0.name == "booking_request_duration_seconds_count" && $0.labels["type"] == type }?.value
                let mean = (sum != nil && (count ?? 0) > 0) ? String(format: "%.3f", sum! / count! * 1000) : "-"
                table.add([type, sample.labels["outcome"] ?? "?", String(Int(sample.value)), mean])
            }
            Output.line(requests.isEmpty ? "  no requests yet" : table.rendered(indent: "  "))
            for sample in samples where ["booking_changes_total", "booking_outbox_backlog", "booking_events_published_sequence",
                                          "booking_view_sequence", "booking_subscriber_lag_events", "booking_slot_cache_total"].contains(sample.name) {
                let labels = sample.labels.isEmpty ? "" : "{" + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
                Output.line("  \(sample.name)\(labels) \(Int(sample.value))")
            }
        }
    }

    static func parse(_ exposition: String) -> [Sample] {
        exposition.split(separator: "\n").compactMap { line -> Sample? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<(series.lastIndex(of: "}") ?? series.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { labels[String(parts[0])] = String(parts[1]).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }
}
