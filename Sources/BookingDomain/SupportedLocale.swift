/// The languages the suite speaks to clients: the booking page, the messages, an appointment's
/// `locale`. The one list: a language added here is a compile error wherever its words are
/// missing.
public enum SupportedLocale: String, Sendable, Hashable, CaseIterable, Codable {
    case ru, en

    /// What a client gets when they named no language, or one the suite does not speak.
    public static let fallback = SupportedLocale.ru
}
