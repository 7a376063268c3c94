import ArgumentParser
import BookingProtocol
import DaemonKit
import Foundation
import ZeroMQ

struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print booking events after a sequence number; --follow keeps printing new ones.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Print the events after this sequence number.") var since: UInt64 = 0
    @Flag(help: "Keep following the stream (Ctrl-C stops).") var follow = false

    func run() async throws {
        let suite = try Suite.open(global)
        let bookingd = try await suite.client("bookingd")
        var subscriber: ZMQSocket?
        if follow {
            // Subscribe before replaying, so nothing published meanwhile falls between the two.
            var options = SocketOptions()
            options.subscriptions = [Array("booking.".utf8)]
            options.curve = try suite.curve(connectingTo: "bookingd", at: suite.configuration.endpoints.bookingdEvents)
            let socket = try suite.context.socket(.sub, options: options, label: "bookctl-events")
            for endpoint in suite.configuration.endpoints.bookingdEvents { try await socket.connect(endpoint) }
            subscriber = socket
        }
        var last = since
        // Unbuffered, so a reader on a pipe sees each event as it comes.
        func emit(_ line: TerminalText) {
            FileHandle.standardOutput.write(Data((line.text + "\n").utf8))
        }
        func printEvent(_ event: EventBody) {
            if global.json {
                emit(Output.json(wire: (try? WireJSON.encode(event)) ?? []))
            } else {
                let zone = suite.calendarZone
                var line: TerminalText = "#\(event.sequence) \(event.kind.topic) \(event.appointment.reference) \(Output.local(event.appointment.start, zone)) \(event.appointment.consultantId) by \(event.actor)"
                if let previous = event.previous { line = "\(line) (was \(Output.local(previous.start, zone)) \(previous.consultantId))" }
                if let reason = event.reason { line = "\(line) — \(reason)" }
                emit(line)
            }
            last = event.sequence
        }
        func catchUp() async throws {
            while true {
                let reply: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: last))
                for event in reply.events where event.sequence == last + 1 { printEvent(event) }
                if reply.events.isEmpty || last >= reply.lastSequence { return }
            }
        }
        do {
            try await catchUp()
            guard let subscriber else {
                await suite.context.shutdown()
                return
            }
            var lastCheck = ContinuousClock.now
            while true {
                let frames: [[UInt8]]
                do {
                    frames = try await subscriber.receive(timeout: .seconds(2))
                } catch ZMQSocketError.timeout {
                    // A quiet stream may hide a lost last event: ask for anything newer.
                    try await catchUp()
                    continue
                }
                guard let (_, envelope) = try? Envelope.decodeEvent(frames), let event = try? envelope.decodeBody(EventBody.self) else { continue }
                if event.sequence <= last { continue }
                if event.sequence == last + 1 {
                    printEvent(event)
                } else {
                    try await catchUp()
                }
                if ContinuousClock.now - lastCheck > .seconds(5) {
                    try await catchUp()
                    lastCheck = .now
                }
            }
        } catch {
            await suite.context.shutdown()
            throw error
        }
    }
}
