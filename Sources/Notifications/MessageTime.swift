import BookingDomain
import Foundation

/// Instants as a reader sees them: in their zone and language, with the zone's city so nobody
/// has to guess which clock is meant. Fixed patterns with explicit locale and zone keep the output
/// the same on every machine.
struct MessageTime: Sendable {
    let language: SupportedLocale
    let zone: TimeZone
    let zoneIdentifier: String

    /// An unknown identifier falls back to UTC rather than to the machine's zone, so a typo never
    /// makes output depend on where notifyd runs; `TemplateLibrary` callers validate zones earlier.
    init(language: SupportedLocale, zoneIdentifier: String) {
        self.language = language
        self.zoneIdentifier = zoneIdentifier
        self.zone = TimeZone(identifier: zoneIdentifier) ?? TimeZone(identifier: "UTC")!
    }

    /// "вторник, 1 декабря 2026, 10:00 (Москва)" / "Tuesday, 1 December 2026, 10:00 (Berlin)".
    func long(_ date: Date) -> String {
        "\(format(date, "EEEE, d MMMM yyyy, HH:mm")) (\(city))"
    }

    /// "01.12.2026, 10:00 (Москва)" / "1 Dec 2026, 10:00 (Berlin)": for SMS and chat.
    func short(_ date: Date) -> String {
        "\(format(date, language == .ru ? "dd.MM.yyyy, HH:mm" : "d MMM yyyy, HH:mm")) (\(city))"
    }

    /// "10:00".
    func clock(_ date: Date) -> String { format(date, "HH:mm") }

    /// "1 декабря, 12:00 (Москва)", or "12:00 (Москва)" when `date` falls on the same day in
    /// `other`'s zone: the form shown beside another zone's time.
    func beside(_ date: Date, sameDayAs other: MessageTime) -> String {
        let sameDay = format(date, "yyyyMMdd") == other.format(date, "yyyyMMdd")
        return "\(sameDay ? clock(date) : format(date, "d MMMM, HH:mm")) (\(city))"
    }

    /// Whether the two zones show different clock times at `date`.
    func differs(from other: MessageTime, at date: Date) -> Bool {
        zone.secondsFromGMT(for: date) != other.zone.secondsFromGMT(for: date)
    }

    var city: String { Self.cityName(zoneIdentifier, language) }

    func format(_ date: Date, _ pattern: String) -> String {
        DateFormatCache.string(from: date, .fixed(pattern), locale: language.formattingLocale, zone: zone)
    }

    /// The zone's city as people say it. Zones not listed show the identifier's last part
    /// ("America/New_York" → "New York"), which is the English exemplar city.
    static func cityName(_ identifier: String, _ language: SupportedLocale) -> String {
        if let names = cities[identifier] { return language == .ru ? names.ru : names.en }
        if identifier == "UTC" || identifier == "GMT" || identifier == "Etc/UTC" { return "UTC" }
        let last = identifier.split(separator: "/").last.map(String.init) ?? identifier
        return last.replacingOccurrences(of: "_", with: " ")
    }

    private static let cities: [String: (ru: String, en: String)] = [
        "Europe/Kaliningrad": ("Калининград", "Kaliningrad"),
        "Europe/Moscow": ("Москва", "Moscow"),
        "Europe/Simferopol": ("Симферополь", "Simferopol"),
        "Europe/Kirov": ("Киров", "Kirov"),
        "Europe/Volgograd": ("Волгоград", "Volgograd"),
        "Europe/Astrakhan": ("Астрахань", "Astrakhan"),
        "Europe/Saratov": ("Саратов", "Saratov"),
        "Europe/Ulyanovsk": ("Ульяновск", "Ulyanovsk"),
        "Europe/Samara": ("Самара", "Samara"),
        "Asia/Yekaterinburg": ("Екатеринбург", "Yekaterinburg"),
        "Asia/Omsk": ("Омск", "Omsk"),
        "Asia/Novosibirsk": ("Новосибирск", "Novosibirsk"),
        "Asia/Barnaul": ("Барнаул", "Barnaul"),
        "Asia/Tomsk": ("Томск", "Tomsk"),
        "Asia/Novokuznetsk": ("Новокузнецк", "Novokuznetsk"),
        "Asia/Krasnoyarsk": ("Красноярск", "Krasnoyarsk"),
        "Asia/Irkutsk": ("Иркутск", "Irkutsk"),
        "Asia/Chita": ("Чита", "Chita"),
        "Asia/Yakutsk": ("Якутск", "Yakutsk"),
        "Asia/Vladivostok": ("Владивосток", "Vladivostok"),
        "Asia/Sakhalin": ("Южно-Сахалинск", "Yuzhno-Sakhalinsk"),
        "Asia/Magadan": ("Магадан", "Magadan"),
        "Asia/Kamchatka": ("Петропавловск-Камчатский", "Petropavlovsk-Kamchatsky"),
        "Asia/Anadyr": ("Анадырь", "Anadyr"),
        "Europe/Minsk": ("Минск", "Minsk"),
        "Europe/Kyiv": ("Киев", "Kyiv"),
        "Europe/Kiev": ("Киев", "Kyiv"),
        "Europe/Riga": ("Рига", "Riga"),
        "Europe/Vilnius": ("Вильнюс", "Vilnius"),
        "Europe/Tallinn": ("Таллин", "Tallinn"),
        "Europe/Helsinki": ("Хельсинки", "Helsinki"),
        "Europe/Warsaw": ("Варшава", "Warsaw"),
        "Europe/Berlin": ("Берлин", "Berlin"),
        "Europe/Vienna": ("Вена", "Vienna"),
        "Europe/Prague": ("Прага", "Prague"),
        "Europe/Zurich": ("Цюрих", "Zurich"),
        "Europe/Paris": ("Париж", "Paris"),
        "Europe/Amsterdam": ("Амстердам", "Amsterdam"),
        "Europe/Brussels": ("Брюссель", "Brussels"),
        "Europe/Rome": ("Рим", "Rome"),
        "Europe/Madrid": ("Мадрид", "Madrid"),
        "Europe/Lisbon": ("Лиссабон", "Lisbon"),
        "Europe/London": ("Лондон", "London"),
        "Europe/Dublin": ("Дублин", "Dublin"),
        "Europe/Istanbul": ("Стамбул", "Istanbul"),
        "Europe/Belgrade": ("Белград", "Belgrade"),
        "Europe/Chisinau": ("Кишинёв", "Chisinau"),
        "Asia/Tbilisi": ("Тбилиси", "Tbilisi"),
        "Asia/Yerevan": ("Ереван", "Yerevan"),
        "Asia/Baku": ("Баку", "Baku"),
        "Asia/Almaty": ("Алматы", "Almaty"),
        "Asia/Tashkent": ("Ташкент", "Tashkent"),
        "Asia/Bishkek": ("Бишкек", "Bishkek"),
        "Asia/Dubai": ("Дубай", "Dubai"),
        "Asia/Shanghai": ("Шанхай", "Shanghai"),
        "Asia/Tokyo": ("Токио", "Tokyo"),
        "Asia/Kolkata": ("Калькутта", "Kolkata"),
        "Asia/Singapore": ("Сингапур", "Singapore"),
        "America/New_York": ("Нью-Йорк", "New York"),
        "America/Chicago": ("Чикаго", "Chicago"),
        "America/Denver": ("Денвер", "Denver"),
        "America/Los_Angeles": ("Лос-Анджелес", "Los Angeles"),
        "America/Toronto": ("Торонто", "Toronto"),
    ]
}
