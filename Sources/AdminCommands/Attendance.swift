import ArgumentParser
import BookingProtocol

/// `bookctl attended REF` and `bookctl no-show REF`: the outcome of a consultation, after its start.
struct Attended: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mark a consultation attended (after its start).",
        discussion: "A consultation marked a no-show before is corrected; both marks stay in its history."
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The booking reference.") var reference: String
    @Option(help: "A note for the history (at most 500 characters).") var note: String?

    func run() async throws {
        try await OutcomeMark.send(OutcomeName.attended, reference: reference, note: note, global: global)
    }
}

struct NoShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "no-show",
        abstract: "Mark a consultation as a no-show (after its start).",
        discussion: "A consultation marked attended before is corrected; both marks stay in its history."
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The booking reference.") var reference: String
    @Option(help: "A note for the history (at most 500 characters).") var note: String?

    func run() async throws {
        try await OutcomeMark.send(OutcomeName.noShow, reference: reference, note: note, global: global)
    }
}

enum OutcomeMark {
    static func send(_ outcome: String, reference: String, note: String?, global: GlobalOptions) async throws {
        let suite = try Suite.open(global)
        let body: AppointmentBody = try await suite.call(
            "bookingd", MessageType.markOutcome, MarkOutcomeRequest(reference: reference, outcome: outcome, note: note), idempotent: true)
        if global.json {
            Output.json(Output.AppointmentJSON(body, zone: suite.calendarZone))
        } else {
            Output.line("\(body.reference) marked \(outcome == OutcomeName.noShow ? "a no-show" : "attended")")
        }
    }
}
