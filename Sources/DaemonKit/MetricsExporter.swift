import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import Prometheus
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// The process's metrics: swift-metrics, kept in a Prometheus registry.
public enum SuiteMetrics {
    public static let registry = PrometheusCollectorRegistry()

    static func bootstrap() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// The Prometheus text exposition of everything recorded so far.
    public static var exposition: String { registry.emitToString() }
}

/// Serves `GET /metrics` on a local TCP address for Prometheus. Deliberately small: one thread,
/// one request per connection, nothing but the exposition; bind it to loopback.
public final class MetricsExporter: Service, Sendable {
    private let host: String
    private let port: UInt16
    private let logger: Logger
    private let listener: Int32

    /// Listens on `address` (`HOST:PORT`, e.g. `127.0.0.1:9401`) at once, so a port in use stops
    /// the daemon at start, with the reason.
    public init(address: String, logger: Logger) throws(ConfigurationError) {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]), port > 0 else {
            throw ConfigurationError(file: "metrics", key: nil, problem: "'\(address)' is not HOST:PORT")
        }
        host = String(parts[0])
        self.port = port
        self.logger = logger
        listener = try Self.listen(host: host, port: port)
    }

    private static func listen(host: String, port: UInt16) throws(ConfigurationError) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(descriptor)
            throw ConfigurationError(file: "metrics", problem: "'\(host)' is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(descriptor, 16) == 0 else {
            let problem = String(cString: strerror(errno))
            close(descriptor)
            throw ConfigurationError(file: "metrics", problem: "cannot listen on \(host):\(port): \(problem)")
        }
        return descriptor
    }

    public func run() async throws {
        let descriptor = listener
        let logger = self.logger
        let thread = Thread {
            while true {
                let client = accept(descriptor, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                Self.answer(client)
                close(client)
            }
        }
        thread.name = "metrics-http"
        thread.start()
        logger.info("metrics on http://\(host):\(port)/metrics")
        try? await gracefulShutdown()
        // Wakes the blocked accept() so the thread ends.
        shutdown(descriptor, Int32(SHUT_RDWR))
        close(descriptor)
    }

    private static func answer(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 2048)
        let count = recv(client, &buffer, buffer.count, 0)
        guard count > 0 else { return }
        let request = String(decoding: buffer[0..<count], as: UTF8.self)
        let response: [UInt8]
        if request.hasPrefix("GET /metrics ") || request.hasPrefix("GET /metrics?") {
            let body = SuiteMetrics.registry.emitToBuffer()
            response = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
        } else {
            let body = Array("only GET /metrics is served here\n".utf8)
            response = Array("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
        }
        var sent = 0
        while sent < response.count {
            let written = response[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return }
            sent += written
        }
    }
}

/// Gauges whose set changes from one computation to the next (a daemon's report figures): what
/// was published before and is absent now is removed, so a figure with no data shows as absent
/// in Prometheus rather than as its last value.
public final class GaugeBoard: Sendable {
    public struct Value: Sendable {
        public var name: String
        public var labels: [(String, String)]
        public var help: String
        public var value: Double

        public init(name: String, labels: [(String, String)], help: String, value: Double) {
            self.name = name
            self.labels = labels
            self.help = help
            self.value = value
        }

        var key: String { name + "{" + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}" }
    }

    private let published = NIOLockedValueBox<[String: Prometheus.Gauge]>([:])

    public init() {}

    public func publish(_ values: [Value]) {
        published.withLockedValue { published in
            var kept: [String: Prometheus.Gauge] = [:]
            for value in values {
                let gauge = published[value.key] ?? SuiteMetrics.registry.makeGauge(
                    descriptor: MetricNameDescriptor(metricName: value.name, unitName: "", helpText: value.help), labels: value.labels)
                gauge.set(value.value)
                kept[value.key] = gauge
            }
            for (key, gauge) in published where kept[key] == nil {
                SuiteMetrics.registry.unregisterGauge(gauge)
            }
            published = kept
        }
    }
}
