import BookingDomain
import BookingProtocol
import BookingStore
import CivilTime
import Crypto
import DaemonKit
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers

/// What proves that a booking's client got a message sent to them: an HMAC under bookingd's
/// confirmation key of the purpose, the reference and the end of its validity. So a token does
/// one thing for one booking only, is worth nothing once it ended, and is never stored. A held
/// booking's "please confirm" message carries one (with a six-digit form of it for typing in the
/// SMS code), and so does the link that confirms a client's request to export or erase their data.
/// The addresses of the calendar feeds are signed under the same key, for another purpose
/// (`FeedTokens.swift`).
struct ConfirmationSigner: Sendable {
    let key: SymmetricKey

    func confirmation(reference: BookingReference, expiresAt: Date) -> ConfirmationBody {
        ConfirmationBody(token: token(reference, expiresAt), code: code(reference, expiresAt))
    }

    /// Whether the request's token or code is the one issued for this hold.
    func accepts(token: String?, code: String?, reference: BookingReference, expiresAt: Date) -> Bool {
        if let token { return Self.equalInConstantTime(Array(token.utf8), Array(self.token(reference, expiresAt).utf8)) }
        if let code { return Self.equalInConstantTime(Array(code.utf8), Array(self.code(reference, expiresAt).utf8)) }
        return false
    }

    /// The token of the link that confirms `action` on the data of the client of `reference`.
    func dataRequestToken(_ action: DataRequestAction, reference: BookingReference, expiresAt: Date) -> String {
        Self.hex(mac("data-\(action.rawValue)", reference, expiresAt).prefix(16))
    }

    func acceptsDataRequest(token: String, action: DataRequestAction, reference: BookingReference, expiresAt: Date) -> Bool {
        Self.equalInConstantTime(Array(token.utf8), Array(dataRequestToken(action, reference: reference, expiresAt: expiresAt).utf8))
    }

    /// A consultant's links for marking the outcome of `reference`, good until `expiresAt`: one
    /// token per outcome, so the link for "attended" cannot mark a no-show.
    func outcomeLinks(reference: BookingReference, expiresAt: Date) -> OutcomeLinksBody {
        OutcomeLinksBody(expiresAt: expiresAt, attendedToken: outcomeToken(OutcomeName.attended, reference, expiresAt),
                         noShowToken: outcomeToken(OutcomeName.noShow, reference, expiresAt))
    }

    func acceptsOutcome(token: String, outcome: String, reference: BookingReference, expiresAt: Date) -> Bool {
        Self.equalInConstantTime(Array(token.utf8), Array(outcomeToken(outcome, reference, expiresAt).utf8))
    }

    private func outcomeToken(_ outcome: String, _ reference: BookingReference, _ expiresAt: Date) -> String {
        Self.hex(mac("outcome-\(outcome)", reference, expiresAt).prefix(16))
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    private func mac(_ purpose: String, _ reference: BookingReference, _ expiresAt: Date) -> [UInt8] {
        mac("\(purpose)|\(reference)|\(expiresAt.millisecondsSince1970)")
    }

    /// `message` begins with its purpose, so a token made for one purpose proves nothing for another.
    func mac(_ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key))
    }

    /// 128 bits as 32 lower-case hex digits: URL-safe as it is.
    private func token(_ reference: BookingReference, _ expiresAt: Date) -> String {
        Self.hex(mac("confirm-link", reference, expiresAt).prefix(16))
    }

    private func code(_ reference: BookingReference, _ expiresAt: Date) -> String {
        let number = mac("confirm-code", reference, expiresAt).prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } % 1_000_000
        return String(format: "%06u", number)
    }

    static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Whether clients' bookings are held now. `on` and `off` say so themselves; `automatic`
/// follows the rate of bookings by contacts bookingd does not know (none of their bookings was
/// ever confirmed through a hold or took place): above `on_above` in the window it holds, and
/// it stops only below `off_below`. Kept in memory: a restarted bookingd starts not holding
/// and switches on again within one window of the same traffic.
final class HoldSwitch: Sendable {
    private struct State {
        var holding = false
        var since: Date?
        /// When each recent booking by an unknown contact came, oldest first.
        var arrivals: [Date] = []
    }

    private let state = NIOLockedValueBox(State())
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Whether a client's booking made now is held.
    func holds(_ settings: BookingSettings) -> Bool {
        switch settings.confirmation {
        case .off: false
        case .on: true
        case .automatic: state.withLockedValue { $0.holding }
        }
    }

    /// A client's booking by an unknown contact, counted before it is decided whether to hold it.
    func recordUnknownContact(at now: Date, _ settings: BookingSettings) {
        state.withLockedValue { $0.arrivals.append(now) }
        reconsider(at: now, settings)
    }

    /// Switches on or off as the window's count says (every booking and every second).
    func reconsider(at now: Date, _ settings: BookingSettings) {
        let automatic = settings.automatic
        let change: (on: Bool, count: Int)? = state.withLockedValue { state in
            state.arrivals.removeAll { $0 <= now.addingTimeInterval(-automatic.window) }
            let count = state.arrivals.count
            let holding = settings.confirmation == .automatic && (state.holding ? count >= automatic.offBelow : count > automatic.onAbove)
            guard holding != state.holding else { return nil }
            state.holding = holding
            state.since = holding ? now : nil
            return (holding, count)
        }
        guard let change else { return }
        Gauge(label: "booking_holds_automatic_on").record(change.on ? 1 : 0)
        let window = "\(Int(automatic.window / 60)) min"
        if change.on {
            logger.warning("automatic confirmation switched on: clients' bookings are held until confirmed, and webd raises its proof of work",
                           metadata: ["unknown_contacts": "\(change.count)", "window": "\(window)", "on_above": "\(automatic.onAbove)"])
        } else {
            logger.notice("automatic confirmation switched off: clients' bookings are confirmed at once again",
                          metadata: ["unknown_contacts": "\(change.count)", "window": "\(window)", "off_below": "\(automatic.offBelow)"])
        }
    }

    /// For `bookctl status`.
    func describe(_ settings: BookingSettings) -> String {
        switch settings.confirmation {
        case .off: return "confirmation off"
        case .on: return "confirmation on (holds of \(Int(settings.holdDuration / 60)) min)"
        case .automatic:
            let (holding, since, count) = state.withLockedValue { ($0.holding, $0.since, $0.arrivals.count) }
            let window = "\(count) bookings by unknown contacts in the last \(Int(settings.automatic.window / 60)) min"
            guard holding, let since else { return "confirmation automatic: not holding (\(window))" }
            return "confirmation automatic: holding since \(ISO8601.instant(since)) (\(window))"
        }
    }
}

/// Guesses at each held booking's six-digit code: after `limit` the hold takes no more codes (a
/// code would otherwise fall to a patient bot), and its client uses the link, whose token cannot
/// be guessed and is never limited (a bot's wrong codes must not lock the client out).
final class ConfirmationGuesses: Sendable {
    static let limit = 5
    /// Grows to this many holds before those that ended are forgotten.
    static let tracked = 10_000
    private let taken = NIOLockedValueBox<[String: (count: Int, holdEnds: Date)]>([:])

    /// Takes one guess before the code is checked, so that guesses sent at once cannot all get
    /// past the limit; false once `limit` were taken for this hold.
    func take(_ reference: BookingReference, holdEnds: Date, now: Date) -> Bool {
        taken.withLockedValue { taken in
            if taken.count >= Self.tracked { taken = taken.filter { $0.value.holdEnds > now } }
            let key = reference.description
            let count = taken[key]?.count ?? 0
            guard count < Self.limit else { return false }
            taken[key] = (count + 1, holdEnds)
            return true
        }
    }
}

/// Releases every hold that ended unconfirmed, once a second on the suite's clock, and at start
/// for those that ended while bookingd was down. Each release is a change like any other
/// (history, audit, `booking.released` event); the store's transaction makes it happen once,
/// however often a hold is seen expired.
struct HoldReleaser: Sendable {
    let store: any BookingStore
    let publisher: EventPublisher
    let clock: SuiteClock
    let holdSwitch: HoldSwitch
    let settings: Reloadable<BookingSettings>
    let logger: Logger

    func tick() async {
        let now = clock.now()
        holdSwitch.reconsider(at: now, settings.value)
        do {
            var released = 0
            for reference in try await store.expiredHolds(at: now, limit: 500) {
                let context = CommandContext(command: "release", correlationId: UUID().uuidString.lowercased(), idempotencyKey: nil, digest: "",
                                             actor: .system, user: nil, now: now)
                do {
                    _ = try await store.apply(.release(reference: reference), context: context)
                    released += 1
                    Counter(label: "booking_changes_total", dimensions: [("kind", "released")]).increment()
                    logger.info("released a hold its client did not confirm", metadata: ["reference": "\(reference.masked)", "correlation_id": "\(context.correlationId)"])
                } catch let refusal as BookingRefusal {
                    // Confirmed or cancelled since it was read: nothing to release.
                    logger.debug("a hold was not released", metadata: ["reference": "\(reference.masked)", "reason": "\(refusal)"])
                }
            }
            if released > 0 { publisher.committed() }
        } catch {
            logger.warning("cannot release expired holds now; will try again", metadata: ["error": "\(error)"])
        }
    }
}
