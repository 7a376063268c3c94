import Foundation
import Testing
@testable import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// The context's ZAP handler and the peer each message carries, over real sockets.
@Suite(.timeLimit(.minutes(1)))
struct PeerIdentificationTests {
    func firstMessage(from endpoint: String, in context: ZMQContext, router: ZMQSocket) async throws -> IdentifiedMessage {
        let dealer = try context.socket(.dealer, label: "dealer")
        try await dealer.connect(endpoint)
        try await dealer.send([b("hello")])
        var messages = router.identifiedMessages.makeAsyncIterator()
        let message = try #require(await messages.next())
        await dealer.close()
        return message
    }

    func identifyingRouter(_ context: ZMQContext, _ endpoint: String) async throws -> ZMQSocket {
        var options = SocketOptions()
        options.identifiesPeers = true
        let router = try context.socket(.router, options: options, label: "router")
        try await router.bind(endpoint)
        return router
    }

    @Test func anIpcPeerIsTheUserItsProcessRunsAs() async throws {
        try await withContext { context in
            let endpoint = ipcEndpoint("peer")
            let router = try await identifyingRouter(context, endpoint)
            let message = try await firstMessage(from: endpoint, in: context, router: router)
            #expect(message.peer == .unixUser(uid: geteuid()))
            #expect(message.frames.last == b("hello"))
        }
    }

    @Test func anInprocPeerIsThisProcessAndATcpPeerIsUnidentified() async throws {
        try await withContext { context in
            let inproc = inprocEndpoint("peer")
            let router = try await identifyingRouter(context, inproc)
            #expect(try await firstMessage(from: inproc, in: context, router: router).peer == .thisProcess)

            // A second identifying socket shares the context's one ZAP handler.
            let tcp = try await identifyingRouter(context, "tcp://127.0.0.1:*")
            let endpoint = try #require(tcp.lastEndpoint)
            #expect(try await firstMessage(from: endpoint, in: context, router: tcp).peer == .unidentified)
        }
    }

    @Test func theHandlerNamesTheUidOfAUnixPeerAndNothingElse() {
        #expect(ZAPHandler.userID(address: "localhost:1001:1001:4242") == "unix:1001")
        #expect(ZAPHandler.userID(address: ":1001:1001:4242") == "unix:1001")
        #expect(ZAPHandler.userID(address: "2001:db8:0:0") == "", "an IPv6 peer is no uid")
        #expect(ZAPHandler.userID(address: "::0:0:1") == "")
        #expect(ZAPHandler.userID(address: "127.0.0.1") == "")
        #expect(ZAPHandler.userID(address: ":x:1:2") == "")
        let reply = ZAPHandler.reply(to: [b("1.0"), b("7"), b("peers"), b(":0:0:1"), [], b("NULL")])
        #expect(reply.map(str) == ["1.0", "7", "200", "OK", "unix:0", ""])
        #expect(ZAPHandler.reply(to: [b("2.0"), b("7")]).map(str)[2] == "400")
        #expect(ZAPHandler.peer(userID: "unix:33", hasPeerProperties: true) == .unixUser(uid: 33))
        #expect(ZAPHandler.peer(userID: nil, hasPeerProperties: true) == .unidentified)
        #expect(ZAPHandler.peer(userID: nil, hasPeerProperties: false) == .thisProcess)
    }
}
