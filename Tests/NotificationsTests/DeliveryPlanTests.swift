import BookingProtocol
import Foundation
import Notifications
import Testing

@Suite struct DeliveryPlanTests {
    func event(_ kind: EventKind, phone: String = "+79161234567") -> EventBody {
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let appointment = AppointmentBody(
            reference: "BK-7Q2M-8XKD-4R1T-9WZC-G", id: "a1", clientId: "c1", consultantId: "anna", start: start, end: start.addingTimeInterval(1800),
            status: kind == .cancelled ? "cancelled" : "confirmed", contact: ContactBody(name: "Иван", email: "ivan@example.com", phone: phone),
            timeZone: "Asia/Tokyo", locale: "ru", createdAt: start, updatedAt: start, reminderSent: false, revision: 0
        )
        return EventBody(sequence: 7, id: "e7", kind: kind, occurredAt: start, appointment: appointment, actor: "client")
    }

    @Test func aBookingTellsTheClientTheConsultantAndTheTeam() {
        let plan = DeliveryPlan(sms: true, chat: true)
        let planned = plan.deliveries(for: event(.created), consultantsWithEmail: ["anna"])
        #expect(planned.map(\.id) == ["e7.client-confirmation.email", "e7.client-confirmation.sms", "e7.consultant-created.email", "e7.team-created.chat"])
        #expect(planned.map(\.audience) == [.client, .client, .consultant, .team])
    }

    @Test func eachChangeHasItsOwnPurposes() {
        let plan = DeliveryPlan(sms: false, chat: true)
        #expect(plan.deliveries(for: event(.rescheduled), consultantsWithEmail: ["anna"]).map(\.purpose) == [.clientRescheduled, .consultantRescheduled, .teamRescheduled])
        #expect(plan.deliveries(for: event(.cancelled), consultantsWithEmail: []).map(\.purpose) == [.clientCancelled, .teamCancelled])
        for kind in [EventKind.attended, .noShow, .reminderSent] {
            #expect(plan.deliveries(for: event(kind), consultantsWithEmail: ["anna"]).isEmpty)
        }
    }

    @Test func smsOnlyWhenOnAndAPhoneIsGiven() {
        #expect(!DeliveryPlan(sms: false, chat: false).deliveries(for: event(.created), consultantsWithEmail: []).contains { $0.channel == .sms })
        #expect(!DeliveryPlan(sms: true, chat: false).deliveries(for: event(.created, phone: ""), consultantsWithEmail: []).contains { $0.channel == .sms })
    }

    @Test func aRemindersIdNamesItsTime() {
        let plan = DeliveryPlan(sms: true, chat: true)
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let first = plan.reminders(appointmentId: "a1", start: start, phone: "+79161234567")
        #expect(first.map(\.id) == ["reminder.a1.1790000000000.email", "reminder.a1.1790000000000.sms"])
        let moved = plan.reminders(appointmentId: "a1", start: start.addingTimeInterval(1800), phone: "+79161234567")
        #expect(Set(first.map(\.id)).isDisjoint(with: moved.map(\.id)))
        let withConsultant = plan.reminders(appointmentId: "a1", start: start, phone: "", consultantHasEmail: true)
        #expect(withConsultant.map(\.id) == ["reminder.a1.1790000000000.email", "reminder.a1.1790000000000.consultant"])
        #expect(withConsultant.map(\.purpose) == [.clientReminder, .consultantReminder] && withConsultant.last?.audience == .consultant)
    }
}

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(initialDelay: 10, maximumDelay: 300, giveUpAfter: 3600, jitter: 0.2)
    let first = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func backsOffExponentiallyUpToTheMaximum() {
        let delays = (1...8).map { attempts in
            policy.nextAttempt(afterAttempts: attempts, firstAttemptAt: first, now: first, random: 0.5)!.timeIntervalSince(first)
        }
        #expect(delays == [10, 20, 40, 80, 160, 300, 300, 300])
    }

    @Test func jitterStaysWithinItsFraction() {
        let low = policy.nextAttempt(afterAttempts: 1, firstAttemptAt: first, now: first, random: 0)!.timeIntervalSince(first)
        let high = policy.nextAttempt(afterAttempts: 1, firstAttemptAt: first, now: first, random: 0.999_999)!.timeIntervalSince(first)
        #expect(low == 8)
        #expect(high > 11.99 && high <= 12)
    }

    @Test func aServersRetryAfterIsHonoured() {
        let next = policy.nextAttempt(afterAttempts: 1, firstAttemptAt: first, now: first, retryAfter: 120, random: 0.5)!
        #expect(next.timeIntervalSince(first) == 120)
    }

    @Test func givesUpPastTheAge() {
        let late = first.addingTimeInterval(3500)
        #expect(policy.nextAttempt(afterAttempts: 9, firstAttemptAt: first, now: late, random: 0.5) == nil)
        #expect(policy.nextAttempt(afterAttempts: 9, firstAttemptAt: first, now: first.addingTimeInterval(3000), random: 0.5) != nil)
    }
}

@Suite struct ReminderRuleTests {
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func dueALeadBeforeTheStart() {
        let rule = ReminderRule(lead: 86_400)
        #expect(rule.due(start: start, changedAt: start.addingTimeInterval(-3 * 86_400)) == start.addingTimeInterval(-86_400))
    }

    @Test func aBookingInsideTheLeadGetsNoneUnlessConfigured() {
        let booked = start.addingTimeInterval(-3600)
        #expect(ReminderRule(lead: 86_400).due(start: start, changedAt: booked) == nil)
        #expect(ReminderRule(lead: 86_400, insideLead: true).due(start: start, changedAt: booked) == booked)
    }

    @Test func nothingForAnAppointmentAlreadyBegun() {
        #expect(ReminderRule(lead: 86_400, insideLead: true).due(start: start, changedAt: start) == nil)
        #expect(!ReminderRule().stillUseful(start: start, now: start))
        #expect(ReminderRule().stillUseful(start: start, now: start.addingTimeInterval(-1)))
    }
}
