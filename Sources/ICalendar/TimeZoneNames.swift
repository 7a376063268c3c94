import Foundation

/// The zone a TZID parameter names. Servers mostly write IANA names; older Mozilla and Lightning
/// calendars prefix them with a path (`/Europe/Berlin`, `/mozilla.org/20050126_1/Europe/Berlin`),
/// and Outlook and Exchange write Windows names.
enum TimeZoneNames {
    static func zone(named tzid: String) -> TimeZone? {
        let name = tzid.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return nil }
        if let zone = TimeZone(identifier: name) { return zone }
        if name.hasPrefix("/") {
            // Drop leading path components until what is left is a zone's name.
            var components = name.split(separator: "/")[...]
            while components.count > 1 {
                if let zone = TimeZone(identifier: components.joined(separator: "/")) { return zone }
                components = components.dropFirst()
            }
            if let last = components.first, let zone = TimeZone(identifier: String(last)) { return zone }
        }
        if let identifier = windowsNames[name.lowercased()] { return TimeZone(identifier: identifier) }
        return nil
    }

    /// Windows zone names as Outlook writes them, to the IANA zone Unicode CLDR maps each to
    /// (its "001" territory); the ones met in Russian and European consultants' calendars and the
    /// big American ones, not all 140.
    static let windowsNames: [String: String] = [
        "utc": "UTC",
        "coordinated universal time": "UTC",
        "greenwich standard time": "Atlantic/Reykjavik",
        "gmt standard time": "Europe/London",
        "w. europe standard time": "Europe/Berlin",
        "romance standard time": "Europe/Paris",
        "central europe standard time": "Europe/Budapest",
        "central european standard time": "Europe/Warsaw",
        "e. europe standard time": "Europe/Chisinau",
        "fle standard time": "Europe/Kiev",
        "gtb standard time": "Europe/Bucharest",
        "turkey standard time": "Europe/Istanbul",
        "israel standard time": "Asia/Jerusalem",
        "belarus standard time": "Europe/Minsk",
        "kaliningrad standard time": "Europe/Kaliningrad",
        "russian standard time": "Europe/Moscow",
        "volgograd standard time": "Europe/Volgograd",
        "astrakhan standard time": "Europe/Astrakhan",
        "saratov standard time": "Europe/Saratov",
        "russia time zone 3": "Europe/Samara",
        "ekaterinburg standard time": "Asia/Yekaterinburg",
        "omsk standard time": "Asia/Omsk",
        "n. central asia standard time": "Asia/Novosibirsk",
        "altai standard time": "Asia/Barnaul",
        "tomsk standard time": "Asia/Tomsk",
        "north asia standard time": "Asia/Krasnoyarsk",
        "north asia east standard time": "Asia/Irkutsk",
        "transbaikal standard time": "Asia/Chita",
        "yakutsk standard time": "Asia/Yakutsk",
        "vladivostok standard time": "Asia/Vladivostok",
        "magadan standard time": "Asia/Magadan",
        "sakhalin standard time": "Asia/Sakhalin",
        "russia time zone 10": "Asia/Srednekolymsk",
        "russia time zone 11": "Asia/Kamchatka",
        "georgian standard time": "Asia/Tbilisi",
        "caucasus standard time": "Asia/Yerevan",
        "azerbaijan standard time": "Asia/Baku",
        "west asia standard time": "Asia/Tashkent",
        "central asia standard time": "Asia/Almaty",
        "arabian standard time": "Asia/Dubai",
        "india standard time": "Asia/Kolkata",
        "china standard time": "Asia/Shanghai",
        "singapore standard time": "Asia/Singapore",
        "tokyo standard time": "Asia/Tokyo",
        "aus eastern standard time": "Australia/Sydney",
        "eastern standard time": "America/New_York",
        "central standard time": "America/Chicago",
        "mountain standard time": "America/Denver",
        "us mountain standard time": "America/Phoenix",
        "pacific standard time": "America/Los_Angeles",
        "alaskan standard time": "America/Anchorage",
        "hawaiian standard time": "Pacific/Honolulu",
        "atlantic standard time": "America/Halifax",
        "e. south america standard time": "America/Sao_Paulo",
    ]
}
