import Foundation
import PhoneNumbers
import Testing
@testable import BookingDomain

@Suite("Contact validation")
struct ContactInfoTests {
    static let name = "Анна Петрова", email = "anna@example.com", phone = "+79161234567"

    @Test("accepted names are trimmed", arguments: [
        ("Анна Петрова", "Анна Петрова"),
        ("  Jörg Müller \n", "Jörg Müller"),
        ("李小龙", "李小龙"),
        ("Seán O'Brien-Smith", "Seán O'Brien-Smith"),
        ("Ёлкина Татьяна Юрьевна", "Ёлкина Татьяна Юрьевна"),
        (String(repeating: "Я", count: 100), String(repeating: "Я", count: 100)),
    ])
    func goodNames(raw: String, normalised: String) throws {
        #expect(try ContactInfo.validatedName(raw) == normalised)
        #expect(try ContactInfo.validated(name: raw, email: Self.email, phone: Self.phone).name == normalised)
    }

    @Test("rejected names", arguments: [
        ("", "name must not be empty"),
        ("   \t ", "name must not be empty"),
        (String(repeating: "Я", count: 101), "name must be at most 100 characters (got 101)"),
        ("Анна\nПетрова", "name must not contain control characters such as line breaks or tabs"),
        ("Anna\u{0007}", "name must not contain control characters such as line breaks or tabs"),
        ("Anna\u{2028}Petrova", "name must not contain control characters such as line breaks or tabs"),
    ])
    func badNames(raw: String, message: String) throws {
        let error = try #require(throws: ValidationError.self) { try ContactInfo.validatedName(raw) }
        #expect(error.field == .name && error.message == message)
        #expect(throws: error) { try ContactInfo.validated(name: raw, email: Self.email, phone: Self.phone) }
    }

    @Test("each rule of a name has its kind", arguments: [
        ("", ValidationError.Kind.empty), (String(repeating: "Я", count: 101), .tooLong(maximum: 100)), ("Анна\tПетрова", .controlCharacter),
    ])
    func nameKinds(raw: String, kind: ValidationError.Kind) throws {
        #expect(try #require(throws: ValidationError.self) { try ContactInfo.validatedName(raw) }.kind == kind)
    }

    /// Characters that are not shown but reorder or hide text: bidi embeddings, overrides and
    /// isolates, zero-width spaces and joiners, marks, word joiners, invisible operators, the BOM.
    static let invisible: [Unicode.Scalar] = [
        "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{202E}", "\u{2066}", "\u{2067}", "\u{2068}", "\u{2069}",
        "\u{200B}", "\u{200C}", "\u{200D}", "\u{200E}", "\u{200F}", "\u{2060}", "\u{2061}", "\u{2062}", "\u{2063}", "\u{2064}",
        "\u{FEFF}", "\u{00AD}",
    ]

    @Test("names and companies refuse invisible format characters, naming the one found", arguments: invisible)
    func invisibleCharactersAreRefused(scalar: Unicode.Scalar) throws {
        let code = "U+" + String(repeating: "0", count: max(0, 4 - String(scalar.value, radix: 16).count)) + String(scalar.value, radix: 16, uppercase: true)
        let name = try #require(throws: ValidationError.self) { try ContactInfo.validatedName("Анна\(Character(scalar))Петрова") }
        #expect(name.field == .name && name.kind == .invisibleCharacter)
        #expect(name.message.contains("(found \(code))"), "\(name.message)")
        let company = try #require(throws: ValidationError.self) { try ContactInfo.validatedCompany("ООО \(Character(scalar))Ромашка") }
        #expect(company.field == .company && company.kind == .invisibleCharacter)
        #expect(throws: name) { try ContactInfo.validated(name: "Ан\(Character(scalar))на", email: Self.email, phone: Self.phone) }
    }

    @Test func namesInOtherScriptsAndWithMarksStayAccepted() throws {
        #expect(try ContactInfo.validatedName("محمد علي") == "محمد علي")
        #expect(try ContactInfo.validatedName("José Ñúñez") == "José Ñúñez")
        #expect(try ContactInfo.validatedName("李小龍") == "李小龍")
    }

    @Test("accepted emails: trimmed, domain lowercased", arguments: [
        ("anna@example.com", "anna@example.com"),
        (" Anna.Petrova@Example.COM ", "Anna.Petrova@example.com"),
        ("ivan+sales@mail.ru", "ivan+sales@mail.ru"),
        ("o'brien@sub.example.co.uk", "o'brien@sub.example.co.uk"),
        ("анна@пример.РФ", "анна@пример.рф"),
        ("a@b.co", "a@b.co"),
        ("x@my-company.io", "x@my-company.io"),
    ])
    func goodEmails(raw: String, normalised: String) throws {
        #expect(try ContactInfo.validatedEmail(raw) == normalised)
        #expect(try ContactInfo.validated(name: Self.name, email: raw, phone: Self.phone).email == normalised)
    }

    @Test("rejected emails", arguments: [
        ("", "email must not be empty"),
        ("anna", "email must have the form name@domain, e.g. anna@example.com"),
        ("anna@", "email must have the form name@domain, e.g. anna@example.com"),
        ("@example.com", "email must have the form name@domain, e.g. anna@example.com"),
        ("a@b@example.com", "email must have the form name@domain, e.g. anna@example.com"),
        ("anna@example", "email's domain must contain a dot, e.g. example.com"),
        ("anna@example..com", "email's domain must not start or end with a dot or have two dots in a row"),
        ("anna@.example.com", "email's domain must not start or end with a dot or have two dots in a row"),
        ("anna@example.com.", "email's domain must not start or end with a dot or have two dots in a row"),
        (".anna@example.com", "email's part before @ must not start or end with a dot or have two dots in a row"),
        ("an..na@example.com", "email's part before @ must not start or end with a dot or have two dots in a row"),
        ("an na@example.com", "email's part before @ must not contain spaces"),
        ("anna,p@example.com", "email's part before @ must not contain \",\""),
        ("anna@exa_mple.com", "email's domain must not contain \"_\""),
        ("anna@exa mple.com", "email's domain must not contain spaces"),
        ("anna@-example.com", "email's domain parts must not start or end with a hyphen"),
        ("anna@example-.com", "email's domain parts must not start or end with a hyphen"),
        ("anna@192.168.0.1", "email's top-level domain must not be all digits"),
        (String(repeating: "a", count: 65) + "@example.com", "email's part before @ must be at most 64 characters (got 65)"),
        ("anna@" + String(repeating: "b", count: 64) + ".com", "email's domain part \"bbbbbbbbbbbbbbbbbbbb...\" must be at most 63 characters"),
        ("anna@" + String(repeating: "b.", count: 124) + "com", "email must be at most 254 characters (got 256)"),
    ])
    func badEmails(raw: String, message: String) throws {
        let error = try #require(throws: ValidationError.self) { try ContactInfo.validatedEmail(raw) }
        #expect(error.field == .email && error.message == message)
        let kind: ValidationError.Kind = raw.isEmpty ? .empty : raw.count > 254 ? .tooLong(maximum: 254) : .malformed
        #expect(error.kind == kind, "\(raw)")
        #expect(throws: error) { try ContactInfo.validated(name: Self.name, email: raw, phone: Self.phone) }
    }

    @Test("accepted phones become E.164", arguments: [
        ("+7 (916) 123-45-67", nil, "+79161234567"),
        ("+79161234567", nil, "+79161234567"),
        ("  +7 916 123 45 67 ", "GB", "+79161234567"),
        ("+7\u{00A0}916\u{00A0}1234567", nil, "+79161234567"),
        ("8 916 123-45-67", "RU", "+79161234567"),
        ("916 123 45 67", "RU", "+79161234567"),
        ("810 44 20 7946 0958", "RU", "+442079460958"),
        ("07400 123456", "GB", "+447400123456"),
        // The issue's case: a national UK number typed after +44.
        ("+44 07400 123456", nil, "+447400123456"),
        ("00 44 20 7946 0958", "DE", "+442079460958"),
        ("+1.201.555.0123", nil, "+12015550123"),
        ("(201) 555-0123", "US", "+12015550123"),
        ("+49 (30) 1234-5678", nil, "+493012345678"),
        ("030 12345678", "DE", "+493012345678"),
    ] as [(String, String?, String)])
    func goodPhones(raw: String, region: String?, normalised: String) throws {
        #expect(try ContactInfo.validatedPhone(raw, region: region) == normalised)
        #expect(try ContactInfo.validated(name: Self.name, email: Self.email, phone: raw, phoneRegion: region).phone == normalised)
    }

    @Test("rejected phones say what is wrong and show the expected form", arguments: [
        ("8 916 123-45-67", nil, .invalidCountryCode, nil, "phone number must start with + and a country code, e.g. +7 916 123-45-67"),
        ("9161234567", nil, .invalidCountryCode, nil, "phone number must start with + and a country code, e.g. +7 916 123-45-67"),
        ("+999 123 456 789", "GB", .invalidCountryCode, "GB", "phone number must start with + and a country code, e.g. +44 7400 123456, or 07400 123456 within GB"),
        ("+7 916 123 45 6", "RU", .tooShort, "RU", "phone number is too short for RU: e.g. +7 912 345-67-89, or 8 (912) 345-67-89 within RU"),
        ("07400 1234567", "GB", .tooLong, "GB", "phone number is too long for GB: e.g. +44 7400 123456, or 07400 123456 within GB"),
        // A UK number read as Russian: its own country's example is shown.
        ("07400 123456", "RU", .invalidForRegion, "RU", "phone number is not a valid number in RU: e.g. +7 912 345-67-89, or 8 (912) 345-67-89 within RU"),
        ("+44 7700 900123", "RU", .invalidForRegion, "GB", "phone number is not a valid number in GB: e.g. +44 7400 123456, or 07400 123456 within GB"),
        ("8 800 555-35-35", "RU", .wrongType(.tollFree), "RU", "phone number must be one a person answers, not a toll-free number: e.g. +7 912 345-67-89, or 8 (912) 345-67-89 within RU"),
        ("0909 879 0000", "GB", .wrongType(.premiumRate), "GB", "phone number must be one a person answers, not a premium-rate number: e.g. +44 7400 123456, or 07400 123456 within GB"),
        ("abc", "GB", .notANumber, "GB", "phone number must be digits with spaces, dashes or parentheses, e.g. +44 7400 123456, or 07400 123456 within GB"),
        ("916 123 45 67", "XX", .unknownRegion, "XX", "phone region 'XX' is not a region code such as RU or GB"),
    ] as [(String, String?, PhoneNumberError.Reason, String?, String)])
    func badPhones(raw: String, region: String?, reason: PhoneNumberError.Reason, whose: String?, message: String) throws {
        let error = try #require(throws: ValidationError.self) { try ContactInfo.validatedPhone(raw, region: region) }
        #expect(error.field == .phone && error.message == message)
        #expect(error.kind == .phoneNumber(PhoneNumberError(reason, region: whose)))
        #expect(throws: error) { try ContactInfo.validated(name: Self.name, email: Self.email, phone: raw, phoneRegion: region) }
    }

    @Test func anEmptyPhoneIsMissingNotMalformed() {
        for raw in ["", " \n "] {
            #expect(throws: ValidationError(field: .phone, kind: .empty, message: "phone number must not be empty")) {
                try ContactInfo.validatedPhone(raw, region: "RU")
            }
        }
    }

    @Test func storedPhonesAreHeldToE164Only() throws {
        // Refused by today's numbering plan (Ofcom's drama range), kept readable once stored.
        #expect(try ContactInfo.restored(name: "Anna", email: "a@example.com", phone: "+447700900123", company: nil).phone == "+447700900123")
        for stored in ["+7 916 123-45-67", "89161234567", "+0123456789", "+1234567", "+1234567890123456", "+7916123456x"] {
            #expect(throws: ValidationError.self, "\(stored)") {
                try ContactInfo.restored(name: "Anna", email: "a@example.com", phone: stored, company: nil)
            }
        }
        #expect(throws: ValidationError(field: .name, kind: .empty, message: "name must not be empty")) {
            try ContactInfo.restored(name: " ", email: "a@example.com", phone: "+79161234567", company: nil)
        }
    }

    @Test func company() throws {
        #expect(try ContactInfo.validatedCompany(nil) == nil)
        #expect(try ContactInfo.validatedCompany(" \n ") == nil)
        #expect(try ContactInfo.validatedCompany(" ACME ") == "ACME")
        #expect(throws: ValidationError(field: .company, kind: .tooLong(maximum: 200), message: "company must be at most 200 characters (got 201)")) {
            try ContactInfo.validatedCompany(String(repeating: "x", count: 201))
        }
        #expect(throws: ValidationError(field: .company, kind: .controlCharacter, message: "company must not contain control characters such as line breaks or tabs")) {
            try ContactInfo.validatedCompany("ACME\nLtd")
        }
        #expect(try ContactInfo.validated(name: Self.name, email: Self.email, phone: Self.phone).company == nil)
        #expect(try ContactInfo.validated(name: Self.name, email: Self.email, phone: Self.phone, company: "   ").company == nil)
        #expect(try ContactInfo.validated(name: Self.name, email: Self.email, phone: Self.phone, company: " ООО «Ромашка» ").company == "ООО «Ромашка»")
        #expect(try ContactInfo.validated(name: Self.name, email: Self.email, phone: Self.phone, company: String(repeating: "x", count: 200)).company?.count == 200)
        #expect(throws: ValidationError(field: .company, kind: .tooLong(maximum: 200), message: "company must be at most 200 characters (got 201)")) {
            try ContactInfo.validated(name: Self.name, email: Self.email, phone: Self.phone, company: String(repeating: "x", count: 201))
        }
        #expect(throws: ValidationError(field: .company, kind: .controlCharacter, message: "company must not contain control characters such as line breaks or tabs")) {
            try ContactInfo.validated(name: Self.name, email: Self.email, phone: Self.phone, company: "ACME\tLtd")
        }
    }

    @Test func theFirstBadFieldIsReported() {
        #expect(throws: ValidationError(field: .name, kind: .empty, message: "name must not be empty")) {
            try ContactInfo.validated(name: "", email: "bad", phone: "bad")
        }
        #expect(throws: ValidationError(field: .phone, kind: .phoneNumber(PhoneNumberError(.invalidCountryCode, region: nil)),
                                        message: "phone number must start with + and a country code, e.g. +7 916 123-45-67")) {
            try ContactInfo.validated(name: "Анна", email: "anna@example.com", phone: "89161234567", company: String(repeating: "x", count: 300))
        }
    }

    @Test func eachFieldIsCheckedOnItsOwnWhenAFormWantsEveryError() throws {
        let bad = ContactInfo.validatingEachField(name: " ", email: "anna@", phone: "89161234567", company: String(repeating: "x", count: 201))
        #expect(bad.contact == nil)
        #expect(bad.errors.map(\.field) == [.name, .email, .phone, .company])
        #expect(bad.errors.map(\.kind) == [.empty, .malformed, .phoneNumber(PhoneNumberError(.invalidCountryCode, region: nil)), .tooLong(maximum: 200)])
        let national = ContactInfo.validatingEachField(name: "Anna", email: "anna@example.com", phone: "07400 123456", phoneRegion: "GB", company: nil)
        #expect(national.contact?.phone == "+447400123456")
        let one = ContactInfo.validatingEachField(name: "Анна", email: "anna@example.com", phone: "+7 916", company: nil)
        #expect(one.contact == nil && one.errors.map(\.field) == [.phone])
        let good = ContactInfo.validatingEachField(name: " Анна ", email: "Anna@Example.COM", phone: "+7 916 123-45-67", company: " ")
        #expect(good.errors.isEmpty)
        #expect(good.contact == (try ContactInfo.validated(name: "Анна", email: "Anna@example.com", phone: "+79161234567")))
    }

    @Test func normalisedValuesPassUnchanged() throws {
        let first = try ContactInfo.validated(name: " Анна Петрова ", email: "Anna@Example.COM", phone: "+7 (916) 123-45-67", company: " ACME ")
        let second = try ContactInfo.validated(name: first.name, email: first.email, phone: first.phone, company: first.company)
        #expect(first == second)
        #expect(first.email == "Anna@example.com" && first.phone == "+79161234567" && first.company == "ACME")
    }

    @Test func maskedForLogs() throws {
        let contact = try ContactInfo.validated(name: "Анна Петрова", email: "anna@example.com", phone: "+7 (916) 123-45-67")
        #expect(contact.maskedEmail == "a***@example.com")
        #expect(contact.maskedPhone == "+7916*****67")
        #expect(contact.maskedName == "А*** П***")
        #expect(contact.masked == "А*** П*** <a***@example.com> +7916*****67")
        let short = try ContactInfo.validated(name: "Li", email: "x@y.cn", phone: "+4930123456")
        #expect(short.maskedPhone == "+4930****56")
        #expect(short.maskedEmail == "x***@y.cn")
    }

    @Test func codableRevalidates() throws {
        let contact = try ContactInfo.validated(name: "Анна", email: "anna@example.com", phone: "+79161234567", company: "ACME")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(contact), as: UTF8.self)
        #expect(json == #"{"company":"ACME","email":"anna@example.com","name":"Анна","phone":"+79161234567"}"#)
        #expect(try JSONDecoder().decode(ContactInfo.self, from: Data(json.utf8)) == contact)
        let raw = #"{"name":" Анна ","email":"anna@EXAMPLE.com","phone":"+79161234567"}"#
        #expect(try JSONDecoder().decode(ContactInfo.self, from: Data(raw.utf8))
            == ContactInfo.validated(name: "Анна", email: "anna@example.com", phone: "+79161234567"))
        let bad = #"{"name":"Анна","email":"anna@example.com","phone":"8 916 123-45-67"}"#
        do {
            _ = try JSONDecoder().decode(ContactInfo.self, from: Data(bad.utf8))
            Issue.record("a contact not in E.164 decoded")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription == "phone number must be E.164: + and 8 to 15 digits, the first not 0")
            #expect(context.codingPath.last?.stringValue == "phone")
        }
    }

    @Test func validationErrorDescribesItself() {
        let error = ValidationError(field: .phone, kind: .empty, message: "phone number must not be empty")
        #expect(error.description == "phone: phone number must not be empty")
    }

    @Test func theSupportedLocalesAreRussianAndEnglishWithRussianFirst() {
        #expect(SupportedLocale.allCases.map(\.rawValue) == ["ru", "en"])
        #expect(SupportedLocale.fallback == .ru)
        #expect(SupportedLocale(rawValue: "de") == nil)
    }
}
