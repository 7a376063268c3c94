import BookingDomain
import BookingProtocol
@testable import BookingService
import BookingStore
import FieldEncryption
import Foundation
import Logging
import SuiteTesting
import Testing
import ZeroMQ

/// Two publishers on one store, as two bookingd instances on one database: only the elected one
/// sends, and the one that wins next goes on from what was recorded as published, in the epoch.
@Suite struct PublisherElectionTests {
    actor SwitchedElection: PublisherElection {
        private var held: Bool
        init(_ held: Bool) { self.held = held }
        func holds() -> Bool { held }
        func resign() { held = false }
        func set(_ held: Bool) { self.held = held }
    }

    let now = Date(timeIntervalSince1970: 1_796_101_200)  // 2026-12-01T05:00:00Z

    func book(_ store: SQLiteBookingStore, _ n: Int) async throws {
        let start = Date(timeIntervalSince1970: 1_796_194_800 + Double(n) * 1_800)
        let booking = NewBooking(
            reference: .random(), slot: try DateTimeRange(start: start, end: start.addingTimeInterval(1_800)), candidates: ["anna"],
            requestedConsultant: nil, horizonEnd: now.addingTimeInterval(14 * 86_400),
            contact: try ContactInfo.validated(name: "Client \(n)", email: "c\(n)@example.com", phone: "+7916123\(String(format: "%04d", n))"),
            timeZone: "Europe/Moscow", locale: "ru")
        _ = try await store.apply(.book(booking), context: CommandContext(command: "book", correlationId: UUID().uuidString, idempotencyKey: nil,
                                                                          digest: "d", actor: .client, user: nil, now: now))
    }

    /// The (sequence, epoch) of every event a subscriber of one PUB got: up to 10 s for each
    /// until `through` arrived (a loaded machine was seen to hold the publisher for seconds),
    /// then until it was quiet for `quiet` (stretched under the sanitizers).
    func received(_ socket: ZMQSocket, through: UInt64? = nil, quiet: Duration = TestTimeouts.scaled(.milliseconds(400))) async -> [(UInt64, String?)] {
        var got: [(UInt64, String?)] = []
        func waiting() -> Duration {
            guard let through, !got.contains(where: { $0.0 >= through }) else { return quiet }
            return TestTimeouts.scaled(.seconds(10))
        }
        while let frames = try? await socket.receive(timeout: waiting()), let (_, envelope) = try? Envelope.decodeEvent(frames) {
            got.append((envelope.header.sequence ?? 0, envelope.header.epoch))
        }
        return got
    }

    @Test func onlyTheElectedInstancePublishesAndTheNextGoesOnFromWhatWasPublished() async throws {
        var template = Array("/tmp/election-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteBookingStore(path: directory + "/bookingd.sqlite", masterKey: MasterKey(SecretKey.random()))
        let epoch = try await store.epoch()
        let context = try ZMQContext()
        let logger = Logger(label: "publisher-test")
        let (firstElection, secondElection) = (SwitchedElection(true), SwitchedElection(false))
        let first = try EventPublisher(endpoint: "ipc://\(directory)/first.ipc", context: context, store: store, logger: logger,
                                       election: firstElection, pollEvery: .milliseconds(20))
        let second = try EventPublisher(endpoint: "ipc://\(directory)/second.ipc", context: context, store: store, logger: logger,
                                        election: secondElection, pollEvery: .milliseconds(20))
        try await first.bind()
        try await second.bind()
        var options = SocketOptions()
        options.subscriptions = [Array("booking.".utf8)]
        let fromFirst = try context.socket(.sub, options: options, label: "sub-first")
        let fromSecond = try context.socket(.sub, options: options, label: "sub-second")
        try await fromFirst.connect("ipc://\(directory)/first.ipc")
        try await fromSecond.connect("ipc://\(directory)/second.ipc")
        // Past the slow-joiner window before anything is published.
        try await Task.sleep(for: .milliseconds(200))
        let runs = [Task { try await first.run() }, Task { try await second.run() }]

        for n in 1...3 { try await book(store, n) }
        let firstGot = await received(fromFirst, through: 3)
        #expect(firstGot.map(\.0) == [1, 2, 3])
        #expect(firstGot.allSatisfy { $0.1 == epoch }, "every event names the store's epoch")
        #expect(await received(fromSecond, quiet: .milliseconds(100)).isEmpty, "not elected: nothing sent")

        // A handover: the first loses the election, the second wins it.
        await firstElection.set(false)
        try await Task.sleep(for: .milliseconds(100))
        await secondElection.set(true)
        for n in 4...5 { try await book(store, n) }
        let secondGot = await received(fromSecond, through: 5)
        #expect(secondGot.map(\.0).filter { $0 > 3 } == [4, 5], "the new publisher goes on: \(secondGot.map(\.0))")
        #expect(secondGot.allSatisfy { $0.1 == epoch })
        #expect(await received(fromFirst, quiet: .milliseconds(100)).isEmpty, "the one that lost sends nothing")
        #expect(second.lastPublished == 5)

        for run in runs { run.cancel() }
        for run in runs { _ = await run.result }
        await context.shutdown()
        try store.close()
    }
}
