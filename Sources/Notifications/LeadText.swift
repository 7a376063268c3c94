import BookingProtocol
import Foundation

/// What a lead's title, comments and notes say, in the suite's language (Russian: the sales
/// team reads the CRM), times on the business's wall clock.
public struct LeadText: Sendable {
    public let zone: TimeZone

    public init(zoneIdentifier: String) {
        zone = TimeZone(identifier: zoneIdentifier) ?? TimeZone(identifier: "Europe/Moscow")!
    }

    public func title(_ change: LeadChange) -> String {
        let name = change.appointment.contact.name
        return "Консультация \(change.appointment.reference)" + (name.isEmpty ? "" : ": \(name)")
    }

    /// "08.12.2026 10:00–10:30 (Europe/Moscow)".
    public func when(_ appointment: AppointmentBody) -> String {
        "\(moment(appointment.start))–\(clock(appointment.end)) (\(zone.identifier))"
    }

    /// The whole booking as the lead's comments show it: time, reference, topic and where the visit came from.
    public func details(_ change: LeadChange) -> String {
        let appointment = change.appointment
        var lines = ["Консультация: \(when(appointment))", "Номер записи: \(appointment.reference)"]
        if let topic = appointment.topic, !topic.isEmpty { lines.append("Тема: \(topic)") }
        if let source = sourceDescription(appointment.source) { lines.append("Источник: \(source)") }
        return lines.joined(separator: "\n")
    }

    /// What this change did, in one line: the stage's description and the note on the lead.
    public func summary(_ change: LeadChange) -> String {
        let appointment = change.appointment
        switch change.kind {
        case .created:
            return appointment.status == "scheduled" ? "Запись ждёт подтверждения клиентом: \(when(appointment))" : "Записан на консультацию: \(when(appointment))"
        case .rescheduled:
            let before = change.previousStart.map(moment) ?? "?"
            return "Консультация перенесена: \(before) → \(when(appointment))"
        case .cancelled:
            return change.cause == LeadChange.holdReleased
                ? "Запись не подтверждена вовремя и снята: \(when(appointment))"
                : "Консультация отменена: \(when(appointment))"
        case .attended:
            return "Клиент пришёл на консультацию \(when(appointment))"
        case .noShow:
            return "Клиент не пришёл на консультацию \(when(appointment))"
        }
    }

    /// "utm_source=yandex, utm_medium=cpc, utm_campaign=spring; referrer: ya.ru", nil when nothing is known.
    public func sourceDescription(_ source: LeadSourceBody?) -> String? {
        guard let source, !source.isEmpty else { return nil }
        let utm = [("utm_source", source.utmSource), ("utm_medium", source.utmMedium), ("utm_campaign", source.utmCampaign)]
            .compactMap { name, value in value.map { "\(name)=\($0)" } }.joined(separator: ", ")
        let referrer = source.referrer.map { "referrer: \($0)" }
        return [utm.isEmpty ? nil : utm, referrer].compactMap { $0 }.joined(separator: "; ")
    }

    private func moment(_ date: Date) -> String { format(date, "dd.MM.yyyy HH:mm") }
    private func clock(_ date: Date) -> String { format(date, "HH:mm") }

    private func format(_ date: Date, _ pattern: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}
