import BookingDomain
import Foundation
import Testing

@Suite struct ConsentTests {
    let now = Date(timeIntervalSince1970: 1_796_000_000)

    @Test func processingIsAlwaysRecordedAndMarketingOnlyWhenTicked() throws {
        let without = try ConsentRecord.validated(notice: "policy-ru.md@sha256:0123456789abcdef", givenAt: now, address: "203.0.113.x", marketing: false)
        #expect(without == [ConsentRecord(purpose: .processing, notice: "policy-ru.md@sha256:0123456789abcdef", givenAt: now, address: "203.0.113.x")])
        let with = try ConsentRecord.validated(notice: " 2026-11-01 ", givenAt: now, address: "2001:db8:1234::/48", marketing: true)
        #expect(with.map(\.purpose) == [.processing, .marketing])
        #expect(with.allSatisfy { $0.notice == "2026-11-01" && $0.address == "2001:db8:1234::/48" })
        #expect(try ConsentRecord.validated(notice: "v1", givenAt: now, address: nil, marketing: false).first?.address == nil)
    }

    @Test(arguments: ["", "   ", String(repeating: "v", count: 201), "v1\nforged", "v1\u{202E}", "v1\u{200B}"])
    func aNoticeThatIsNotOnePrintableLineIsRefused(notice: String) {
        #expect(throws: ConsentError.self) { try ConsentRecord.validated(notice: notice, givenAt: now, address: nil, marketing: false) }
    }

    @Test(arguments: ["203.0.113.7", "2001:db8::1", "2001:db8::/96", "203.0.113.x\n", "", "ivan@example.com", "203.0.x", "::/129"])
    func anAddressThatIsNotMaskedIsRefused(address: String) {
        #expect(throws: ConsentError.self) { try ConsentRecord.validated(notice: "v1", givenAt: now, address: address, marketing: false) }
    }

    @Test(arguments: ["203.0.113.x", "127.0.0.x", "2001:db8:1234::/48", "::/0", "fe80::/64"])
    func maskedAddressesAreTaken(address: String) throws {
        #expect(try ConsentRecord.validated(notice: "v1", givenAt: now, address: address, marketing: false).count == 1)
    }
}
