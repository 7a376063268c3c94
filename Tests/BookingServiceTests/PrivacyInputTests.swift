import BookingDomain
import BookingProtocol
@testable import BookingService
import DaemonKit
import Testing

/// What `export` and `erase` accept, and the `privacy:` section.
@Suite struct PrivacyInputTests {
    @Test func exactlyOneWayToNameThePerson() throws {
        #expect(try PrivacyInput.subject(DataSubjectRequest(email: "Ivan@Example.COM")) == .email("Ivan@example.com"))
        #expect(try PrivacyInput.subject(DataSubjectRequest(phone: "+7 (916) 123-45-67")) == .phone("+79161234567"))
        let reference = BookingReference.random()
        #expect(try PrivacyInput.subject(DataSubjectRequest(reference: reference.description.lowercased())) == .reference(reference))
        for request in [DataSubjectRequest(), DataSubjectRequest(email: "a@example.com", phone: "+79161234567"),
                        DataSubjectRequest(email: "a@example.com", reference: reference.description)] {
            #expect(throws: ProtocolError.self) { try PrivacyInput.subject(request) }
        }
    }

    @Test func malformedValuesAreRefusedByTheirField() {
        #expect(throws: ValidationError.self) { try PrivacyInput.subject(DataSubjectRequest(email: "not-an-email")) }
        #expect(throws: ValidationError.self) { try PrivacyInput.subject(DataSubjectRequest(phone: "12")) }
        do {
            _ = try PrivacyInput.subject(DataSubjectRequest(reference: "BK-nope"))
            Issue.record("a bad reference was accepted")
        } catch let error as ProtocolError {
            #expect(error.code == .invalidReference && error.field == "reference")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func theReasonIsOneShortLine() throws {
        #expect(try PrivacyInput.reason(nil) == "erasure requested")
        #expect(try PrivacyInput.reason("  по просьбе клиента ") == "по просьбе клиента")
        for bad in ["", "   ", "two\nlines", String(repeating: "x", count: 501)] {
            #expect(throws: ProtocolError.self) { try PrivacyInput.reason(bad) }
        }
    }

    @Test func retentionDaysDefaultToThirtyAndMayNotExceedIt() throws {
        let none = try SuiteConfiguration.parse("bookings: {}\n", file: "/etc/booking/booking.yaml")
        #expect(try PrivacySettings.load(none).retention.days == 30)
        #expect(PrivacySettings.defaultApplied(none)?.contains("30 days") == true)
        let seven = try SuiteConfiguration.parse("privacy: {retention_days: 7}\n", file: "/etc/booking/booking.yaml")
        #expect(try PrivacySettings.load(seven).retention.days == 7)
        #expect(PrivacySettings.defaultApplied(seven) == nil)
        for bad in [-1, 31, 365] {
            let configuration = try SuiteConfiguration.parse("privacy: {retention_days: \(bad)}\n", file: "/etc/booking/booking.yaml")
            #expect(throws: ConfigurationError.self) { try PrivacySettings.load(configuration) }
        }
    }
}
