import BookingDomain
import Foundation
import PhoneNumbers

/// A country of the phone field's picker.
public struct PhoneCountry: Sendable, Hashable {
    /// ISO 3166, e.g. `GB`.
    public let region: String
    /// In the page's language, e.g. `Великобритания`.
    public let name: String
    public let callingCode: Int
    public let example: ExampleNumber

    static let russian = all(in: .ru)
    static let english = all(in: .en)

    private static func all(in language: SupportedLocale) -> [PhoneCountry] {
        PhoneNumbers.regions.compactMap { region in
            guard let code = PhoneNumbers.callingCode(region: region), let example = PhoneNumbers.example(region: region) else { return nil }
            return PhoneCountry(region: region, name: language.regionName(region), callingCode: code, example: example)
        }
        .sorted { $0.name.compare($1.name, locale: language.locale) == .orderedAscending }
    }
}

extension SupportedLocale {
    /// Every country with a numbering plan, sorted by its name in this language.
    public var phoneCountries: [PhoneCountry] { self == .ru ? PhoneCountry.russian : PhoneCountry.english }

    /// The phone field's first country: the one of the visitor's zone (GB for Europe/London)
    /// when the visitor chose or sent one, else the country of the page's language (RU, GB).
    public func defaultPhoneRegion(visitorZone: TimeZone?) -> String {
        let usual = locale.region?.identifier ?? "RU"
        guard let visitorZone else { return usual }
        return PhoneNumbers.likelyRegion(timeZone: visitorZone.identifier, otherwise: usual)
    }

    func regionName(_ region: String) -> String { locale.localizedString(forRegionCode: region) ?? region }

    /// E.g. `например, 8 (912) 345-67-89 или +7 912 345-67-89`: the example of `region`, or of
    /// the language's own country.
    func phoneExample(_ region: String?) -> String {
        guard let example = PhoneNumbers.example(region: region ?? defaultPhoneRegion(visitorZone: nil)) else { return "" }
        return self == .ru ? "например, \(example.national) или \(example.international)" : "e.g. \(example.national) or \(example.international)"
    }
}
