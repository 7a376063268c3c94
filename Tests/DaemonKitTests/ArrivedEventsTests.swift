import DaemonKit
import Testing

/// A follower slower than bookingd's stream: what waits for it is bounded, and what does not fit
/// is left to a catch-up by replay (the soak found notifyd holding its whole lag in memory).
@Suite struct ArrivedEventsTests {
    @Test func aFollowerBehindTheStreamKeepsAtMostItsCapacityAndAsksForAReplay() {
        let arrived = ArrivedEvents<Int>(capacity: 3)
        #expect(arrived.takeCatchUp(), "at first there is no starting point: a catch-up is due")
        #expect(!arrived.takeCatchUp())
        for event in 1...3 { arrived.arrive(event) }
        #expect(!arrived.takeCatchUp(), "three fit")
        arrived.arrive(4)
        #expect(arrived.takeCatchUp(), "the fourth does not fit: it comes by replay")
        #expect(!arrived.takeCatchUp())
        #expect(arrived.take(upTo: 10) == [1, 2, 3])
    }

    @Test func batchesAreTakenOldestFirstAndAtMostTheLimit() {
        let arrived = ArrivedEvents<Int>(capacity: 10)
        for event in 1...5 { arrived.arrive(event) }
        #expect(arrived.take(upTo: 2) == [1, 2])
        arrived.arrive(6)
        #expect(arrived.take(upTo: 10) == [3, 4, 5, 6])
        #expect(arrived.take(upTo: 10).isEmpty)
    }

    @Test func roomTakenIsRoomAgain() {
        let arrived = ArrivedEvents<Int>(capacity: 2)
        _ = arrived.takeCatchUp()
        for round in 0..<1_000 {
            arrived.arrive(2 * round)
            arrived.arrive(2 * round + 1)
            #expect(arrived.take(upTo: 1) == [2 * round])
            #expect(arrived.take(upTo: 1) == [2 * round + 1])
        }
        #expect(!arrived.takeCatchUp(), "nothing was let go")
    }
}
