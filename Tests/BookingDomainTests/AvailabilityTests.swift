import Foundation
import Testing
@testable import BookingDomain
import CivilTime
import SeededRandom

@Suite("Availability and consultant assignment")
struct AvailabilityTests {
    static let team = [
        Consultant(id: "cora", name: "Кора Смирнова", email: "cora@example.com"),
        Consultant(id: "anna", name: "Анна Петрова", email: "anna@example.com"),
        Consultant(id: "boris", name: "Борис Иванов", email: nil, timeZone: "Asia/Yekaterinburg"),
    ]

    func availability(timeOff: [TimeOff] = [], blocked: [BlockedPeriod] = []) throws -> Availability {
        Availability(calendar: try Fixture.calendar(blocked: blocked), consultants: Self.team, timeOff: timeOff)
    }

    func starts(_ slots: [AvailableSlot], in timeZone: TimeZone = moscow) -> [String] {
        slots.map { ISO8601.local($0.range.start, in: timeZone) }
    }

    @Test func aFreeDayOffersEverySlotWithEveryoneInIdOrder() throws {
        let slots = try availability().slots(for: SlotQuery(from: date("2026-03-03"), days: 1), booked: [], now: msk("2026-03-02 07:00"))
        #expect(slots.count == 18)
        #expect(slots.allSatisfy { $0.freeConsultants == ["anna", "boris", "cora"] })
        #expect(slots.first?.range == range(msk("2026-03-03 09:00")))
        #expect(slots.last?.range == range(msk("2026-03-03 17:30")))
    }

    @Test func theDefaultQueryCoversTheWholeWindowFromToday() throws {
        let slots = try availability().slots(for: SlotQuery(), booked: [], now: msk("2026-03-02 07:00"))
        // 2-6 March and 10-13 March; 9 March is a day off and the window ends at 16 March 00:00.
        #expect(slots.count == 9 * 18)
        #expect(slots.first?.range.start == msk("2026-03-02 09:00"))
        #expect(slots.last?.range.start == msk("2026-03-13 17:30"))
        #expect(Set(slots.map { LocalDate.containing($0.range.start, in: moscow) }).count == 9)
        // The notice cuts into today.
        let later = try availability().slots(for: SlotQuery(days: 1), booked: [], now: msk("2026-03-02 12:10"))
        #expect(later.first?.range.start == msk("2026-03-02 14:30"))
        #expect(later.count == 7)
    }

    @Test func bookingsAndTimeOffRemoveConsultants() throws {
        let availability = try availability(timeOff: [
            TimeOff(consultantId: "cora", range: try DateTimeRange(start: msk("2026-03-03 00:00"), end: msk("2026-03-04 00:00")), reason: "sick leave"),
            TimeOff(consultantId: "boris", range: try DateTimeRange(start: msk("2026-03-03 12:15"), end: msk("2026-03-03 13:15")), reason: "dentist"),
            TimeOff(consultantId: "boris", range: try DateTimeRange(start: msk("2026-03-03 14:00"), end: msk("2026-03-03 15:00")), reason: "training"),
        ])
        let booked: Set<BookedSlot> = [
            BookedSlot(consultantId: "anna", start: msk("2026-03-03 09:00")),
            BookedSlot(consultantId: "boris", start: msk("2026-03-03 09:00")),
            BookedSlot(consultantId: "anna", start: msk("2026-03-03 10:00")),
            BookedSlot(consultantId: "ghost", start: msk("2026-03-03 11:00")),  // unknown ids are ignored
            BookedSlot(consultantId: "anna", start: msk("2026-03-03 11:10")),  // off the grid: blocks nothing
        ]
        let slots = availability.slots(for: SlotQuery(from: date("2026-03-03"), days: 1), booked: booked, now: msk("2026-03-02 07:00"))
        let byTime = Dictionary(uniqueKeysWithValues: slots.map { (ISO8601.local($0.range.start, in: moscow), $0.freeConsultants) })
        #expect(byTime["2026-03-03T09:00:00+03:00"] == nil)  // everyone booked or away
        #expect(byTime["2026-03-03T09:30:00+03:00"] == ["anna", "boris"])
        #expect(byTime["2026-03-03T10:00:00+03:00"] == ["boris"])
        #expect(byTime["2026-03-03T11:00:00+03:00"] == ["anna", "boris"])
        #expect(byTime["2026-03-03T11:30:00+03:00"] == ["anna", "boris"])
        #expect(byTime["2026-03-03T12:00:00+03:00"] == ["anna"])
        #expect(byTime["2026-03-03T12:30:00+03:00"] == ["anna"])
        #expect(byTime["2026-03-03T13:00:00+03:00"] == ["anna"])
        #expect(byTime["2026-03-03T13:30:00+03:00"] == ["anna", "boris"])  // ends as the training starts
        #expect(byTime["2026-03-03T14:30:00+03:00"] == ["anna"])
        #expect(byTime["2026-03-03T15:00:00+03:00"] == ["anna", "boris"])
        #expect(slots.count == 17)

        let borisOnly = availability.slots(for: SlotQuery(from: date("2026-03-03"), days: 1, consultantId: "boris"), booked: booked, now: msk("2026-03-02 07:00"))
        #expect(borisOnly.allSatisfy { $0.freeConsultants == ["boris"] })
        #expect(borisOnly.count == 18 - 1 - 3 - 2)
        #expect(starts(borisOnly).contains("2026-03-03T10:00:00+03:00"))
        #expect(try self.availability().slots(for: SlotQuery(from: date("2026-03-03"), days: 1, consultantId: "zoe"), booked: [], now: msk("2026-03-02 07:00")).isEmpty)
    }

    @Test func queriesAreClampedToTheWindow() throws {
        let availability = try availability()
        let now = msk("2026-03-02 07:00")
        #expect(availability.slots(for: SlotQuery(from: date("2026-02-20"), days: 11), booked: [], now: now).count == 18)
        #expect(availability.slots(for: SlotQuery(from: date("2026-03-16"), days: 5), booked: [], now: now).isEmpty)
        #expect(availability.slots(for: SlotQuery(from: date("2026-03-13"), days: 365_000), booked: [], now: now).count == 18)
        #expect(availability.slots(for: SlotQuery(from: date("2026-03-03"), days: 0), booked: [], now: now).isEmpty)
        #expect(availability.slots(for: SlotQuery(from: date("2026-03-03"), days: -3), booked: [], now: now).isEmpty)
        let nobody = Availability(calendar: try Fixture.calendar(), consultants: [])
        #expect(nobody.slots(for: SlotQuery(), booked: [], now: now).isEmpty)
    }

    @Test func freeConsultantsChecksRulesThenPeople() throws {
        let availability = try availability(timeOff: [
            TimeOff(consultantId: "cora", range: try DateTimeRange(start: msk("2026-03-03 09:45"), end: msk("2026-03-03 10:15")), reason: "call"),
        ])
        let now = msk("2026-03-02 07:00")
        let ten = msk("2026-03-03 10:00")
        let annaBooked: Set<BookedSlot> = [BookedSlot(consultantId: "anna", start: ten)]
        #expect(try availability.freeConsultants(at: ten, booked: [], now: now) == ["anna", "boris"])
        #expect(try availability.freeConsultants(at: ten, booked: annaBooked, now: now) == ["boris"])
        #expect(try availability.freeConsultants(at: ten, consultantId: "boris", booked: annaBooked, now: now) == ["boris"])
        // A refusal offers the consultant's next free times after the asked one.
        let nextThree = [msk("2026-03-03 10:30"), msk("2026-03-03 11:00"), msk("2026-03-03 11:30")]
        #expect(throws: SlotRuleViolation.consultantUnavailable("anna", nextFree: nextThree, zone: moscow)) {
            try availability.freeConsultants(at: ten, consultantId: "anna", booked: annaBooked, now: now)
        }
        let cora = try #require(throws: SlotRuleViolation.self) {
            try availability.freeConsultants(at: ten, consultantId: "cora", booked: [], now: now)
        }
        guard case let .consultantUnavailable("cora", coraNext, _) = cora else { Issue.record("\(cora)"); return }
        #expect(coraNext.allSatisfy { $0 > ten } && coraNext.count <= 3)
        #expect(throws: SlotRuleViolation.unknownConsultant("zoe")) {
            try availability.freeConsultants(at: ten, consultantId: "zoe", booked: [], now: now)
        }
        let everyone: Set<BookedSlot> = [BookedSlot(consultantId: "anna", start: ten), BookedSlot(consultantId: "boris", start: ten)]
        #expect(throws: SlotRuleViolation.noConsultantFree(nextFree: nextThree, zone: moscow)) {
            try availability.freeConsultants(at: ten, booked: everyone, now: now)
        }
        // The calendar's verdict comes first, even for an unknown consultant.
        #expect(throws: SlotRuleViolation.nonWorkingDay(.weekend, reason: nil)) {
            try availability.freeConsultants(at: msk("2026-03-07 10:00"), consultantId: "zoe", booked: [], now: now)
        }
        #expect(throws: SlotRuleViolation.offGrid) { try availability.freeConsultants(at: ten.addingTimeInterval(60), booked: [], now: now) }
    }

    @Test func slotsAndFreeConsultantsAgree() throws {
        let availability = try availability(timeOff: [
            TimeOff(consultantId: "anna", range: try DateTimeRange(start: msk("2026-03-04 00:00"), end: msk("2026-03-06 13:00")), reason: "leave"),
        ])
        var generator = SeededGenerator(seed: 7)
        let now = msk("2026-03-02 10:20")
        let all = availability.slots(for: SlotQuery(), booked: [], now: now)
        var booked = Set<BookedSlot>()
        for _ in 0..<150 {
            let slot = all.randomElement(using: &generator)!
            booked.insert(BookedSlot(consultantId: slot.freeConsultants.randomElement(using: &generator)!, start: slot.range.start))
        }
        let offered = availability.slots(for: SlotQuery(), booked: booked, now: now)
        for slot in offered {
            #expect(try availability.freeConsultants(at: slot.range.start, booked: booked, now: now) == slot.freeConsultants)
        }
        let offeredStarts = Set(offered.map(\.range.start))
        for slot in all where !offeredStarts.contains(slot.range.start) {
            // Refused, offering the next offered starts after it.
            let next = Array(offered.map(\.range.start).filter { $0 > slot.range.start }.prefix(3))
            #expect(throws: SlotRuleViolation.noConsultantFree(nextFree: next, zone: moscow)) {
                try availability.freeConsultants(at: slot.range.start, booked: booked, now: now)
            }
        }
    }

    @Test func newYorkClientAcrossTheSpringForwardChange() throws {
        let newYork = zone("America/New_York")
        let slots = try availability().slots(for: SlotQuery(from: date("2026-03-06"), days: 5, timeZone: newYork), booked: [], now: instant("2026-03-05T12:00:00Z"))
        // Moscow works on Friday 6 and Tuesday 10 March; Monday 9 March is a day off there.
        #expect(slots.count == 36)
        let shown = starts(slots, in: newYork)
        #expect(shown.first == "2026-03-06T01:00:00-05:00")
        #expect(shown[17] == "2026-03-06T09:30:00-05:00")
        #expect(shown[18] == "2026-03-10T02:00:00-04:00")
        #expect(shown.last == "2026-03-10T10:30:00-04:00")
        #expect(slots.allSatisfy { $0.range.duration == 1800 })
        // The instants are Moscow's grid whatever the client's zone.
        #expect(slots[18].range.start == msk("2026-03-10 09:00"))
    }

    @Test func berlinClientAcrossTheFallBackChange() throws {
        let berlin = zone("Europe/Berlin")
        let now = instant("2026-10-22T12:00:00Z")
        let friday = try availability().slots(for: SlotQuery(from: date("2026-10-23"), days: 1, timeZone: berlin), booked: [], now: now)
        #expect(starts(friday, in: berlin).first == "2026-10-23T08:00:00+02:00")
        let weekend = try availability().slots(for: SlotQuery(from: date("2026-10-24"), days: 3, timeZone: berlin), booked: [], now: now)
        #expect(weekend.count == 18)
        #expect(starts(weekend, in: berlin).first == "2026-10-26T07:00:00+01:00")
        #expect(starts(weekend, in: berlin).last == "2026-10-26T15:30:00+01:00")
        #expect(weekend.first?.range.start == msk("2026-10-26 09:00"))
    }

    @Test func aClientDayCanSpanTwoMoscowDays() throws {
        // Los Angeles is 10 hours behind Moscow in March: its Tuesday holds the end of Moscow's
        // Tuesday and the start of Moscow's Wednesday.
        let losAngeles = zone("America/Los_Angeles")
        let slots = try availability().slots(for: SlotQuery(from: date("2026-03-10"), days: 1, timeZone: losAngeles), booked: [], now: instant("2026-03-09T00:00:00Z"))
        #expect(slots.count == 18)
        let shown = starts(slots, in: losAngeles)
        #expect(shown.first == "2026-03-10T00:00:00-07:00")
        #expect(shown[15] == "2026-03-10T07:30:00-07:00")
        #expect(shown[16] == "2026-03-10T23:00:00-07:00")
        #expect(shown.last == "2026-03-10T23:30:00-07:00")
        #expect(Set(slots.map { LocalDate.containing($0.range.start, in: moscow) }) == [date("2026-03-10"), date("2026-03-11")])
    }

    @Test func assignmentPrefersTheLeastBookedThenTheSmallestId() {
        #expect(ConsultantAssignment.choose(from: ["anna", "boris", "cora"], bookingsInHorizon: ["anna": 2, "boris": 1, "cora": 1]) == "boris")
        #expect(ConsultantAssignment.choose(from: ["cora", "boris", "anna"], bookingsInHorizon: ["anna": 2, "boris": 1, "cora": 1]) == "boris")
        #expect(ConsultantAssignment.choose(from: ["cora", "anna"], bookingsInHorizon: [:]) == "anna")
        #expect(ConsultantAssignment.choose(from: ["anna", "boris"], bookingsInHorizon: ["anna": 1]) == "boris")
        #expect(ConsultantAssignment.choose(from: ["boris"], bookingsInHorizon: ["boris": 40]) == "boris")
        #expect(ConsultantAssignment.choose(from: [], bookingsInHorizon: ["anna": 0]) == nil)
        // Booking one at a time into the chosen one's count spreads the load evenly.
        var counts: [String: Int] = [:]
        for _ in 0..<30 {
            let chosen = ConsultantAssignment.choose(from: ["anna", "boris", "cora"], bookingsInHorizon: counts)!
            counts[chosen, default: 0] += 1
        }
        #expect(counts == ["anna": 10, "boris": 10, "cora": 10])
    }

    @Test func valueTypesCodable() throws {
        let slot = AvailableSlot(range: range(msk("2026-03-03 09:00")), freeConsultants: ["anna"])
        let booked = BookedSlot(consultantId: "anna", start: msk("2026-03-03 09:00"))
        let off = TimeOff(consultantId: "anna", range: range(msk("2026-03-03 09:00"), minutes: 60), reason: "call")
        #expect(try JSONDecoder().decode(AvailableSlot.self, from: JSONEncoder().encode(slot)) == slot)
        #expect(try JSONDecoder().decode(BookedSlot.self, from: JSONEncoder().encode(booked)) == booked)
        #expect(try JSONDecoder().decode(TimeOff.self, from: JSONEncoder().encode(off)) == off)
        #expect(try JSONDecoder().decode([Consultant].self, from: JSONEncoder().encode(Self.team)) == Self.team)
        #expect(try availability().consultant(id: "boris")?.timeZone == "Asia/Yekaterinburg")
    }
}
