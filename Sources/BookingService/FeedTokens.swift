import BookingDomain
import BookingProtocol
import Foundation

/// Whose bookings a feed holds: one consultant's, or the whole team's. `team` names the team's
/// in requests and tokens, so a consultant whose id is `team` has no feed of their own.
enum FeedScope: Hashable, Sendable, CustomStringConvertible {
    case team
    case consultant(String)

    /// nil for text that is neither `team` nor a consultant's id.
    init?(_ text: String) {
        if text == FeedScopeRequest.team {
            self = .team
        } else if Consultant.isValidId(text) {
            self = .consultant(text)
        } else {
            return nil
        }
    }

    var description: String {
        switch self {
        case .team: FeedScopeRequest.team
        case let .consultant(id): id
        }
    }

    /// The consultant whose appointments the feed holds; nil: everyone's.
    var consultantId: String? {
        switch self {
        case .team: nil
        case let .consultant(id): id
        }
    }
}

/// The last part of a feed's address, `<scope>.<generation>.<signature>`: the signature is an
/// HMAC of the scope and the generation under bookingd's confirmation key. Nothing of it is
/// stored: `feed_show` signs the current generation again, and a fetch is checked by signing what
/// the token says. A rotation moves the generation on, so the tokens of earlier ones, though
/// signed, are no longer served. The scope and the generation are in clear because bookingd needs
/// them to check the signature; the 128 bits of the signature are what cannot be guessed.
struct FeedToken: Hashable, Sendable, CustomStringConvertible {
    var scope: FeedScope
    var generation: Int
    /// 32 lower-case hex digits.
    var signature: String

    static let form = "<scope>.<generation>.<32 hex digits>"

    /// nil for text that does not have a token's form; whether bookingd signed it is
    /// `ConfirmationSigner.signed(_:)`'s to say.
    init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let scope = FeedScope(parts[0]),
              let generation = Int(parts[1]), generation >= 1, String(generation) == parts[1],
              parts[2].count == 32, parts[2].allSatisfy({ "0123456789abcdef".contains($0) }) else { return nil }
        self.init(scope: scope, generation: generation, signature: parts[2])
    }

    init(scope: FeedScope, generation: Int, signature: String) {
        self.scope = scope
        self.generation = generation
        self.signature = signature
    }

    var description: String { "\(scope).\(generation).\(signature)" }
}

extension ConfirmationSigner {
    /// The token of a feed's address at `generation`.
    func feedToken(_ scope: FeedScope, generation: Int) -> FeedToken {
        FeedToken(scope: scope, generation: generation, signature: Self.hex(mac("feed|\(scope)|\(generation)").prefix(16)))
    }

    /// Whether bookingd signed this token, compared in constant time. Whether its generation is
    /// still the feed's, and the feed still served, is for the caller to check.
    func signed(_ token: FeedToken) -> Bool {
        Self.equalInConstantTime(Array(token.signature.utf8), Array(feedToken(token.scope, generation: token.generation).signature.utf8))
    }
}
