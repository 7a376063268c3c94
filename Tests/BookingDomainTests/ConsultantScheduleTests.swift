import Foundation
import Testing
@testable import BookingDomain
import CivilTime
import SeededRandom

@Suite("Consultants' own hours, buffers, daily limits and busy time")
struct ConsultantScheduleTests {
    static let now = msk("2026-03-02 07:00")

    func hours(_ text: String) -> WeeklyHours {
        try! WeeklyHours(parsing: text)
    }

    func availability(_ consultants: [Consultant], busy: [BusyInterval] = [], timeOff: [TimeOff] = []) throws -> Availability {
        Availability(calendar: try Fixture.calendar(), consultants: consultants, timeOff: timeOff, busy: busy)
    }

    /// Moscow wall times of the slots on `day` with `id` free.
    func freeTimes(_ availability: Availability, _ id: String, on day: String, booked: Set<BookedSlot> = []) -> [String] {
        availability.slots(for: SlotQuery(from: date(day), days: 1), booked: booked, now: Self.now)
            .filter { $0.freeConsultants.contains(id) }
            .map { String(ISO8601.local($0.range.start, in: moscow).dropFirst(11).prefix(5)) }
    }

    // MARK: Weekly hours

    @Test func hoursAreReadAndWrittenBack() throws {
        let weekly = hours("Mon-Wed 09:00-13:00 14:00-17:30, fri 10:00-12:00")
        #expect(weekly.periods.count == 7)
        #expect(weekly.description == "mon 09:00-13:00 14:00-17:30, tue 09:00-13:00 14:00-17:30, wed 09:00-13:00 14:00-17:30, fri 10:00-12:00")
        #expect(try WeeklyHours(parsing: weekly.description) == weekly)
        let json = try JSONEncoder().encode(weekly)
        #expect(String(decoding: json, as: UTF8.self) == "\"\(weekly.description)\"")
        #expect(try JSONDecoder().decode(WeeklyHours.self, from: json) == weekly)
    }

    @Test(arguments: [
        ("", "give days and times"),
        ("mon", "'mon' has no times"),
        ("monday 09:00-13:00", "'monday' is not a weekday"),
        ("fri-mon 09:00-13:00", "runs backwards"),
        ("mon 13:00-09:00", "closes before it opens"),
        ("mon 9-13", "is not a period HH:MM-HH:MM"),
        ("mon 25:00-26:00", "is not a period HH:MM-HH:MM"),
        ("mon 09:00-13:00 12:00-14:00", "overlap"),
        ("mon 09:00-13:00,", "give days and times"),
    ])
    func badHoursAreRefusedWithTheReason(text: String, reason: String) {
        #expect {
            try WeeklyHours(parsing: text)
        } throws: { error in
            (error as? ScheduleError)?.message.contains(reason) == true && (error as? ScheduleError)?.field == "hours"
        }
    }

    @Test func hoursAreReadOnTheConsultantsWallClock() {
        let weekly = hours("mon-fri 09:00-13:00")
        let berlin = zone("Europe/Berlin")
        // Berlin is UTC+1 until 29 March 2026 and UTC+2 after: 09:00 there is 11:00, then 10:00, in Moscow.
        #expect(weekly.contains(range(msk("2026-03-03 11:00")), in: berlin))
        #expect(!weekly.contains(range(msk("2026-03-03 10:30")), in: berlin))
        #expect(weekly.contains(range(msk("2026-03-03 14:30")), in: berlin))
        #expect(!weekly.contains(range(msk("2026-03-03 14:45")), in: berlin))  // ends 13:15 Berlin
        #expect(weekly.contains(range(msk("2026-03-31 10:00")), in: berlin))
        #expect(weekly.contains(range(msk("2026-03-31 13:30")), in: berlin))
        #expect(!weekly.contains(range(msk("2026-03-31 14:00")), in: berlin))
        #expect(!weekly.contains(range(msk("2026-03-07 11:00")), in: berlin))  // a Saturday
    }

    // MARK: Schedules

    @Test func scheduleBoundsAreChecked() throws {
        #expect(try ConsultantSchedule.validated(hours: nil, bufferBefore: 600, bufferAfter: 0, dailyLimit: 6).spacing == 600)
        #expect(throws: ScheduleError.self) { try ConsultantSchedule.validated(hours: nil, bufferBefore: 90, bufferAfter: 0, dailyLimit: nil) }
        #expect(throws: ScheduleError.self) { try ConsultantSchedule.validated(hours: nil, bufferBefore: 0, bufferAfter: -60, dailyLimit: nil) }
        #expect(throws: ScheduleError.self) { try ConsultantSchedule.validated(hours: nil, bufferBefore: 0, bufferAfter: 5 * 3600, dailyLimit: nil) }
        #expect(throws: ScheduleError.self) { try ConsultantSchedule.validated(hours: nil, bufferBefore: 0, bufferAfter: 0, dailyLimit: 0) }
        do {
            _ = try ConsultantSchedule.validated(hours: nil, bufferBefore: 0, bufferAfter: 61, dailyLimit: nil)
            Issue.record("a buffer of 61 s was taken")
        } catch {
            #expect(error.field == "buffer_after_minutes")
        }
    }

    @Test func ownHoursNarrowTheOfferAndCheckSlot() throws {
        let anna = Consultant(id: "anna", name: "Анна", timeZone: "Europe/Berlin", schedule: ConsultantSchedule(hours: hours("mon-fri 09:00-13:00")))
        let boris = Consultant(id: "boris", name: "Борис")
        let availability = try availability([anna, boris])
        #expect(freeTimes(availability, "anna", on: "2026-03-03") == ["11:00", "11:30", "12:00", "12:30", "13:00", "13:30", "14:00", "14:30"])
        #expect(freeTimes(availability, "boris", on: "2026-03-03").count == 18)
        #expect(try availability.freeConsultants(at: msk("2026-03-03 09:00"), booked: [], now: Self.now) == ["boris"])
        #expect(throws: SlotRuleViolation.self) {
            try availability.freeConsultants(at: msk("2026-03-03 09:00"), consultantId: "anna", booked: [], now: Self.now)
        }
        // Own hours never widen the business hours: 9:00 Berlin is 11:00 Moscow, so 17:30 Moscow is outside both anyway.
        #expect(try availability.freeConsultants(at: msk("2026-03-03 11:00"), consultantId: "anna", booked: [], now: Self.now) == ["anna"])
    }

    @Test func busyTimeTakesTheSlotsItOverlapsAndTheBuffersAroundIt() throws {
        let schedule = ConsultantSchedule(bufferBefore: 15 * 60, bufferAfter: 10 * 60)
        let anna = Consultant(id: "anna", name: "Анна", schedule: schedule)
        let meeting = BusyInterval(consultantId: "anna", range: try DateTimeRange(start: msk("2026-03-03 12:00"), end: msk("2026-03-03 13:00")),
                                   source: "caldav:anna", eventId: "standup@example.com")
        let availability = try availability([anna], busy: [meeting])
        // 11:00-11:30 leaves the 10 min after it free; 11:30-12:00 does not. 13:00 starts right
        // after the meeting, within the 15 min the consultant keeps free before an appointment.
        let free = freeTimes(availability, "anna", on: "2026-03-03")
        #expect(free.contains("11:00"))
        #expect(!free.contains("11:30") && !free.contains("12:00") && !free.contains("12:30") && !free.contains("13:00"))
        #expect(free.contains("13:30"))
        #expect(throws: SlotRuleViolation.self) {
            try availability.freeConsultants(at: msk("2026-03-03 13:00"), consultantId: "anna", booked: [], now: Self.now)
        }
        // Without buffers the slot right after the meeting is free.
        let plain = try self.availability([Consultant(id: "anna", name: "Анна")], busy: [meeting])
        #expect(freeTimes(plain, "anna", on: "2026-03-03").contains("13:00"))
        #expect(!freeTimes(plain, "anna", on: "2026-03-03").contains("12:30"))
    }

    @Test func buffersSpaceBookingsApart() throws {
        let anna = Consultant(id: "anna", name: "Анна", schedule: ConsultantSchedule(bufferBefore: 0, bufferAfter: 30 * 60))
        let availability = try availability([anna])
        let booked: Set<BookedSlot> = [BookedSlot(consultantId: "anna", start: msk("2026-03-03 12:00"))]
        let free = freeTimes(availability, "anna", on: "2026-03-03", booked: booked)
        // The spacing is the larger buffer on either side, whichever appointment comes first.
        #expect(free.contains("11:00") && !free.contains("11:30") && !free.contains("12:00") && !free.contains("12:30") && free.contains("13:00"))
        #expect(throws: SlotRuleViolation.self) {
            try availability.freeConsultants(at: msk("2026-03-03 11:30"), booked: booked, now: Self.now)
        }
        let limits = try #require(availability.bookingLimits(of: "anna", at: msk("2026-03-03 11:30")))
        #expect(limits.spacing == 1800)
        #expect(!limits.allow(range(msk("2026-03-03 11:30")), among: [range(msk("2026-03-03 12:00"))]))
        #expect(limits.allow(range(msk("2026-03-03 11:00")), among: [range(msk("2026-03-03 12:00"))]))
        #expect(availability.bookingLimits(of: "boris", at: msk("2026-03-03 11:30")) == nil)
    }

    @Test func theDailyLimitCountsTheConsultantsOwnDay() throws {
        // Yekaterinburg is Moscow + 2: its day ends at 22:00 Moscow, so all of a Moscow working day is one day there.
        let anna = Consultant(id: "anna", name: "Анна", timeZone: "Asia/Yekaterinburg", schedule: ConsultantSchedule(dailyLimit: 2))
        let boris = Consultant(id: "boris", name: "Борис")
        let availability = try availability([anna, boris])
        var booked: Set<BookedSlot> = [BookedSlot(consultantId: "anna", start: msk("2026-03-03 09:00"))]
        #expect(freeTimes(availability, "anna", on: "2026-03-03", booked: booked).count == 17)
        booked.insert(BookedSlot(consultantId: "anna", start: msk("2026-03-03 15:00")))
        #expect(freeTimes(availability, "anna", on: "2026-03-03", booked: booked).isEmpty)
        #expect(freeTimes(availability, "anna", on: "2026-03-04", booked: booked).count == 18)
        #expect(try availability.freeConsultants(at: msk("2026-03-03 12:00"), booked: booked, now: Self.now) == ["boris"])
        let limits = try #require(availability.bookingLimits(of: "anna", at: msk("2026-03-03 12:00")))
        #expect(limits.day == (try DateTimeRange(start: instant("2026-03-03T00:00:00+05:00"), end: instant("2026-03-04T00:00:00+05:00"))))
        #expect(!limits.allow(range(msk("2026-03-03 12:00")), among: [range(msk("2026-03-03 09:00")), range(msk("2026-03-03 15:00"))]))
        #expect(limits.allow(range(msk("2026-03-03 12:00")), among: [range(msk("2026-03-03 09:00")), range(msk("2026-03-04 09:00"))]))
    }

    @Test func mergingJoinsOverlappingAndTouchingRanges() {
        let merged = BusyInterval.merged([
            range(msk("2026-03-03 12:00"), minutes: 60), range(msk("2026-03-03 09:00")), range(msk("2026-03-03 09:30")),
            range(msk("2026-03-03 12:30"), minutes: 15), range(msk("2026-03-03 15:00")),
        ])
        #expect(merged == [range(msk("2026-03-03 09:00"), minutes: 60), range(msk("2026-03-03 12:00"), minutes: 60), range(msk("2026-03-03 15:00"))])
        #expect(BusyInterval.merged([]).isEmpty)
    }

    /// The offer walks every consultant's blocked time with a cursor; `freeConsultants` asks
    /// about one slot directly. On random schedules, busy time and bookings they must agree on
    /// every slot, or the offer would show slots that booking refuses (or hide bookable ones).
    @Test(arguments: 0..<40)
    func theOfferAgreesWithTheCheckOfEachSlot(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed) &+ 17)
        let zones = ["Europe/Moscow", "Europe/Berlin", "Asia/Yekaterinburg", "Europe/Kaliningrad"]
        let hourChoices: [WeeklyHours?] = [nil, hours("mon-fri 09:00-13:00"), hours("mon-wed 10:00-12:00 14:00-18:00, fri 08:00-20:00")]
        let consultants = (0..<4).map { index in
            Consultant(id: "c\(index)", name: "Consultant", timeZone: zones.randomElement(using: &random)!, schedule: ConsultantSchedule(
                hours: hourChoices.randomElement(using: &random)!,
                bufferBefore: TimeInterval([0, 10, 15, 30, 45].randomElement(using: &random)! * 60),
                bufferAfter: TimeInterval([0, 5, 30, 60].randomElement(using: &random)! * 60),
                dailyLimit: [nil, 1, 3, 6].randomElement(using: &random)!
            ))
        }
        let dayStart = msk("2026-03-03 08:00")
        func randomRange(maxMinutes: Int) -> DateTimeRange {
            let start = dayStart.addingTimeInterval(TimeInterval(Int.random(in: 0..<(4 * 24 * 12), using: &random) * 5 * 60))
            return range(start, minutes: Double(Int.random(in: 1...maxMinutes, using: &random) * 5))
        }
        var busy: [BusyInterval] = []
        for _ in 0..<30 {
            busy.append(BusyInterval(consultantId: "c\(Int.random(in: 0..<4, using: &random))", range: randomRange(maxMinutes: 30), source: "test"))
        }
        let timeOff = [TimeOff(consultantId: "c\(Int.random(in: 0..<4, using: &random))", range: randomRange(maxMinutes: 100), reason: "away")]
        var booked: Set<BookedSlot> = []
        for _ in 0..<12 {
            let slot = msk("2026-03-03 09:00").addingTimeInterval(TimeInterval(Int.random(in: 0..<(4 * 48), using: &random)) * 1800)
            booked.insert(BookedSlot(consultantId: "c\(Int.random(in: 0..<4, using: &random))", start: slot))
        }
        let availability = try availability(consultants, busy: busy, timeOff: timeOff)
        let offer = availability.slots(for: SlotQuery(from: date("2026-03-03"), days: 4), booked: booked, now: Self.now)
        let offered = Dictionary(uniqueKeysWithValues: offer.map { ($0.range.start, $0.freeConsultants) })
        for day in 0..<4 {
            for slot in try Fixture.calendar().slotGrid(on: date("2026-03-03").adding(days: day)) {
                let checked = (try? availability.freeConsultants(at: slot.start, booked: booked, now: Self.now)) ?? []
                #expect(offered[slot.start, default: []] == checked, "seed \(seed), slot \(ISO8601.local(slot.start, in: moscow))")
            }
        }
    }
}
