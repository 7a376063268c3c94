import BookingAnalytics
import BookingDomain
import BookingProtocol
import BookingStore
import CivilTime
import DaemonKit
import Foundation
import Logging

/// The booking figures of a period (`report`), and the same figures over the last 30 days as
/// Prometheus gauges.
extension BookingCommands {
    /// At most a year: the report reads every booking of the period with its history at once.
    static let longestReport = 366
    /// What a report covers when it names no days, and what the gauges always cover.
    static let defaultReportDays = 30

    func addReportRoutes(to routes: inout RequestRoutes) {
        routes.on(MessageType.report, ReportRequest.self) { request, _ in try await report(request) }
    }

    private func report(_ request: ReportRequest) async throws -> BookingReport {
        let zone = settings.value.businessZone
        let today = LocalDate.containing(clock.now(), in: zone)
        let to = try request.to.map { try Self.day($0, field: "to") } ?? today
        let from = try request.from.map { try Self.day($0, field: "from") } ?? to.adding(days: 1 - Self.defaultReportDays)
        guard from <= to else { throw ProtocolError(.validationFailed, "'to' (\(to)) is before 'from' (\(from))", field: "to") }
        guard from.days(until: to) < Self.longestReport else {
            throw ProtocolError(.validationFailed, "a report covers at most \(Self.longestReport) days", field: "from")
        }
        if let id = request.consultantId, !Consultant.isValidId(id) {
            throw ProtocolError(.validationFailed, "a consultant's id has 1 to 64 letters, digits, '-' or '_'", field: "consultant_id")
        }
        return try await Self.report(store: store, from: from, to: to, zone: zone, consultantId: request.consultantId, now: clock.now(),
                                     settings: settings.value)
    }

    static func report(store: any BookingStore, from: LocalDate, to: LocalDate, zone: TimeZone, consultantId: String?, now: Date,
                       settings: BookingSettings) async throws -> BookingReport {
        let facts = try await store.reportFacts(from: from, to: to, zone: zone, consultantId: consultantId, now: now,
                                                unmarkedAfter: settings.unmarkedAfter)
        return BookingReport(facts: facts)
    }

    private static func day(_ text: String, field: String) throws -> LocalDate {
        guard let day = LocalDate(text) else {
            throw ProtocolError(.validationFailed, "'\(text)' is not a day such as 2026-12-01", field: field)
        }
        return day
    }
}

/// Publishes the last 30 days' figures as gauges (`ReportGauges`), so Prometheus and the
/// Grafana dashboard in docs/grafana follow the rates against their targets.
struct ReportGaugePublisher: Sendable {
    let store: any BookingStore
    let clock: SuiteClock
    let settings: Reloadable<BookingSettings>
    let board = GaugeBoard()
    let logger: Logger

    func tick() async {
        let current = settings.value
        let today = LocalDate.containing(clock.now(), in: current.businessZone)
        do {
            let report = try await BookingCommands.report(store: store, from: today.adding(days: 1 - BookingCommands.defaultReportDays), to: today,
                                                          zone: current.businessZone, consultantId: nil, now: clock.now(), settings: current)
            board.publish(ReportGauges.values(report).map {
                GaugeBoard.Value(name: $0.name, labels: $0.labels, help: ReportGauges.help[$0.name] ?? $0.name, value: $0.value)
            })
        } catch {
            logger.warning("the report's gauges were not updated", metadata: ["error": "\(error)"])
        }
    }
}
