@testable import DaemonKit
import NIOConcurrencyHelpers
import Testing
import ZeroMQ

/// The request server's memory of who each peer is: one look-up of the password and group files
/// per peer every two seconds, not one per request.
@Suite struct PeerIdentitiesTests {
    final class LookUps: Sendable {
        let count = NIOLockedValueBox(0)
        let admins = NIOLockedValueBox<Set<UInt32>>([])

        func identify(_ peer: ZMQPeer) -> PeerIdentity {
            count.withLockedValue { $0 += 1 }
            guard case let .unixUser(uid) = peer else { return PeerIdentity(name: "\(peer)", isKnownUser: false) }
            return PeerIdentity(name: "uid \(uid)", isAdmin: admins.withLockedValue { $0.contains(uid) })
        }
    }

    @Test func aPeerIsLookedUpOnceWhileItsIdentityIsFresh() {
        let lookUps = LookUps()
        let identities = PeerIdentities(freshFor: .seconds(2), lookUp: lookUps.identify)
        let start = ContinuousClock.now
        for step in 0..<100 {
            #expect(identities.identify(.unixUser(uid: 1000), now: start + .milliseconds(step * 10)).name == "uid 1000")
        }
        #expect(lookUps.count.withLockedValue { $0 } == 1)
        _ = identities.identify(.unixUser(uid: 1001), now: start)
        _ = identities.identify(.thisProcess, now: start)
        #expect(lookUps.count.withLockedValue { $0 } == 3, "each peer has its own entry")
    }

    @Test func aChangeOfGroupsCountsOnceTheEntryIsStale() {
        let lookUps = LookUps()
        let identities = PeerIdentities(freshFor: .seconds(2), lookUp: lookUps.identify)
        let start = ContinuousClock.now
        #expect(!identities.identify(.unixUser(uid: 1000), now: start).isAdmin)
        lookUps.admins.withLockedValue { _ = $0.insert(1000) }  // usermod -aG booking-admin
        #expect(!identities.identify(.unixUser(uid: 1000), now: start + .seconds(1)).isAdmin, "still fresh")
        #expect(identities.identify(.unixUser(uid: 1000), now: start + .seconds(2)).isAdmin)
        lookUps.admins.withLockedValue { $0 = [] }
        #expect(!identities.identify(.unixUser(uid: 1000), now: start + .seconds(4)).isAdmin, "and a removal as well")
    }

    @Test func manyPeersDoNotGrowItWithoutEnd() {
        let lookUps = LookUps()
        let identities = PeerIdentities(lookUp: lookUps.identify)
        let now = ContinuousClock.now
        for uid in 0..<UInt32(PeerIdentities.capacity) { _ = identities.identify(.unixUser(uid: uid), now: now) }
        _ = identities.identify(.unixUser(uid: 0), now: now)
        #expect(lookUps.count.withLockedValue { $0 } == PeerIdentities.capacity, "up to its capacity every peer is kept")
        _ = identities.identify(.unixUser(uid: UInt32(PeerIdentities.capacity)), now: now)
        _ = identities.identify(.unixUser(uid: 0), now: now)
        #expect(lookUps.count.withLockedValue { $0 } == PeerIdentities.capacity + 2, "one more, and the earlier ones are forgotten")
    }
}
