import ArgumentParser
import BookingProtocol
import CivilTime
import Foundation
import WebFrontend

/// `bookctl feeds show|rotate|revoke CONSULTANT|team`: the private calendar feeds of bookings,
/// whose addresses staff subscribe to in Outlook, Apple Calendar or Google Calendar.
struct FeedsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feeds", abstract: "Private calendar feeds of bookings: a consultant's, or the team's ('team').",
        discussion: "Subscribe to the address in a calendar application (docs/operations.md). Anyone who has it sees the feed: rotate it if it leaks.",
        subcommands: [Show.self, Rotate.self, Revoke.self])

    struct Show: FeedScopeCommand {
        static let configuration = CommandConfiguration(abstract: "The feed's address (exit 1 while it is revoked).")
        static let message = MessageType.feedShow
        @OptionGroup var options: FeedScopeOptions
    }

    struct Rotate: FeedScopeCommand {
        static let configuration = CommandConfiguration(
            abstract: "A new address for the feed; the one before stops working. Serves a revoked feed again.")
        static let message = MessageType.feedRotate
        @OptionGroup var options: FeedScopeOptions
    }

    struct Revoke: FeedScopeCommand {
        static let configuration = CommandConfiguration(abstract: "Stops the feed: its address answers 404 until the feed is rotated.")
        static let message = MessageType.feedRevoke
        @OptionGroup var options: FeedScopeOptions
    }
}

/// What each of the three commands takes: the feed, and the options every command takes.
struct FeedScopeOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A consultant's id, or 'team'.") var scope: String
}

/// The three commands: one message to bookingd about one feed, and its address printed.
protocol FeedScopeCommand: AsyncParsableCommand {
    static var message: String { get }
    var options: FeedScopeOptions { get }
}

extension FeedScopeCommand {
    func run() async throws {
        try await FeedAddress.send(options.global, Self.message, options.scope)
    }
}

/// What the three commands print: the feed's address on webd's public URL, or that it is revoked.
enum FeedAddress {
    struct Shown: Encodable {
        var scope: String
        var url: String?
        var generation: Int
        var revoked: Bool
        var revokedAt: Date?
    }

    static func send(_ global: GlobalOptions, _ type: String, _ scope: String) async throws {
        let suite = try Suite.open(global)
        let web: WebConfiguration
        do {
            web = try WebConfiguration.load(from: suite.configuration)
        } catch {
            throw CommandFailure(message: "configuration error: \(error)", code: Exit.usage)
        }
        let state: FeedStateReply = try await suite.call("bookingd", type, FeedScopeRequest(scope: scope))
        let url = state.token.map { web.feedURL(token: $0) }
        if type == MessageType.feedShow, state.revoked {
            throw CommandFailure(message: "the feed of \(state.scope) is revoked\(state.revokedAt.map { " (since \(ISO8601.instant($0)))" } ?? ""); "
                                 + "`bookctl feeds rotate \(state.scope)` serves it again at a new address", code: Exit.refused)
        }
        if global.json {
            Output.json(Shown(scope: state.scope, url: url, generation: state.generation, revoked: state.revoked, revokedAt: state.revokedAt))
        } else if let url {
            Output.line("\(url)")
            if type == MessageType.feedRotate { Output.error("the feed's earlier address no longer works") }
        } else {
            Output.line("the feed of \(state.scope) is revoked: its address answers 404; `bookctl feeds rotate \(state.scope)` serves it again at a new address")
        }
    }
}
