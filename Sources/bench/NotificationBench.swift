import BookingProtocol
import DaemonKit
import Foundation
import NIOConcurrencyHelpers

/// From commit to the mail server: a burst of bookings, then, for every email that reaches the
/// SMTP server (Tests/Support/smtp_server.py writing into `mailDirectory`), the delay from the
/// booking's commit (its `createdAt`) to the server's acceptance.
enum NotificationBench {
    struct Result {
        var messages: Int
        var delays: [Double]
        var elapsed: Double
    }

    static func run(bookingd: DaemonClient, availability: DaemonClient, mailDirectory: String, burst: Int, concurrency: Int) async throws -> Result {
        let pairs = try await Load.freePairs(availability)
        guard pairs.count >= burst else {
            throw BenchFailure("only \(pairs.count) free consultant-slots for a burst of \(burst); start the suite with config/bench.yaml or lower --burst")
        }
        let before = try receivedCount(mailDirectory)
        let committed = NIOLockedValueBox<[String: Date]>([:])
        let ticket = TicketCounter()
        _ = try await Load.run(name: "notification_burst", concurrency: concurrency, count: burst) { worker in
            let (start, consultant) = pairs[ticket.take()]
            let appointment = try await Load.book(bookingd, start: start, consultant: consultant, worker: worker)
            committed.withLockedValue { $0[appointment.reference] = appointment.createdAt }
            return true
        }
        // Client and consultant: two emails per booking.
        let expected = burst * 2
        let deadline = ContinuousClock.now + .seconds(180)
        var received: [(reference: String, at: Date)] = []
        while ContinuousClock.now < deadline {
            received = try receivedSince(before, in: mailDirectory)
            if received.count >= expected { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let commits = committed.withLockedValue { $0 }
        try await Load.cancel(Array(commits.keys), bookingd: bookingd)
        let delays = received.compactMap { mail in commits[mail.reference].map { mail.at.timeIntervalSince($0) * 1000 } }
        let first = commits.values.min() ?? Date()
        let last = received.map(\.at).max() ?? first
        return Result(messages: delays.count, delays: delays.sorted(), elapsed: last.timeIntervalSince(first))
    }

    private static func receivedCount(_ directory: String) throws -> Int {
        guard let text = try? String(contentsOfFile: directory + "/messages.jsonl", encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").count
    }

    /// The messages accepted after the first `skip`: their X-Booking-Reference and acceptance time.
    private static func receivedSince(_ skip: Int, in directory: String) throws -> [(reference: String, at: Date)] {
        guard let text = try? String(contentsOfFile: directory + "/messages.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst(skip).compactMap { line -> (String, Date)? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let number = object["n"] as? Int ?? object["number"] as? Int,
                  let at = (object["received_at"] as? Double).map(Date.init(timeIntervalSince1970:)),
                  let eml = FileManager.default.contents(atPath: "\(directory)/\(number).eml") else { return nil }
            let head = String(decoding: eml.prefix(8192), as: UTF8.self)
            guard let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("X-Booking-Reference:") }) else { return nil }
            return (line.dropFirst("X-Booking-Reference:".count).trimmingCharacters(in: .whitespaces), at)
        }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
