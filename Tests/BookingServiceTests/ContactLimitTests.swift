import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// The limit of future bookings per contact is part of `book`, decided in the transaction that
/// writes the booking: concurrent bookings by one contact cannot both slip under it.
@Suite(.serialized) struct ContactLimitTests {
    /// 20 distinct free slots on the next working days, 11:00–15:30 Moscow time.
    static let starts: [Date] = [2, 3, 4, 7].flatMap { day in
        (0..<5).map { slot in
            ISO8601.parseInstant(String(format: "2026-12-%02dT%02d:%@:00+03:00", day, 11 + slot, slot % 2 == 0 ? "00" : "30"))!
        }
    }

    static func race(_ contact: @escaping @Sendable (Int) -> ContactBody, actor: String? = nil) async throws -> [String] {
        var options = InProcessSuite.Options()
        options.extra = "bookings: {max_future_bookings_per_contact: 2}"
        let suite = try await InProcessSuite.start(options)
        let bookingd = try await suite.client(.bookingd, timeout: .seconds(10))
        let outcomes = await withTaskGroup(of: String.self) { group in
            for (n, start) in starts.enumerated() {
                group.addTask {
                    do {
                        let _: AppointmentBody = try await bookingd.call(
                            MessageType.book, BookRequest(start: start, contact: contact(n), actor: actor), idempotencyKey: "race-\(n)")
                        return "ok"
                    } catch let error as ProtocolError {
                        return error.code.rawValue + (error.field.map { ":" + $0 } ?? "")
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let listed: ListReply = try await bookingd.call(MessageType.list, ListRequest())
        #expect(listed.appointments.count == outcomes.filter { $0 == "ok" }.count, "what was acknowledged is what is stored")
        try await suite.stop()
        return outcomes
    }

    @Test func twentyConcurrentBookingsByOneEmailGiveExactlyTheLimit() async throws {
        let outcomes = try await Self.race { n in
            // The same address in other letter cases, and a different phone each time.
            ContactBody(name: "Иван Петров", email: n % 2 == 0 ? "ivan@example.com" : "Ivan@Example.COM", phone: "+7916123\(String(format: "%04d", n))")
        }
        #expect(Starts.count(outcomes, "ok") == 2, "\(outcomes)")
        #expect(Starts.count(outcomes, "contact_limit_reached:contact.email") == 18, "\(outcomes)")
    }

    @Test func twentyConcurrentBookingsByOnePhoneGiveExactlyTheLimit() async throws {
        let outcomes = try await Self.race { n in
            ContactBody(name: "Иван Петров", email: "ivan\(n)@example.com", phone: n % 2 == 0 ? "+7 916 123-45-67" : "+7 (916) 1234567")
        }
        #expect(Starts.count(outcomes, "ok") == 2, "\(outcomes)")
        #expect(Starts.count(outcomes, "contact_limit_reached:contact.phone") == 18, "\(outcomes)")
    }

    @Test func anAdminBookingForAClientIsNotLimited() async throws {
        let outcomes = try await Self.race({ _ in
            ContactBody(name: "Иван Петров", email: "ivan@example.com", phone: "+79161234567")
        }, actor: "admin")
        #expect(Starts.count(outcomes, "ok") == 20, "\(outcomes)")
    }
}

enum Starts {
    static func count(_ outcomes: [String], _ outcome: String) -> Int { outcomes.filter { $0 == outcome }.count }
}
