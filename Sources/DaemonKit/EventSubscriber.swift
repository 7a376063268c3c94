import BookingProtocol
import Logging
import ServiceLifecycle
import ZeroMQ

/// A SUB socket on bookingd's event stream, connected to every instance's PUB endpoint, that
/// hands over each event decoded with the epoch its header names, until graceful shutdown. What
/// it receives malformed is logged and skipped; a follower mends any gap by replay. Only the
/// elected instance publishes, but around a handover two may send the same numbers: the
/// follower drops what it already has.
public final class EventSubscriber: Sendable {
    private let socket: ZMQSocket
    private let endpoints: [String]
    private let logger: Logger

    public init(endpoints: [String], context: ZMQContext, label: String, logger: Logger, curve: CurveSecurity? = nil) throws {
        var options = SocketOptions()
        options.subscriptions = [Array("booking.".utf8)]
        // A burst must not be dropped at the socket: what is dropped has to be replayed.
        options.receiveHighWaterMark = 100_000
        options.curve = curve
        socket = try context.socket(.sub, options: options, label: label)
        self.endpoints = endpoints
        self.logger = logger
    }

    public func run(_ handle: (EventBody, _ epoch: String?) async -> Void) async throws {
        for endpoint in endpoints { try await socket.connect(endpoint) }
        for await frames in socket.messages.cancelOnGracefulShutdown() {
            guard let (_, envelope) = try? Envelope.decodeEvent(frames), let event = try? envelope.decodeBody(EventBody.self) else {
                logger.warning("ignored a malformed event")
                continue
            }
            await handle(event, envelope.header.epoch)
        }
        await socket.close()
    }
}
