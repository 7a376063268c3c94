import BookingProtocol
import Logging
import NIOConcurrencyHelpers

/// Tells bookingd which steps of the funnel visits reach, off the request path: a page only
/// queues its steps and is answered at once. One task sends them in order (so a visit's `sent`
/// reaches bookingd before its `booked`), each with a short deadline; what bookingd does not
/// take is logged, never shown. When bookingd is slow the queue fills and further steps are
/// dropped: the funnel loses a count rather than the page its speed.
final class FunnelReports: Sendable {
    struct Report: Sendable {
        var visit: String
        var steps: [VisitStep]
        var reference: String?
    }

    static let queueLength = 256

    private let continuation: AsyncStream<Report>.Continuation
    private let logger: Logger
    /// Reports queued and not yet sent or given up (tests wait for it to reach 0).
    private let unsent = NIOLockedValueBox(0)

    init(services: any BookingServices, logger: Logger) {
        let (stream, continuation) = AsyncStream.makeStream(of: Report.self, bufferingPolicy: .bufferingOldest(Self.queueLength))
        self.continuation = continuation
        self.logger = logger
        Task.detached(priority: .utility) { [unsent] in
            for await report in stream {
                await Self.send(report, to: services, logger: logger)
                unsent.withLockedValue { $0 -= 1 }
            }
        }
    }

    deinit { continuation.finish() }

    /// Queues `steps` of `visit`, in order; `reference` goes with `booked`.
    func reached(_ steps: [VisitStep], visit: Visit, reference: String? = nil) {
        guard !steps.isEmpty else { return }
        unsent.withLockedValue { $0 += 1 }
        if case .enqueued = continuation.yield(Report(visit: visit.id, steps: steps, reference: reference)) { return }
        unsent.withLockedValue { $0 -= 1 }
        logger.debug("a funnel step was dropped: the queue to bookingd is full", metadata: ["steps": "\(steps.map(\.rawValue))"])
    }

    var pending: Int { unsent.withLockedValue { $0 } }

    private static func send(_ report: Report, to services: any BookingServices, logger: Logger) async {
        for step in report.steps {
            do {
                try await services.recordVisitStep(VisitStepRequest(visit: report.visit, step: step, reference: step == .booked ? report.reference : nil))
            } catch let refusal as ProtocolError {
                logger.warning("bookingd refused a step of the booking funnel", metadata: ["step": "\(step.rawValue)", "error": "\(refusal)"])
            } catch {
                // Not answering: the visit's next steps would only wait as long again.
                logger.warning("bookingd did not record a step of the booking funnel", metadata: ["step": "\(step.rawValue)", "error": "\(error)"])
                return
            }
        }
    }
}
