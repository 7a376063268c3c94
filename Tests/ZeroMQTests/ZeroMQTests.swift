import Foundation
import Synchronization
import Testing
@testable import ZeroMQ

@Suite(.timeLimit(.minutes(1)))
struct PatternTests {
    @Test func reqRepRoundTrip() async throws {
        try await withContext { ctx in
            let ep = ipcEndpoint("reqrep")
            let rep = try ctx.socket(.rep, label: "rep")
            try await rep.bind(ep)
            let req = try ctx.socket(.req, label: "req")
            try await req.connect(ep)

            let server = Task {
                for await message in rep.messages {
                    try await rep.send([b("echo:")] + message)
                }
            }
            for i in 0..<20 {
                let reply = try await req.request([b("hello"), b("\(i)")], timeout: .seconds(10))
                #expect(reply == [b("echo:"), b("hello"), b("\(i)")])
            }
            await req.close()
            await rep.close()
            try await server.value  // the stream finishes on close
        }
    }

    @Test func routerDealerRoundTripWithIdentity() async throws {
        try await withContext { ctx in
            let ep = inprocEndpoint("rd")
            let router = try ctx.socket(.router)
            try await router.bind(ep)
            var o = SocketOptions()
            o.identity = b("client-1")
            let dealer = try ctx.socket(.dealer, options: o)
            try await dealer.connect(ep)

            try await dealer.send([b("ping"), b("payload")])
            let got = try await router.receive(timeout: .seconds(10))
            #expect(got == [b("client-1"), b("ping"), b("payload")])

            try await router.send([got[0], b("pong")])
            let reply = try await dealer.receive(timeout: .seconds(10))
            #expect(reply == [b("pong")])
        }
    }

    @Test func pubSubTopicFiltering() async throws {
        try await withContext { ctx in
            let ep = ipcEndpoint("pubsub")
            let pub = try ctx.socket(.pub)
            try await pub.bind(ep)
            var o = SocketOptions()
            o.subscriptions = [b("weather")]
            let sub = try ctx.socket(.sub, options: o)
            try await sub.connect(ep)

            // Slow joiner: keep publishing until the subscription has propagated.
            var first: [[UInt8]]? = nil
            for _ in 0..<200 where first == nil {
                try await pub.send([b("news"), b("ignored")])
                try await pub.send([b("weather"), b("sunny")])
                first = try? await sub.receive(timeout: .milliseconds(50))
            }
            #expect(first == [b("weather"), b("sunny")])

            // From now on only "weather" gets through.
            for i in 0..<10 {
                try await pub.send([b("news"), b("n\(i)")])
                try await pub.send([b("weather"), b("w\(i)")])
            }
            var seen: [[[UInt8]]] = []
            while let m = try? await sub.receive(timeout: .milliseconds(500)) { seen.append(m) }
            #expect(!seen.isEmpty)
            #expect(seen.allSatisfy { $0[0] == b("weather") })
            #expect(seen.suffix(10).map { str($0[1]) } == (0..<10).map { "w\($0)" })

            // Runtime subscribe.
            try await sub.subscribe(b("news"))
            var news: [[UInt8]]? = nil
            for _ in 0..<200 where news == nil {
                try await pub.send([b("news"), b("now")])
                news = try? await sub.receive(timeout: .milliseconds(50))
            }
            #expect(news == [b("news"), b("now")])
        }
    }

    @Test func largeFrameAndManyFrames() async throws {
        try await withContext { ctx in
            let ep = ipcEndpoint("large")
            var o = SocketOptions()
            o.maxMessageSize = 8 << 20
            let pull = try ctx.socket(.pull, options: o)
            try await pull.bind(ep)
            let push = try ctx.socket(.push, options: o)
            try await push.connect(ep)

            var big = [UInt8](repeating: 0, count: 5 * 1024 * 1024)
            for i in big.indices { big[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
            try await push.send([big])
            let got = try await pull.receive(timeout: .seconds(20))
            #expect(got.count == 1)
            #expect(got[0].count == big.count)
            #expect(got[0] == big)

            let frames = (0..<100).map { i in [UInt8](repeating: UInt8(i), count: i * 37) }
            try await push.send(frames)
            let many = try await pull.receive(timeout: .seconds(20))
            #expect(many == frames)
        }
    }

    @Test func sendsAreQueuedAtHighWaterMarkNotDropped() async throws {
        try await withContext { ctx in
            let ep = ipcEndpoint("hwm")
            var o = SocketOptions()
            o.sendHighWaterMark = 1
            o.receiveHighWaterMark = 1
            let push = try ctx.socket(.push, options: o)
            try await push.connect(ep)  // nothing bound yet: libzmq would block (EAGAIN)
            let sender = Task {
                for i in 0..<200 { try await push.send([b("m\(i)")]) }
            }
            try await Task.sleep(for: .milliseconds(100))
            let pull = try ctx.socket(.pull, options: o)
            try await pull.bind(ep)
            var received: [String] = []
            for _ in 0..<200 {
                received.append(str(try await pull.receive(timeout: .seconds(10))[0]))
            }
            try await sender.value
            #expect(received == (0..<200).map { "m\($0)" })
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct LimitAndErrorTests {
    @Test func maxMessageSizeExceededIsDropped() async throws {
        try await withContext { ctx in
            let ep = ipcEndpoint("maxsize")
            var small = SocketOptions()
            small.maxMessageSize = 1024
            let pull = try ctx.socket(.pull, options: small)
            try await pull.bind(ep)
            let push = try ctx.socket(.push, options: unlimited)
            try await push.connect(ep)

            // A single 4 KB frame: libzmq (ZMQ_MAXMSGSIZE) disconnects the sender.
            try await push.send([[UInt8](repeating: 1, count: 4096)])
            await #expect(throws: ZMQSocketError.timeout) {
                _ = try await pull.receive(timeout: .milliseconds(500))
            }
            // The pair recovers (the sender reconnects); only small messages ever arrive.
            var got: [[UInt8]]? = nil
            for _ in 0..<100 where got == nil {
                try await push.send([b("small")])
                got = try? await pull.receive(timeout: .milliseconds(100))
            }
            #expect(got == [b("small")])
            while let m = try? await pull.receive(timeout: .milliseconds(200)) { #expect(m == [b("small")]) }

            // Every frame below the limit but the total above it: dropped by the wrapper.
            try await push.send([[UInt8](repeating: 2, count: 600), [UInt8](repeating: 3, count: 600)])
            try await push.send([b("after")])
            #expect(try await pull.receive(timeout: .seconds(10)) == [b("after")])
            #expect(pull.droppedOversizedMessages == 1)

            // Our own limit is enforced on send, too.
            let limited = try ctx.socket(.push, options: small)
            try await limited.connect(ep)
            await #expect(throws: ZMQSocketError.messageTooLarge(2000)) {
                try await limited.send([[UInt8](repeating: 0, count: 2000)])
            }
        }
    }

    @Test func requestTimeoutAndStaleReplyDiscarded() async throws {
        try await withContext { ctx in
            let ep = ipcEndpoint("timeout")
            let rep = try ctx.socket(.rep)
            try await rep.bind(ep)
            let req = try ctx.socket(.req)
            try await req.connect(ep)

            let (signal, fire) = AsyncStream<Void>.makeStream()
            let server = Task {
                let first = try await rep.receive(timeout: .seconds(20))
                #expect(first == [b("r1")])
                for await _ in signal { break }      // answer only after the client gave up
                try await rep.send([b("late reply to r1")])
                let second = try await rep.receive(timeout: .seconds(20))
                #expect(second == [b("r2")])
                try await rep.send([b("reply to r2")])
            }

            await #expect(throws: ZMQSocketError.timeout) {
                _ = try await req.request([b("r1")], timeout: .milliseconds(300))
            }
            fire.yield()
            let reply = try await req.request([b("r2")], timeout: .seconds(20))
            #expect(reply == [b("reply to r2")])
            try await server.value
        }
    }

    @Test func requestAgainstSilentServerTimesOut() async throws {
        try await withContext { ctx in
            let ep = inprocEndpoint("silent")
            let router = try ctx.socket(.router)
            try await router.bind(ep)
            let req = try ctx.socket(.req)
            try await req.connect(ep)
            let start = ContinuousClock.now
            await #expect(throws: ZMQSocketError.timeout) {
                _ = try await req.request([b("anyone?")], timeout: .milliseconds(200))
            }
            #expect(ContinuousClock.now - start >= .milliseconds(200))
            // The request did reach the server.
            let got = try await router.receive(timeout: .seconds(10))
            #expect(got.last == b("anyone?"))
        }
    }

    @Test func invalidBindSurfacesErrno() async throws {
        try await withContext { ctx in
            let s = try ctx.socket(.rep)
            do {
                try await s.bind("bogus://nowhere")
                Issue.record("bind should fail")
            } catch let e as ZMQError {
                #expect(e.code == EPROTONOSUPPORT)
                #expect(e.operation == "zmq_bind(bogus://nowhere)")
                #expect(e.description.contains("zmq_bind(bogus://nowhere)"))
                #expect(e.description.contains("Protocol not supported"))
            }
            do {
                try await s.bind("ipc:///nonexistent-dir-\(UUID().uuidString)/sock")
                Issue.record("bind should fail")
            } catch let e as ZMQError {
                #expect(e.code == ENOENT)
            }
            // (ipc:// would silently take over the socket file, so use inproc:// for EADDRINUSE.)
            let ep = inprocEndpoint("inuse")
            try await s.bind(ep)
            #expect(s.lastEndpoint == ep)
            let wildcard = try ctx.socket(.rep)
            try await wildcard.bind("ipc://*")
            #expect(wildcard.lastEndpoint?.hasPrefix("ipc://") == true)
            let other = try ctx.socket(.rep)
            await #expect(throws: ZMQError(code: EADDRINUSE, operation: "zmq_bind(\(ep))")) {
                try await other.bind(ep)
            }
        }
    }

    @Test func routerMandatoryReportsHostUnreachable() async throws {
        try await withContext { ctx in
            var o = SocketOptions()
            o.routerMandatory = true
            let router = try ctx.socket(.router, options: o)
            try await router.bind(inprocEndpoint("mandatory"))
            do {
                try await router.send([b("nobody"), b("hello")])
                Issue.record("send should fail")
            } catch let e as ZMQError {
                #expect(e.isHostUnreachable)
                #expect(e.code == EHOSTUNREACH)
            }
        }
    }

    @Test func routerMandatoryRetriesAtHighWaterMark() async throws {
        try await withContext { ctx in
            let ep = ipcEndpoint("mandatory-hwm")
            var ro = SocketOptions()
            ro.routerMandatory = true
            ro.sendHighWaterMark = 1
            let router = try ctx.socket(.router, options: ro)
            try await router.bind(ep)
            var d = SocketOptions()
            d.identity = b("slow")
            d.receiveHighWaterMark = 1
            let dealer = try ctx.socket(.dealer, options: d)
            try await dealer.connect(ep)
            try await dealer.send([b("hello")])  // makes the identity known to the router
            _ = try await router.receive(timeout: .seconds(10))

            // 2000 messages of 1 KB cannot all fit into HWM 1 + socket buffers: EAGAIN, retried.
            let payload = [UInt8](repeating: 7, count: 1024)
            let sender = Task {
                for i in 0..<2000 { try await router.send([b("slow"), b("\(i)"), payload]) }
            }
            for i in 0..<2000 {
                let m = try await dealer.receive(timeout: .seconds(20))
                #expect(str(m[0]) == "\(i)")
            }
            try await sender.value
        }
    }

    @Test func ipcFilePermissions() async throws {
        try await withContext { ctx in
            var o = SocketOptions()
            o.ipcFilePermissions = 0o600
            let s = try ctx.socket(.pull, options: o)
            let ep = ipcEndpoint("perm")
            try await s.bind(ep)
            let attributes = try FileManager.default.attributesOfItem(atPath: String(ep.dropFirst(6)))
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
    }

    @Test func cancellationResumesWaiters() async throws {
        try await withContext { ctx in
            let pull = try ctx.socket(.pull)
            try await pull.bind(inprocEndpoint("cancel"))
            let waiting = Task { try await pull.receive(timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(50))
            waiting.cancel()
            await #expect(throws: CancellationError.self) { _ = try await waiting.value }

            let req = try ctx.socket(.req)
            try await req.connect(inprocEndpoint("nobody-home"))
            let request = Task { try await req.request([b("x")], timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(50))
            request.cancel()
            await #expect(throws: CancellationError.self) { _ = try await request.value }
        }
    }

    @Test func closedSocketRejectsOperations() async throws {
        try await withContext { ctx in
            let s = try ctx.socket(.dealer)
            let pending = Task { try await s.receive(timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(20))
            await s.close()
            await s.close()  // idempotent
            await #expect(throws: ZMQSocketError.closed) { _ = try await pending.value }
            await #expect(throws: ZMQSocketError.closed) { try await s.send([b("x")]) }
            await #expect(throws: ZMQSocketError.closed) { try await s.connect("inproc://x") }
            #expect(ctx.openSocketCount == 0)
        }
    }

    @Test func heartbeatAdvancesWhileIdle() async throws {
        try await withContext { ctx in
            let s = try ctx.socket(.sub)
            let first = s.lastHeartbeat
            try await Task.sleep(for: .milliseconds(1200))
            #expect(s.lastHeartbeat > first)
            #expect(ContinuousClock.now - s.lastHeartbeat < .seconds(5))
            #expect(ctx.oldestHeartbeat != nil)
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct RequesterAndShutdownTests {
    static let correlation: @Sendable ([[UInt8]]) -> String? = { frames in
        frames.first.map { str($0) }
    }

    @Test func requesterMatchesOutOfOrderReplies() async throws {
        try await withContext { ctx in
            let ep = ipcEndpoint("requester")
            let router = try ctx.socket(.router, label: "echo")
            try await router.bind(ep)

            // Echo server that answers in batches, in reverse (and shuffled) order.
            let server = Task {
                var batch: [[[UInt8]]] = []
                for await m in router.messages {
                    batch.append(m)
                    if batch.count == 20 {
                        for (k, r) in batch.reversed().shuffled().enumerated() {
                            // [identity, correlation id, body] -> [identity, correlation id, "re:" + body]
                            try await router.send([r[0], r[1], b("re:") + r[2] + b("#\(k)")])
                        }
                        batch.removeAll()
                    }
                }
            }

            let requester = try await ZMQRequester(context: ctx, endpoint: ep, correlationID: Self.correlation)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        let id = "req-\(i)"
                        let reply = try await requester.request([b(id), b("body-\(i)")], correlationID: id, timeout: .seconds(30))
                        #expect(reply.count == 2)
                        #expect(str(reply[0]) == id)
                        #expect(str(reply[1]).hasPrefix("re:body-\(i)#"))
                    }
                }
                try await group.waitForAll()
            }
            await requester.close()
            await router.close()
            try await server.value
        }
    }

    @Test func requesterTimeoutDiscardsLateReply() async throws {
        try await withContext { ctx in
            let ep = inprocEndpoint("requester-timeout")
            let router = try ctx.socket(.router)
            try await router.bind(ep)
            let requester = try await ZMQRequester(context: ctx, endpoint: ep, correlationID: Self.correlation)

            await #expect(throws: ZMQSocketError.timeout) {
                _ = try await requester.request([b("slow"), b("1")], correlationID: "slow", timeout: .milliseconds(200))
            }
            let slow = try await router.receive(timeout: .seconds(10))
            try await router.send([slow[0], b("slow"), b("late")])  // discarded

            async let fast = requester.request([b("fast"), b("2")], correlationID: "fast", timeout: .seconds(20))
            let f = try await router.receive(timeout: .seconds(10))
            #expect(f.dropFirst().map { $0 } == [b("fast"), b("2")])
            try await router.send([f[0], b("fast"), b("ok")])
            #expect(try await fast == [b("fast"), b("ok")])

            // The id is free again after the timeout; a duplicate in-flight id is refused.
            async let again = requester.request([b("slow"), b("3")], correlationID: "slow", timeout: .seconds(20))
            let a = try await router.receive(timeout: .seconds(10))
            do {
                _ = try await requester.request([b("slow"), b("4")], correlationID: "slow", timeout: .seconds(1))
                Issue.record("duplicate correlation id accepted")
            } catch let e as ZMQError {
                #expect(e.code == EALREADY)
            }
            try await router.send([a[0], b("slow"), b("fresh")])
            #expect(try await again == [b("slow"), b("fresh")])
        }
    }

    @Test func shutdownWithRequestsInFlight() async throws {
        let ctx = try ZMQContext()
        let ep = ipcEndpoint("shutdown")
        let router = try ctx.socket(.router, label: "blackhole")
        try await router.bind(ep)
        let received = Atomic<Int>(0)
        let server = Task {
            var n = 0
            for await _ in router.messages {
                n += 1
                received.store(n, ordering: .relaxed)
            }
            return n
        }
        let requester = try await ZMQRequester(context: ctx, endpoint: ep, correlationID: Self.correlation)
        let req = try ctx.socket(.req)
        try await req.connect(ep)
        let pull = try ctx.socket(.pull)
        try await pull.bind(inprocEndpoint("idle"))
        var immediate = SocketOptions()
        immediate.immediate = true
        let push = try ctx.socket(.push, options: immediate)
        try await push.connect(ipcEndpoint("unbound"))  // no peer: the send stays queued (EAGAIN)

        let outcomes = Task {
            try await withThrowingTaskGroup(of: (any Error)?.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await requester.request([b("r\(i)")], correlationID: "r\(i)", timeout: .seconds(60))
                            return nil
                        } catch { return error }
                    }
                }
                group.addTask {
                    do { _ = try await req.request([b("q")], timeout: .seconds(60)); return nil } catch { return error }
                }
                group.addTask {
                    do { _ = try await pull.receive(timeout: .seconds(60)); return nil } catch { return error }
                }
                group.addTask {
                    do { try await push.send([b("stuck")]); return nil } catch { return error }
                }
                var errors: [(any Error)?] = []
                for try await e in group { errors.append(e) }
                return errors
            }
        }
        // Wait until the server has seen every request (generous bound).
        let deadline = ContinuousClock.now + .seconds(20)
        while received.load(ordering: .relaxed) < 21 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(received.load(ordering: .relaxed) == 21)

        await ctx.shutdown()
        await ctx.shutdown()  // idempotent

        let errors = try await outcomes.value
        #expect(errors.count == 23)
        for e in errors {
            let z = e as? ZMQError
            #expect(z?.isTerminated == true, "unexpected outcome \(String(describing: e))")
        }
        #expect(await server.value == 21)  // the stream finished
        #expect(ctx.openSocketCount == 0)
        #expect(throws: ZMQError.self) { _ = try ctx.socket(.req) }
        await #expect(throws: ZMQError.self) { try await req.send([b("after")]) }
    }

    @Test func concurrentShutdownCallsAllReturn() async throws {
        let ctx = try ZMQContext()
        var sockets: [ZMQSocket] = []
        for i in 0..<8 {
            let s = try ctx.socket(i % 2 == 0 ? .dealer : .sub)
            try await s.connect(inprocEndpoint("x"))
            sockets.append(s)
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { await ctx.shutdown() } }
        }
        #expect(ctx.isShutDown)
        #expect(ctx.openSocketCount == 0)
        for s in sockets { #expect(s.isClosed) }
    }
}
