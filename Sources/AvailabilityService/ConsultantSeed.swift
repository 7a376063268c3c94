import BookingDomain
import DaemonKit
import Foundation

/// The `consultants:` section of booking.yaml: who works on the first start. From then on
/// availabilityd's database keeps the list (`bookctl consultants`).
public enum ConsultantSeed {
    public static func load(_ configuration: SuiteConfiguration, businessZone: TimeZone) throws(ConfigurationError) -> [Consultant] {
        let file = configuration.file
        var consultants: [Consultant] = []
        var seen: Set<String> = []
        for (index, entry) in (try configuration.section("consultants", as: [RawConsultant].self) ?? []).enumerated() {
            let key = "consultants.\(index)"
            let id = entry.id.trimmingCharacters(in: .whitespaces)
            guard Consultant.isValidId(id) else {
                throw ConfigurationError(file: file, key: "\(key).id", problem: "'\(entry.id)' must be 1 to 64 letters, digits, '-' or '_'")
            }
            guard seen.insert(id).inserted else {
                throw ConfigurationError(file: file, key: "\(key).id", problem: "'\(id)' is used twice")
            }
            // Held to the rules `consultant_add` applies: clients read the name in every message.
            let name: String
            do {
                name = try ContactInfo.validatedName(entry.name)
            } catch {
                throw ConfigurationError(file: file, key: "\(key).name", problem: error.message)
            }
            let zone = entry.timeZone ?? businessZone.identifier
            guard TimeZone(identifier: zone) != nil else {
                throw ConfigurationError(file: file, key: "\(key).time_zone", problem: "'\(zone)' is not an IANA time zone")
            }
            let email: String
            do {
                email = try Consultant.validatedEmail(entry.email)
            } catch {
                throw ConfigurationError(file: file, key: "\(key).email", problem: entry.email == nil ? "is missing (every consultant needs one: their notices go there)" : error.message)
            }
            var locale = SupportedLocale.fallback
            if let raw = entry.locale {
                guard let known = SupportedLocale(rawValue: raw.lowercased()) else {
                    let names = SupportedLocale.allCases.map(\.rawValue).joined(separator: " or ")
                    throw ConfigurationError(file: file, key: "\(key).locale", problem: "'\(raw)' is not \(names)")
                }
                locale = known
            }
            let meeting = try entry.meeting?.validated(file: file, key: "\(key).meeting")
            let schedule: ConsultantSchedule
            do {
                schedule = try ConsultantSchedule.validated(
                    hours: try entry.hours.map(WeeklyHours.init(parsing:)), bufferBefore: TimeInterval(entry.bufferBeforeMinutes ?? 0) * 60,
                    bufferAfter: TimeInterval(entry.bufferAfterMinutes ?? 0) * 60, dailyLimit: entry.dailyLimit
                )
            } catch {
                throw ConfigurationError(file: file, key: "\(key).\(error.field)", problem: error.message)
            }
            consultants.append(Consultant(id: id, name: name, email: email, timeZone: zone, locale: locale, meeting: meeting, schedule: schedule))
        }
        guard !consultants.isEmpty else {
            throw ConfigurationError(file: file, key: "consultants", problem: "at least one consultant is needed")
        }
        return consultants
    }
}

private struct RawConsultant: Decodable {
    var id: String
    var name: String
    var email: String?
    var timeZone: String?
    var locale: String?
    var meeting: RawMeeting?
    var hours: String?
    var bufferBeforeMinutes: Int?
    var bufferAfterMinutes: Int?
    var dailyLimit: Int?
    enum CodingKeys: String, CodingKey {
        case id, name, email, timeZone = "time_zone", locale, meeting, hours, bufferBeforeMinutes = "buffer_before_minutes",
             bufferAfterMinutes = "buffer_after_minutes", dailyLimit = "daily_limit"
    }
}
