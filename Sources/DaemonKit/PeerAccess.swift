import BookingProtocol
import Foundation
import NIOConcurrencyHelpers
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// Who may send which message type: the one table. Every daemon's request socket checks it
/// against the sender's OS identity (never against the header's `user`, which is only a claim).
public enum CommandAccess {
    public enum Audience: Sendable, Equatable {
        /// Everyone who can open the socket (the `booking` group): what webd does for its
        /// clients, and queries of what the booking page shows anyway.
        case anyone
        /// Admins, and the daemons named (by the OS user each runs as).
        case admins(and: Set<String>)
        /// Only the daemons named: what one daemon tells another.
        case daemons(Set<String>)
    }

    public static func audience(of type: String) -> Audience {
        switch type {
        case MessageType.book, MessageType.get, MessageType.reschedule, MessageType.cancel,
             MessageType.slots, MessageType.calendar, MessageType.checkSlot, MessageType.consultants,
             MessageType.ping, MessageType.metrics, MessageType.confirm:
            .anyone
        // A client's own request about their data: asking only sends the link to their address,
        // and acting takes that link's token.
        case MessageType.sendDataLink, MessageType.clientExport, MessageType.clientErase:
            .anyone
        // A calendar feed's appointments: the token of its address is the proof (webd asks for
        // whoever fetches it); minting, showing and ending addresses is the admins'.
        case MessageType.feed:
            .anyone
        case MessageType.feedShow, MessageType.feedRotate, MessageType.feedRevoke:
            .admins(and: [])
        // An outcome: an admin marks it as themselves; anyone else only with the signed link a
        // consultant got by email (webd asks for whoever opened it), which bookingd checks.
        case MessageType.markOutcome:
            .anyone
        // The booking page's funnel: webd counts its visits.
        case MessageType.visitStep:
            .daemons(["webd"])
        case MessageType.report:
            .admins(and: [])
        // The token of that link, and the address it goes to.
        case MessageType.dataLink:
            .daemons(["notifyd"])
        // The contacts of every client: the daemons that follow bookings, and admins.
        case MessageType.list, MessageType.history, MessageType.replay, MessageType.snapshot:
            .admins(and: ["bookingd", "availabilityd", "notifyd"])
        case MessageType.markReminderSent:
            .daemons(["notifyd"])
        // One client's full contact, which events carry masked: for the daemons that write to
        // the person only (calsyncd's name is reserved for the calendar sync to come). Admins
        // read contacts with `get` and `list`; nobody else needs this look-up by event.
        case MessageType.contact:
            .daemons(["notifyd", "calsyncd"])
        // Busy time from consultants' own calendars: calsyncd hands it over, and may read it back.
        case MessageType.busyReplace:
            .daemons(["calsyncd"])
        case MessageType.busy:
            .admins(and: ["calsyncd"])
        // A conflict names a consultant and a booking's time: calsyncd tells notifyd, which tells them.
        case MessageType.calendarConflict:
            .daemons(["calsyncd"])
        case MessageType.pause, MessageType.resume, MessageType.block, MessageType.unblock,
             MessageType.consultantAdd, MessageType.consultantRemove, MessageType.consultantEdit,
             MessageType.timeOffAdd, MessageType.timeOffRemove, MessageType.notifications,
             MessageType.notificationRetry, MessageType.testEmail, MessageType.reload,
             MessageType.backup, MessageType.debugStall, MessageType.calendarConnect, MessageType.calendarDisconnect,
             MessageType.calendars, MessageType.calendarSync, MessageType.calendarConflicts:
            .admins(and: [])
        // One person's personal data, all of it, or its erasure (issue 13).
        case MessageType.export, MessageType.erase, MessageType.masterKey, MessageType.rotateMaster, MessageType.rotateMasterFinish:
            .admins(and: [])
        default:
            // Not a message of the contract: the daemon answers `unknown_type`.
            .anyone
        }
    }

    /// Why `peer` may not send `type` (nil if it may), in words that name both.
    public static func refusal(of type: String, from peer: PeerIdentity, adminGroup: String) -> String? {
        if peer.isDaemonItself { return nil }
        switch audience(of: type) {
        case .anyone:
            return nil
        case let .daemons(daemons):
            if peer.daemons.contains(where: { daemons.contains($0) }) { return nil }
            return "only \(daemons.sorted().joined(separator: " or ")) may send it, and \(peer.name) is not"
        case let .admins(and: daemons):
            if peer.isAdmin || peer.daemons.contains(where: { daemons.contains($0) }) { return nil }
            guard peer.isKnownUser else { return "\(peer.name) has no OS identity to be an admin by (only ipc:// peers have one)" }
            return "\(peer.name) is not in \(adminGroup)"
        }
    }

    /// Why `peer` may not make a change as `actor` (nil if it may). A client's change (the
    /// default) is anyone's; acting as an admin or as the system skips what binds clients (the
    /// hold, the per-contact limit), so it is for admins and for the daemons that change
    /// bookings for them (availabilityd's forced withdrawals), never for webd.
    public static func refusal(actingAs actor: String, from peer: PeerIdentity) -> String? {
        if actor == "client" || peer.isDaemonItself || peer.isAdmin || !peer.daemons.isDisjoint(with: actingDaemons) { return nil }
        return "only admins, bookingd and availabilityd may act as \(actor), and \(peer.name) is none of them"
    }

    static let actingDaemons: Set<String> = ["bookingd", "availabilityd"]

    /// Who the audit trail and the handlers see as the sender: its OS identity, whatever the
    /// header claims; only a peer of the daemon's own user (the daemon itself, acting for an
    /// admin as availabilityd does when a block cancels bookings) is believed.
    public static func actingUser(claim: String?, peer: PeerIdentity) -> String {
        guard let claim, peer.isDaemonItself else { return peer.name }
        return claim
    }
}

/// A peer as the access table sees it: a name for people and the roles its OS identity holds.
public struct PeerIdentity: Sendable, Equatable {
    /// The OS user name (or "uid N", or what else is known).
    public var name: String
    /// Same user as this daemon (or this very process): it could read the database anyway.
    public var isDaemonItself: Bool
    /// root, or a member of the admin group.
    public var isAdmin: Bool
    /// The daemons whose configured OS user this is.
    public var daemons: Set<String>
    /// The kernel vouched for an OS user (ipc://); false for a tcp:// peer without CURVE.
    public var isKnownUser: Bool

    /// The sender of the request being handled, as the request server identified it (nil
    /// outside a request).
    @TaskLocal public static var current: PeerIdentity?

    public init(name: String, isDaemonItself: Bool = false, isAdmin: Bool = false, daemons: Set<String> = [], isKnownUser: Bool = true) {
        self.name = name
        self.isDaemonItself = isDaemonItself
        self.isAdmin = isAdmin
        self.daemons = daemons
        self.isKnownUser = isKnownUser
    }
}

/// The `access:` section: who the admins are, and which OS user each daemon runs as. The
/// defaults are those script/install sets up.
public struct PeerAccess: Sendable, Equatable {
    public var adminGroup: String
    /// Daemon name -> the OS user it runs as.
    public var daemonUsers: [String: String]

    public static let defaultAdminGroup = "booking-admin"
    public static let defaultDaemonUsers = ["bookingd": "booking", "availabilityd": "booking", "notifyd": "booking-notify", "webd": "booking-web",
                                            "calsyncd": "booking-calendar"]

    public init(adminGroup: String = defaultAdminGroup, daemonUsers: [String: String] = defaultDaemonUsers) {
        self.adminGroup = adminGroup
        self.daemonUsers = daemonUsers
    }

    public init(_ configuration: SuiteConfiguration) throws(ConfigurationError) {
        let raw = try configuration.section("access", as: RawAccess.self)
        self.init(adminGroup: raw?.adminGroup ?? Self.defaultAdminGroup,
                  daemonUsers: Self.defaultDaemonUsers.merging(raw?.daemonUsers ?? [:]) { $1 })
        for daemon in daemonUsers.keys where Self.defaultDaemonUsers[daemon] == nil {
            throw ConfigurationError(file: configuration.file, key: "access.daemon_users.\(daemon)",
                                     problem: "is not a daemon of the suite (bookingd, availabilityd, notifyd, webd, calsyncd)")
        }
    }

    /// What the OS says about a peer: its user name, groups and whether it is this daemon's user.
    public func identify(_ peer: ZMQPeer) -> PeerIdentity {
        switch peer {
        case .thisProcess:
            return PeerIdentity(name: OSUser.current, isDaemonItself: true)
        case .unidentified:
            return PeerIdentity(name: "\(peer)", isKnownUser: false)
        case let .curveKey(name):
            return identify(curveKey: name)
        case let .unixUser(uid):
            let user = OSUser(uid: uid)
            let name = user?.name ?? "uid \(uid)"
            return PeerIdentity(
                name: name, isDaemonItself: uid == geteuid(),
                isAdmin: uid == 0 || (user?.isMember(of: adminGroup) ?? false),
                daemons: Set(daemonUsers.filter { $0.value == name }.keys)
            )
        }
    }
}

extension PeerAccess {
    /// A CURVE key a server admitted (`curve.admits`): a daemon's key names the daemon, and counts
    /// as its OS user would over ipc (the daemon itself when that is this daemon's user, as
    /// bookingd and availabilityd share `booking`); any other name is an admin's, by user name:
    /// the key pair identifies them instead of an OS user this host does not have.
    func identify(curveKey name: String) -> PeerIdentity {
        guard let user = daemonUsers[name] else { return PeerIdentity(name: name, isAdmin: true) }
        return PeerIdentity(name: name, isDaemonItself: user == OSUser.current, daemons: [name])
    }
}

/// Who each peer is, as `PeerAccess.identify` says, looked up at most once every `freshFor`.
/// A look-up reads and parses the password and group files (nss `files`), which cost more than
/// the rest of a cached slot query: done for every request, it halved availabilityd's throughput
/// at 100 concurrent clients. A change of a user's groups counts within `freshFor`.
final class PeerIdentities: Sendable {
    static let defaultFreshness: Duration = .seconds(2)
    /// Users of this machine are few; the bound only keeps a mistake from growing without end.
    static let capacity = 1024

    private let lookUp: @Sendable (ZMQPeer) -> PeerIdentity
    private let freshFor: Duration
    private let known = NIOLockedValueBox<[ZMQPeer: (identity: PeerIdentity, at: ContinuousClock.Instant)]>([:])

    init(freshFor: Duration = defaultFreshness, lookUp: @escaping @Sendable (ZMQPeer) -> PeerIdentity) {
        self.freshFor = freshFor
        self.lookUp = lookUp
    }

    func identify(_ peer: ZMQPeer, now: ContinuousClock.Instant = .now) -> PeerIdentity {
        if let entry = known.withLockedValue({ $0[peer] }), now - entry.at < freshFor { return entry.identity }
        let identity = lookUp(peer)
        known.withLockedValue { known in
            if known.count >= Self.capacity { known.removeAll() }
            known[peer] = (identity, now)
        }
        return identity
    }
}

private struct RawAccess: Decodable {
    var adminGroup: String?
    var daemonUsers: [String: String]?
    enum CodingKeys: String, CodingKey { case adminGroup = "admin_group", daemonUsers = "daemon_users" }
}
