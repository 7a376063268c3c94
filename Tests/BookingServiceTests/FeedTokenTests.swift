import Crypto
import Foundation
import Testing
@testable import BookingService

/// A feed's token: its form, and which tokens bookingd's signature accepts.
@Suite struct FeedTokenTests {
    let signer = ConfirmationSigner(key: SymmetricKey(data: Array(repeating: UInt8(7), count: 32)))

    @Test func aTokenIsItsScopeGenerationAndSignatureAndReadsBackAsItself() throws {
        let token = signer.feedToken(.consultant("anna"), generation: 3)
        #expect(token.description.hasPrefix("anna.3."))
        #expect(token.signature.count == 32)
        #expect(FeedToken(parsing: token.description) == token)
        let team = signer.feedToken(.team, generation: 1)
        #expect(team.description.hasPrefix("team.1."))
        #expect(FeedToken(parsing: team.description)?.scope == .team)
        #expect(signer.feedToken(.consultant("anna"), generation: 3) == token, "the same token whenever it is signed again")
    }

    @Test(arguments: [
        "", "anna", "anna.1", "anna.1.0123456789abcdef0123456789abcdef.x", "anna..0123456789abcdef0123456789abcdef",
        "anna.0.0123456789abcdef0123456789abcdef", "anna.01.0123456789abcdef0123456789abcdef", "anna.+1.0123456789abcdef0123456789abcdef",
        "anna.-1.0123456789abcdef0123456789abcdef", "anna.1.0123456789ABCDEF0123456789abcdef", "anna.1.0123456789abcdef0123456789abcde",
        "anna.1.0123456789abcdef0123456789abcdefa", "anna.1.0123456789abcdeg0123456789abcdef", "an na.1.0123456789abcdef0123456789abcdef",
        "anna/x.1.0123456789abcdef0123456789abcdef", ".1.0123456789abcdef0123456789abcdef", "анна.1.0123456789abcdef0123456789abcdef",
    ])
    func textOfAnotherFormIsNoToken(_ text: String) {
        #expect(FeedToken(parsing: text) == nil, "\(text)")
    }

    @Test func onlyTheSignedScopeAndGenerationAreAccepted() throws {
        let token = signer.feedToken(.consultant("anna"), generation: 2)
        #expect(signer.signed(token))
        var otherScope = token
        otherScope.scope = .consultant("boris")
        #expect(!signer.signed(otherScope), "anna's signature does not open boris's feed")
        var team = token
        team.scope = .team
        #expect(!signer.signed(team), "nor the team's")
        var otherGeneration = token
        otherGeneration.generation = 3
        #expect(!signer.signed(otherGeneration), "nor the next generation's")
        for index in token.signature.indices {
            var tampered = token
            let digit = token.signature[index]
            tampered.signature.replaceSubrange(index...index, with: digit == "0" ? "1" : "0")
            #expect(!signer.signed(tampered), "one digit changed at \(token.signature.distance(from: token.signature.startIndex, to: index))")
        }
        let otherKey = ConfirmationSigner(key: SymmetricKey(data: Array(repeating: UInt8(8), count: 32)))
        #expect(!otherKey.signed(token), "another bookingd's key")
    }

    @Test func aFeedTokenIsNoOtherLinksToken() {
        // The same key signs the confirmation and data-request links: the purpose keeps them apart.
        let token = signer.feedToken(.consultant("anna"), generation: 1)
        #expect(token.signature != ConfirmationSigner.hex(signer.mac("data-export|anna|1").prefix(16)))
        #expect(token.signature == ConfirmationSigner.hex(signer.mac("feed|anna|1").prefix(16)))
    }

    @Test func theTeamIsAScopeAndAConsultantIsOneByAValidId() {
        #expect(FeedScope("team") == .team)
        #expect(FeedScope("anna-b_2") == .consultant("anna-b_2"))
        #expect(FeedScope("anna.b") == nil)
        #expect(FeedScope("") == nil)
        #expect(FeedScope(String(repeating: "a", count: 65)) == nil)
    }
}
