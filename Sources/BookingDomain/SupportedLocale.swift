import Foundation

/// The languages the suite speaks to clients: the booking page, the messages, an appointment's
/// `locale`. The one list: a language added here is a compile error wherever its words are
/// missing.
public enum SupportedLocale: String, Sendable, Hashable, CaseIterable, Codable {
    case ru, en

    /// What a client gets when they named no language, or one the suite does not speak.
    public static let fallback = SupportedLocale.ru

    /// `ru`, `ru-RU`, `ru_RU` → `.ru`; `en`, `en-GB` → `.en`; a language the suite does not speak
    /// → the fallback. For an appointment's stored `locale`, which is already one of the cases,
    /// and for a visitor's `Accept-Language`-style tag alike.
    public init(identifier: String) {
        let primary = identifier.trimmingCharacters(in: .whitespaces)
            .split(whereSeparator: { $0 == "-" || $0 == "_" }).first?.lowercased()
        self = primary.flatMap(SupportedLocale.init(rawValue:)) ?? .fallback
    }
}
