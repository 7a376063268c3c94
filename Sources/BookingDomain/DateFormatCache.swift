import Foundation
import NIOConcurrencyHelpers

/// Localised date formatting with the formatters kept: making an ICU formatter costs far more
/// than using one (it was most of notifyd's time in a burst, and webd formats every day of the
/// calendar on every page). One per locale, zone and pattern; DateFormatter is not safe to use
/// from two threads at once, so every use is under the lock.
public enum DateFormatCache {
    public enum Pattern: Hashable, Sendable {
        /// A fixed pattern, e.g. `dd.MM.yyyy, HH:mm`.
        case fixed(String)
        /// A template the locale orders and punctuates, e.g. `EEEEdMMMM`.
        case localized(String)
    }

    private struct Key: Hashable {
        var locale: String
        var zone: String
        var pattern: Pattern
    }

    private static let formatters = NIOLockedValueBox<[Key: DateFormatter]>([:])

    public static func string(from date: Date, _ pattern: Pattern, locale: Locale, zone: TimeZone) -> String {
        formatters.withLockedValue { formatters in
            let key = Key(locale: locale.identifier, zone: zone.identifier, pattern: pattern)
            if let formatter = formatters[key] { return formatter.string(from: date) }
            let formatter = DateFormatter()
            formatter.calendar = Calendar(identifier: .gregorian)
            formatter.locale = locale
            formatter.timeZone = zone
            switch pattern {
            case .fixed(let format): formatter.dateFormat = format
            case .localized(let template): formatter.setLocalizedDateFormatFromTemplate(template)
            }
            formatters[key] = formatter
            return formatter.string(from: date)
        }
    }
}
