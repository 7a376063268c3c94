import BookingDomain

/// The words of the outcome page, which consultants read (not clients), in both languages side
/// by side, so a missing translation is a compile error.
enum OutcomePhrase: Sendable {
    case title, consultant, outcome, attended, noShow, note, noteHint, noteInvalid(Int), button
    case notStartedYet(String), alreadyThat, markedOther(String)
    case marked(String), markedAlready(String), expired, wrong, cancelled, refused

    var russian: String {
        switch self {
        case .title: "Итог консультации"
        case .consultant: "Консультант"
        case .outcome: "Итог"
        case .attended: "клиент пришёл"
        case .noShow: "клиент не пришёл"
        case .note: "Заметка"
        case .noteHint: "Для истории записи; клиент её не увидит."
        case .noteInvalid(let maximum): "Заметка — до \(maximum) символов, без управляющих символов."
        case .button: "Отметить"
        case .notStartedYet(let time): "Консультация ещё не началась: отметить итог можно после \(time)."
        case .alreadyThat: "Эта запись уже отмечена так."
        case .markedOther(let outcome): "Сейчас запись отмечена иначе («\(outcome)»); кнопка исправит итог."
        case .marked(let outcome): "Готово: отмечено «\(outcome)»."
        case .markedAlready(let outcome): "Запись уже была отмечена «\(outcome)»; ничего не изменилось."
        case .expired: "Срок действия ссылки истёк. Отметьте итог через администратора (bookctl)."
        case .wrong: "Ссылка недействительна. Откройте ссылку из письма ещё раз, целиком."
        case .cancelled: "Эта запись отменена; итог для неё не отмечается."
        case .refused: "Итог этой записи отметить нельзя."
        }
    }

    var english: String {
        switch self {
        case .title: "Consultation outcome"
        case .consultant: "Consultant"
        case .outcome: "Outcome"
        case .attended: "the client came"
        case .noShow: "the client did not come"
        case .note: "Note"
        case .noteHint: "Kept in the booking's history; the client does not see it."
        case .noteInvalid(let maximum): "A note has at most \(maximum) characters, and no control characters."
        case .button: "Mark it"
        case .notStartedYet(let time): "The consultation has not started yet: its outcome can be marked after \(time)."
        case .alreadyThat: "This booking is already marked so."
        case .markedOther(let outcome): "The booking is marked otherwise now (“\(outcome)”); the button corrects it."
        case .marked(let outcome): "Done: marked “\(outcome)”."
        case .markedAlready(let outcome): "The booking was already marked “\(outcome)”; nothing changed."
        case .expired: "This link has expired. Ask an administrator to mark the outcome (bookctl)."
        case .wrong: "This link is not valid. Open the link from the email again, whole."
        case .cancelled: "This booking is cancelled; it has no outcome to mark."
        case .refused: "This booking's outcome cannot be marked."
        }
    }
}

extension SupportedLocale {
    func text(outcome phrase: OutcomePhrase) -> String {
        switch self {
        case .ru: phrase.russian
        case .en: phrase.english
        }
    }
}
