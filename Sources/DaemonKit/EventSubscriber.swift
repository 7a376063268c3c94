import BookingProtocol
import Logging
import ServiceLifecycle
import ZeroMQ

/// A SUB socket on bookingd's event stream that hands over each event decoded, until graceful
/// shutdown. What it receives malformed is logged and skipped; a follower mends any gap by replay.
public final class EventSubscriber: Sendable {
    private let socket: ZMQSocket
    private let endpoint: String
    private let logger: Logger

    public init(endpoint: String, context: ZMQContext, label: String, logger: Logger, curve: CurveSecurity? = nil) throws {
        var options = SocketOptions()
        options.subscriptions = [Array("booking.".utf8)]
        // A burst must not be dropped at the socket: what is dropped has to be replayed.
        options.receiveHighWaterMark = 100_000
        options.curve = curve
        socket = try context.socket(.sub, options: options, label: label)
        self.endpoint = endpoint
        self.logger = logger
    }

    public func run(_ handle: (EventBody) async -> Void) async throws {
        try await socket.connect(endpoint)
        for await frames in socket.messages.cancelOnGracefulShutdown() {
            guard let (_, envelope) = try? Envelope.decodeEvent(frames), let event = try? envelope.decodeBody(EventBody.self) else {
                logger.warning("ignored a malformed event")
                continue
            }
            await handle(event)
        }
        await socket.close()
    }
}
