import BookingDomain
import Testing

@Suite struct LeadSourceTests {
    @Test func valuesAreTrimmedAndEmptyOnesDropped() throws {
        let source = try LeadSource.validated(utmSource: "  yandex ", utmMedium: "", utmCampaign: nil, referrer: " Ya.RU ")
        #expect(source == LeadSource(utmSource: "yandex", referrer: "ya.ru"))
        #expect(try LeadSource.validated(utmSource: " ", utmMedium: nil, utmCampaign: "", referrer: nil) == nil)
    }

    @Test(arguments: [
        ("https://ya.ru/", "referrer"), ("ya.ru/search", "referrer"), ("ya ru", "referrer"), ("-ya.ru", "referrer"), ("ya..ru", "referrer"),
        ("пример.рф", "referrer"),
    ])
    func aReferrerIsABareHostName(referrer: String, field: String) {
        #expect(throws: LeadSourceError.self) { try LeadSource.validated(utmSource: nil, utmMedium: nil, utmCampaign: nil, referrer: referrer) }
        do {
            _ = try LeadSource.validated(utmSource: nil, utmMedium: nil, utmCampaign: nil, referrer: referrer)
        } catch {
            #expect(error.field == field)
        }
    }

    @Test func longValuesAndHiddenCharactersAreRefusedByName() throws {
        let cases: [(LeadSource, String)] = [
            (LeadSource(utmSource: String(repeating: "a", count: 201)), "utm_source"),
            (LeadSource(utmMedium: "cpc\n"), "utm_medium"),
            (LeadSource(utmCampaign: "win\u{202E}ter"), "utm_campaign"),
            (LeadSource(utmCampaign: "zero\u{200B}width"), "utm_campaign"),
        ]
        for (given, field) in cases {
            do {
                _ = try LeadSource.validated(utmSource: given.utmSource, utmMedium: given.utmMedium, utmCampaign: given.utmCampaign, referrer: nil)
                Issue.record("\(given) was taken")
            } catch {
                #expect(error.field == field, "\(error.message)")
            }
        }
        // 200 characters, in any script, are fine.
        #expect(try LeadSource.validated(utmSource: String(repeating: "я", count: 200), utmMedium: nil, utmCampaign: nil, referrer: nil) != nil)
    }

    /// A visit's address and referrer are nobody's typing: each bad value goes alone.
    @Test func keepingValidDropsOnlyTheBadValues() {
        #expect(LeadSource.keepingValid(utmSource: "yandex", utmMedium: "cpc\n", utmCampaign: String(repeating: "w", count: 201), referrer: "Ya.RU")
                == LeadSource(utmSource: "yandex", referrer: "ya.ru"))
        #expect(LeadSource.keepingValid(utmSource: " ", utmMedium: nil, utmCampaign: "a\u{202E}b", referrer: "https://ya.ru/") == nil)
    }
}
