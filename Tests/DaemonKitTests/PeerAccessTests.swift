import BookingProtocol
import DaemonKit
import Testing

/// The access table: who may send what, and whom the audit trail names.
@Suite struct PeerAccessTests {
    let alice = PeerIdentity(name: "alice")
    let admin = PeerIdentity(name: "bob", isAdmin: true)
    let root = PeerIdentity(name: "root", isAdmin: true)
    let webd = PeerIdentity(name: "booking-web", daemons: ["webd"])
    let notifyd = PeerIdentity(name: "booking-notify", daemons: ["notifyd"])
    let itself = PeerIdentity(name: "booking", isDaemonItself: true, daemons: ["bookingd", "availabilityd"])
    let remote = PeerIdentity(name: "an unidentified peer", isKnownUser: false)

    static let adminCommands = [
        MessageType.pause, MessageType.resume, MessageType.block, MessageType.unblock, MessageType.consultantAdd,
        MessageType.consultantRemove, MessageType.consultantEdit, MessageType.timeOffAdd, MessageType.timeOffRemove,
        MessageType.notifications, MessageType.notificationRetry, MessageType.testEmail, MessageType.reload,
        MessageType.backup, MessageType.debugStall, MessageType.feedShow, MessageType.feedRotate, MessageType.feedRevoke,
    ]
    static let clientCommands = [
        MessageType.book, MessageType.get, MessageType.reschedule, MessageType.cancel, MessageType.slots,
        MessageType.calendar, MessageType.checkSlot, MessageType.consultants, MessageType.ping, MessageType.metrics,
        MessageType.feed,
    ]
    static let followerQueries = [MessageType.list, MessageType.history, MessageType.replay, MessageType.snapshot]

    func allowed(_ type: String, _ peer: PeerIdentity) -> Bool {
        CommandAccess.refusal(of: type, from: peer, adminGroup: "booking-admin") == nil
    }

    @Test(arguments: adminCommands) func adminCommandsAreForAdminsAndTheDaemonItself(_ type: String) {
        #expect(CommandAccess.audience(of: type) == .admins(and: []))
        #expect(allowed(type, admin) && allowed(type, root) && allowed(type, itself))
        #expect(!allowed(type, alice) && !allowed(type, webd) && !allowed(type, notifyd) && !allowed(type, remote))
    }

    @Test(arguments: clientCommands) func clientCommandsAreForEveryoneWhoCanConnect(_ type: String) {
        for peer in [alice, admin, webd, notifyd, itself, remote] { #expect(allowed(type, peer)) }
    }

    @Test(arguments: followerQueries) func everyClientsContactsAreForTheFollowingDaemonsAndAdmins(_ type: String) {
        #expect(allowed(type, admin) && allowed(type, notifyd) && allowed(type, itself))
        #expect(!allowed(type, webd) && !allowed(type, alice))
    }

    @Test func aReminderIsMarkedSentOnlyByNotifyd() {
        #expect(allowed(MessageType.markReminderSent, notifyd))
        #expect(allowed(MessageType.markReminderSent, itself))
        for peer in [alice, admin, root, webd, remote] { #expect(!allowed(MessageType.markReminderSent, peer)) }
        #expect(CommandAccess.refusal(of: MessageType.markReminderSent, from: root, adminGroup: "booking-admin")
                == "only notifyd may send it, and root is not")
    }

    /// Events carry contacts masked; the full one is for the daemons that write to the person.
    @Test func aClientsFullContactIsForNotifydAndCalsyncdOnly() {
        let calsyncd = PeerIdentity(name: "booking-calsync", daemons: ["calsyncd"])
        #expect(CommandAccess.audience(of: MessageType.contact) == .daemons(["notifyd", "calsyncd"]))
        for peer in [notifyd, calsyncd, itself] { #expect(allowed(MessageType.contact, peer), "\(peer.name)") }
        for peer in [webd, admin, root, alice, remote] { #expect(!allowed(MessageType.contact, peer), "\(peer.name)") }
        #expect(CommandAccess.refusal(of: MessageType.contact, from: webd, adminGroup: "booking-admin")
                == "only calsyncd or notifyd may send it, and booking-web is not")
        #expect(CommandAccess.refusal(of: MessageType.contact, from: admin, adminGroup: "booking-admin")
                == "only calsyncd or notifyd may send it, and bob is not")
    }

    @Test func onlyAdminsAndTheDaemonsThatChangeBookingsForThemMayActAsAdminOrSystem() {
        let availabilityd = PeerIdentity(name: "booking", daemons: ["bookingd", "availabilityd"])
        for actor in ["admin", "system"] {
            for peer in [admin, root, itself, availabilityd] { #expect(CommandAccess.refusal(actingAs: actor, from: peer) == nil) }
            for peer in [alice, webd, notifyd, remote] { #expect(CommandAccess.refusal(actingAs: actor, from: peer) != nil, "\(peer.name) as \(actor)") }
        }
        for peer in [alice, webd, remote] { #expect(CommandAccess.refusal(actingAs: "client", from: peer) == nil) }
        #expect(CommandAccess.refusal(actingAs: "admin", from: webd)
                == "only admins, bookingd and availabilityd may act as admin, and booking-web is none of them")
    }

    @Test func everyMessageTypeOfTheContractIsInTheTable() {
        let all = Self.adminCommands + Self.clientCommands + Self.followerQueries + [MessageType.markReminderSent, MessageType.contact]
        #expect(Set(all).count == all.count, "each type once")
        #expect(CommandAccess.audience(of: "no_such_type") == .anyone, "the daemon answers unknown_type")
    }

    @Test func aRefusalNamesThePeerAndTheGroup() {
        #expect(CommandAccess.refusal(of: MessageType.block, from: alice, adminGroup: "booking-admin") == "alice is not in booking-admin")
        #expect(CommandAccess.refusal(of: MessageType.pause, from: remote, adminGroup: "booking-admin")?.contains("no OS identity") == true)
    }

    @Test func theAuditNamesTheOSUserAndBelievesAClaimOnlyFromTheDaemonItself() {
        #expect(CommandAccess.actingUser(claim: "mallory", peer: alice) == "alice")
        #expect(CommandAccess.actingUser(claim: nil, peer: admin) == "bob")
        #expect(CommandAccess.actingUser(claim: "root", peer: webd) == "booking-web")
        #expect(CommandAccess.actingUser(claim: "alice", peer: itself) == "alice", "availabilityd acting for the admin who forced a block")
        #expect(CommandAccess.actingUser(claim: nil, peer: itself) == "booking")
    }

    @Test func theAccessSectionNamesTheAdminGroupAndTheDaemonsUsers() throws {
        let text = "access:\n  admin_group: ops\n  daemon_users:\n    webd: www-booking\n"
        let configuration = try SuiteConfiguration.parse(text, file: "/etc/booking/booking.yaml")
        let access = try PeerAccess(configuration)
        #expect(access.adminGroup == "ops")
        #expect(access.daemonUsers["webd"] == "www-booking")
        #expect(access.daemonUsers["notifyd"] == "booking-notify", "the others keep the install's users")
        #expect(try PeerAccess(SuiteConfiguration.parse("log_level: info\n", file: "/x.yaml")) == PeerAccess())

        let unknown = try SuiteConfiguration.parse("access:\n  daemon_users:\n    mailer: x\n", file: "/x.yaml")
        #expect(throws: ConfigurationError.self) { try PeerAccess(unknown) }
    }

    @Test func rootIsAnAdminAndAnUnknownUidIsNamedByNumber() {
        let access = PeerAccess()
        #expect(access.identify(.unixUser(uid: 0)).isAdmin)
        #expect(access.identify(.unixUser(uid: 0)).name == "root")
        let stranger = access.identify(.unixUser(uid: 4_000_000))
        #expect(stranger.name == "uid 4000000" && !stranger.isAdmin && stranger.daemons.isEmpty)
        #expect(access.identify(.thisProcess).isDaemonItself)
        #expect(!access.identify(.unidentified).isKnownUser)
    }
}
