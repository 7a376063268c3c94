import BookingDomain
import Foundation
import PhoneNumbers

/// The page speaks the suite's languages. Chosen by `?lang=`, then the `lang` cookie, then
/// `Accept-SupportedLocale`.
extension SupportedLocale {
    /// The first supported language of an `Accept-SupportedLocale` header by quality, else the fallback.
    public static func preferred(acceptLanguage: String?) -> SupportedLocale {
        guard let header = acceptLanguage else { return .fallback }
        var best: (SupportedLocale, Double)?
        for (position, item) in header.split(separator: ",").enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased() else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            guard quality > 0, let language = SupportedLocale(rawValue: primary) else { continue }
            // Equal qualities keep the header's order.
            let score = quality - Double(position) * 1e-6
            if best == nil || score > best!.1 { best = (language, score) }
        }
        return best?.0 ?? .fallback
    }

    /// The language the page's switch offers.
    public var other: SupportedLocale { self == .ru ? .en : .ru }

    var locale: Locale { Locale(identifier: self == .ru ? "ru_RU" : "en_GB") }

    /// The page's words.
    public func text(_ key: Phrase) -> String {
        switch self {
        case .ru: key.russian
        case .en: key.english
        }
    }
}

/// Every phrase of the page, in both languages side by side, so a missing translation is a
/// compile error.
public enum Phrase: Sendable {
    case title, skipToContent, stepPick, stepDetails, stepDone, chooseDay, chooseTime, noSlotsThatDay, noSlotsAtAll
    case previousWeek, nextWeek, previousDay, nextDay, yourTimeZone, show, timesShownIn, moscowTime
    case name, email, phone, countryCode, company, optional, consent, marketingConsent, policy, book, back, required
    case slotTaken, freshSlots, pickAnother, formExpired, tooFast(Int), rateLimited(Int), contactLimitReached(ContactField?)
    case proofOfWorkFailed, noScriptLimited, consentRequired, serviceUnavailable, somethingWrong
    case confirmedTitle, yourReference, keepReference, addToCalendar, manageLink, when, status
    case manageTitle, enterReference, reference, open, referenceNotFound, reschedule, cancel, cancelReason
    case rescheduleTitle, moveTo, cancelledTitle, rescheduledTitle, statusConfirmed, statusCancelled, statusCompleted, statusNoShow, statusOther(String)
    case cancelConfirm, alreadyCancelled, language, notFoundPage, policyTitle, bookAnother, checking, phoneHint, forExample, emailHint
    case noScriptNote, consultation, invalidContact(ContactField, ValidationError.Kind), invalidReason
    case topic, topicHint, invalidTopic(TopicError), meeting, joinVideo, meetingPhone(String?)
    case editCompanyName(String), editDescription(String), editFooter(String)
    case errorSummaryTitle, confirmationSentTo, confirmationPhone, addToGoogleCalendar
    case cancelQuestion, cancelYes, keepBooking, rescheduleQuestion, currentTime, newTime, rescheduleYes
    case paused(String?), pausedFormKept(String?)
    case statusScheduled, holdWaiting(String), confirmTitle, confirmedDoneTitle, confirmCode, confirmButton, confirmWrong, holdEnded, confirmSentTo
    case personalData, personalDataIntro, askForExport, askForErasure, dataLinkSent(String, Int), dataLinkTooSoon
    case exportTitle, exportExplained, exportButton, erasureTitle, erasureExplained, erasureButton
    case dataLinkExpired, dataLinkWrong, erasedTitle, erasedDone(Int), erasedAlready
    // The private calendar feeds, read by staff: a consultant's name, or nil for the team's.
    case feedName(String?), feedSummary(client: String?, consultant: String?), feedConsultant(String), feedClient(String, String)
    case feedHeld, feedByPhone, feedRoomInInvite

    var russian: String {
        switch self {
        case .title: "Запись на консультацию"
        case .skipToContent: "Перейти к содержимому"
        case .stepPick: "1. Время"
        case .stepDetails: "2. Контакты"
        case .stepDone: "3. Готово"
        case .chooseDay: "Выберите день"
        case .chooseTime: "Выберите время"
        case .noSlotsThatDay: "В этот день свободного времени нет. Выберите другой день."
        case .noSlotsAtAll: "В ближайшие две недели свободного времени нет. Загляните позже."
        case .previousWeek: "← Неделя"
        case .nextWeek: "Неделя →"
        case .previousDay: "← День"
        case .nextDay: "День →"
        case .yourTimeZone: "Ваш часовой пояс"
        case .show: "Показать"
        case .timesShownIn: "Время указано в поясе"
        case .moscowTime: "по Москве"
        case .name: "Имя и фамилия"
        case .email: "Электронная почта"
        case .phone: "Телефон"
        case .countryCode: "Страна"
        case .company: "Компания"
        case .optional: "необязательно"
        case .consent: "Я согласен(на) на обработку персональных данных"
        case .marketingConsent: "Присылайте мне новости и предложения компании"
        case .policy: "Политика обработки персональных данных"
        case .book: "Записаться"
        case .back: "← Выбрать другое время"
        case .required: "обязательно"
        case .slotTaken: "Это время только что занял кто-то другой. Вот свободное время сейчас — выберите другое, ваши данные сохранены."
        case .freshSlots: "Свободное время"
        case .pickAnother: "Выберите время"
        case .formExpired: "Форма устарела. Проверьте данные и отправьте её ещё раз."
        case .tooFast(let seconds): "Форма отправлена слишком быстро. Проверьте данные и отправьте её ещё раз через \(seconds) с."
        case .rateLimited(let seconds): "Слишком много запросов. Попробуйте снова через \(seconds) с."
        case .contactLimitReached(let field):
            switch field {
            case .email?: "На этот адрес почты уже записано столько консультаций, сколько можно. Перенесите или отмените одну из них."
            case .phone?: "На этот номер телефона уже записано столько консультаций, сколько можно. Перенесите или отмените одну из них."
            default: "На эти контакты уже записано столько консультаций, сколько можно. Перенесите или отмените одну из них."
            }
        case .proofOfWorkFailed: "Проверка браузера не прошла. Обновите страницу и попробуйте ещё раз."
        case .noScriptLimited: "Без JavaScript запись сейчас недоступна. Включите JavaScript или попробуйте позже."
        case .consentRequired: "Нужно согласие на обработку персональных данных."
        case .serviceUnavailable: "Сервис записи временно недоступен. Попробуйте через минуту."
        case .somethingWrong: "Что-то пошло не так. Попробуйте ещё раз."
        case .confirmedTitle: "Вы записаны"
        case .yourReference: "Номер записи"
        case .keepReference: "Сохраните номер: по нему можно перенести или отменить запись."
        case .addToCalendar: "Добавить в календарь (.ics)"
        case .manageLink: "Ссылка для управления записью"
        case .when: "Когда"
        case .status: "Статус"
        case .manageTitle: "Моя запись"
        case .enterReference: "Введите номер записи, например BK-7Q2M-…"
        case .reference: "Номер записи"
        case .open: "Открыть"
        case .referenceNotFound: "Записи с таким номером нет. Проверьте номер."
        case .reschedule: "Перенести"
        case .cancel: "Отменить запись"
        case .cancelReason: "Причина отмены"
        case .rescheduleTitle: "Перенос записи"
        case .moveTo: "Перенести на это время"
        case .cancelledTitle: "Запись отменена"
        case .rescheduledTitle: "Запись перенесена"
        case .statusConfirmed: "подтверждена"
        case .statusScheduled: "ждёт вашего подтверждения"
        case .holdWaiting(let until): "Ждём вашего подтверждения до \(until). Откройте ссылку из письма или введите код из письма или SMS; без подтверждения время освободится."
        case .confirmTitle: "Подтвердите запись"
        case .confirmedDoneTitle: "Запись подтверждена"
        case .confirmCode: "Код подтверждения"
        case .confirmButton: "Подтвердить"
        case .confirmWrong: "Код не подходит. Проверьте его или откройте ссылку из письма."
        case .holdEnded: "Время на подтверждение этой записи истекло, и время освобождено. Запишитесь снова."
        case .confirmSentTo: "Письмо со ссылкой для подтверждения отправлено на"
        case .personalData: "Ваши персональные данные"
        case .personalDataIntro: "Вы можете получить копию персональных данных, которые хранит о вас система записи, или удалить их. Чтобы подтвердить, что просите именно вы, мы пришлём ссылку на email, указанный при записи."
        case .askForExport: "Прислать ссылку на копию данных"
        case .askForErasure: "Прислать ссылку для удаления данных"
        case .dataLinkSent(let address, let hours): "Ссылка отправлена на \(address). Она действует \(hours) ч."
        case .dataLinkTooSoon: "Ссылка уже отправлена только что. Проверьте почту или попробуйте снова через несколько минут."
        case .exportTitle: "Копия ваших персональных данных"
        case .exportExplained: "Файл в формате JSON: ваши записи и их история, данные, которые вы указали, и ваши согласия."
        case .exportButton: "Скачать мои данные"
        case .erasureTitle: "Удаление ваших персональных данных"
        case .erasureExplained: "Ваши предстоящие консультации будут отменены, а ваши имя, email, телефон и всё, что вы написали, — удалены из системы записи. Отменить это нельзя. Останется только запись о самом факте удаления, без ваших данных."
        case .erasureButton: "Удалить мои данные"
        case .dataLinkExpired: "Срок действия ссылки истёк. Запросите новую на странице записи."
        case .dataLinkWrong: "Ссылка недействительна. Откройте ссылку из письма ещё раз."
        case .erasedTitle: "Данные удалены"
        case .erasedDone(let cancelled): cancelled == 0 ? "Ваши персональные данные удалены." : "Ваши персональные данные удалены. Отменено предстоящих консультаций: \(cancelled)."
        case .erasedAlready: "Персональные данные этой записи уже удалены."
        case .feedName(let consultant): "Консультации: " + (consultant ?? "вся команда")
        case .feedSummary(let client, let consultant): "Консультация" + (client.map { ": \($0)" } ?? "") + (consultant.map { " — \($0)" } ?? "")
        case .feedConsultant(let name): "Консультант: \(name)"
        case .feedClient(let name, let phone): "Клиент: \(name), \(phone)"
        case .feedHeld: "Клиент ещё не подтвердил запись"
        case .feedByPhone: "По телефону: консультант звонит клиенту"
        case .feedRoomInInvite: "Видеозвонок: ссылка на комнату — в письме о записи"
        case .statusCancelled: "отменена"
        case .statusCompleted: "состоялась"
        case .statusNoShow: "пропущена"
        case .statusOther(let value): value
        case .cancelConfirm: "Отменить"
        case .alreadyCancelled: "Эта запись отменена; перенести её нельзя."
        case .language: "English"
        case .notFoundPage: "Такой страницы нет."
        case .policyTitle: "Политика обработки персональных данных"
        case .bookAnother: "Записаться ещё раз"
        case .checking: "Проверяем браузер…"
        case .phoneHint: "Номер, как его набирают в выбранной стране, или полностью с «+»."
        case .forExample: "Например:"
        case .emailHint: "На неё придёт подтверждение."
        case .noScriptNote: "JavaScript выключен: время показано по Москве; выберите свой пояс ниже."
        case .consultation: "Консультация, 30 минут"
        case .invalidContact(let field, let kind):
            switch (field, kind) {
            case (.name, .empty): "Укажите имя."
            case (.email, .empty): "Укажите адрес почты."
            case (.phone, .empty): "Укажите номер телефона."
            case (.company, .empty): "Укажите название компании."
            case (.name, .tooLong(let maximum)): "Имя — не длиннее \(maximum) символов."
            case (.email, .tooLong(let maximum)): "Адрес почты — не длиннее \(maximum) символов."
            case (.phone, .tooLong(let maximum)): "Номер телефона — не длиннее \(maximum) символов."
            case (.company, .tooLong(let maximum)): "Название компании — не длиннее \(maximum) символов."
            case (.name, .controlCharacter): "Имя — в одну строку, без переносов и табуляции."
            case (.company, .controlCharacter): "Название компании — в одну строку, без переносов и табуляции."
            case (.name, .invisibleCharacter): "Имя — без невидимых символов (смены направления текста, пробелов нулевой ширины)."
            case (.company, .invisibleCharacter): "Название компании — без невидимых символов (смены направления текста, пробелов нулевой ширины)."
            case (.email, .invisibleCharacter): "Укажите адрес почты, например ivan@example.com."
            case (.phone, .invisibleCharacter): "Укажите номер телефона, \(SupportedLocale.ru.phoneExample(nil))."
            case (.email, .controlCharacter), (.email, .malformed): "Укажите адрес почты, например ivan@example.com."
            case (.phone, .controlCharacter), (.phone, .malformed): "Укажите номер телефона, \(SupportedLocale.ru.phoneExample(nil))."
            case (.phone, .phoneNumber(let problem)): Self.phoneProblem(problem, .ru)
            case (.name, .malformed), (.name, .phoneNumber): "Проверьте имя."
            case (.email, .phoneNumber): "Проверьте адрес почты."
            case (.company, .malformed), (.company, .phoneNumber): "Проверьте название компании."
            }
        case .invalidReason: "Причина — до 500 символов."
        case .topic: "Что вы хотели бы обсудить?"
        case .topicHint: "Несколько слов для консультанта, чтобы он подготовился."
        case .invalidTopic(.tooLong(let maximum, _)): "Не длиннее \(maximum) символов."
        case .invalidTopic(.controlCharacter): "Уберите табуляцию и другие служебные символы."
        case .meeting: "Как пройдёт встреча"
        case .joinVideo: "Видеозвонок"
        case .meetingPhone(let phone): "Консультант позвонит вам" + (phone.map { " по номеру \($0)" } ?? "")
        case .editCompanyName(let file): "Ваша компания — укажите web.company_name в \(file)"
        case .editDescription(let file): "Кратко о консультации — укажите web.description в \(file)"
        case .editFooter(let file): "Реквизиты оператора (название, адрес, ОГРН, ИНН) — укажите web.footer в \(file)"
        case .errorSummaryTitle: "Проверьте форму"
        case .confirmationSentTo: "Подтверждение отправлено на"
        case .confirmationPhone: "Телефон для связи"
        case .addToGoogleCalendar: "Добавить в Google Календарь"
        case .cancelQuestion: "Отменить эту запись?"
        case .cancelYes: "Да, отменить"
        case .keepBooking: "Нет, оставить запись"
        case .rescheduleQuestion: "Перенести запись на это время?"
        case .currentTime: "Сейчас"
        case .newTime: "Новое время"
        case .rescheduleYes: "Да, перенести"
        case .paused(let reason):
            "Запись временно приостановлена\(reason.map { ": \($0)" } ?? ""). Свободное время видно, но новые записи пока не принимаются; загляните позже."
        case .pausedFormKept(let reason):
            "Запись временно приостановлена\(reason.map { ": \($0)" } ?? ""). Ваши данные сохранены в форме: отправьте её немного позже."
        }
    }

    var english: String {
        switch self {
        case .title: "Book a consultation"
        case .skipToContent: "Skip to content"
        case .stepPick: "1. Time"
        case .stepDetails: "2. Details"
        case .stepDone: "3. Done"
        case .chooseDay: "Choose a day"
        case .chooseTime: "Choose a time"
        case .noSlotsThatDay: "No free time on this day. Please choose another day."
        case .noSlotsAtAll: "No free time in the next two weeks. Please look again later."
        case .previousWeek: "← Week"
        case .nextWeek: "Week →"
        case .previousDay: "← Day"
        case .nextDay: "Day →"
        case .yourTimeZone: "Your time zone"
        case .show: "Show"
        case .timesShownIn: "Times are shown in"
        case .moscowTime: "Moscow time"
        case .name: "Full name"
        case .email: "Email"
        case .phone: "Phone"
        case .countryCode: "Country"
        case .company: "Company"
        case .optional: "optional"
        case .consent: "I agree to the processing of my personal data"
        case .marketingConsent: "Send me the company's news and offers"
        case .policy: "Personal data policy"
        case .book: "Book"
        case .back: "← Choose another time"
        case .required: "required"
        case .slotTaken: "Someone else has just taken this time. Here are the free times now: please pick another; your details are kept."
        case .freshSlots: "Free times"
        case .pickAnother: "Choose a time"
        case .formExpired: "The form has expired. Please check your details and send it again."
        case .tooFast(let seconds): "The form was sent too quickly. Please check your details and send it again in \(seconds) s."
        case .rateLimited(let seconds): "Too many requests. Please try again in \(seconds) s."
        case .contactLimitReached(let field):
            switch field {
            case .email?: "This email address already has as many upcoming bookings as allowed. Please reschedule or cancel one of them."
            case .phone?: "This phone number already has as many upcoming bookings as allowed. Please reschedule or cancel one of them."
            default: "These contacts already have as many upcoming bookings as allowed. Please reschedule or cancel one of them."
            }
        case .proofOfWorkFailed: "The browser check failed. Please reload the page and try again."
        case .noScriptLimited: "Booking without JavaScript is not available right now. Please turn JavaScript on or try later."
        case .consentRequired: "Your consent to the processing of personal data is needed."
        case .serviceUnavailable: "Booking is temporarily unavailable. Please try again in a minute."
        case .somethingWrong: "Something went wrong. Please try again."
        case .confirmedTitle: "You are booked"
        case .yourReference: "Booking reference"
        case .keepReference: "Keep this reference: with it you can reschedule or cancel."
        case .addToCalendar: "Add to calendar (.ics)"
        case .manageLink: "Link to manage your booking"
        case .when: "When"
        case .status: "Status"
        case .manageTitle: "My booking"
        case .enterReference: "Enter your booking reference, e.g. BK-7Q2M-…"
        case .reference: "Booking reference"
        case .open: "Open"
        case .referenceNotFound: "No booking has this reference. Please check it."
        case .reschedule: "Reschedule"
        case .cancel: "Cancel booking"
        case .cancelReason: "Reason for cancelling"
        case .rescheduleTitle: "Reschedule"
        case .moveTo: "Move to this time"
        case .cancelledTitle: "Booking cancelled"
        case .rescheduledTitle: "Booking rescheduled"
        case .statusConfirmed: "confirmed"
        case .statusScheduled: "waiting for your confirmation"
        case .holdWaiting(let until): "Waiting for your confirmation until \(until). Open the link in the email or enter the code from the email or SMS; unconfirmed, the time is released."
        case .confirmTitle: "Confirm your booking"
        case .confirmedDoneTitle: "Booking confirmed"
        case .confirmCode: "Confirmation code"
        case .confirmButton: "Confirm"
        case .confirmWrong: "That code is not right. Check it, or open the link in the email."
        case .holdEnded: "The time to confirm this booking has passed and the time was released. Please book again."
        case .confirmSentTo: "An email with a confirmation link was sent to"
        case .personalData: "Your personal data"
        case .personalDataIntro: "You can get a copy of the personal data our booking system holds about you, or have it erased. To make sure it is you who asks, we send a link to the email address you booked with."
        case .askForExport: "Email me a link to a copy of my data"
        case .askForErasure: "Email me a link to erase my data"
        case .dataLinkSent(let address, let hours): "We sent the link to \(address). It works for \(hours) hours."
        case .dataLinkTooSoon: "A link was sent a moment ago. Check your inbox, or try again in a few minutes."
        case .exportTitle: "A copy of your personal data"
        case .exportExplained: "A JSON file: your bookings and their history, the details you gave and your consents."
        case .exportButton: "Download my data"
        case .erasureTitle: "Erase your personal data"
        case .erasureExplained: "Your upcoming consultations will be cancelled, and your name, email, phone number and everything you wrote erased from our booking system. This cannot be undone. Only a record that the erasure took place is kept, without your data."
        case .erasureButton: "Erase my data"
        case .dataLinkExpired: "This link has expired. Ask for a new one on your booking's page."
        case .dataLinkWrong: "This link is not valid. Open the link from the email again."
        case .erasedTitle: "Your data was erased"
        case .erasedDone(let cancelled): cancelled == 0 ? "Your personal data was erased." : "Your personal data was erased. Upcoming consultations cancelled: \(cancelled)."
        case .erasedAlready: "The personal data of this booking was already erased."
        case .feedName(let consultant): "Consultations: " + (consultant ?? "the whole team")
        case .feedSummary(let client, let consultant): "Consultation" + (client.map { ": \($0)" } ?? "") + (consultant.map { " — \($0)" } ?? "")
        case .feedConsultant(let name): "Consultant: \(name)"
        case .feedClient(let name, let phone): "Client: \(name), \(phone)"
        case .feedHeld: "The client has not confirmed the booking yet"
        case .feedByPhone: "By phone: the consultant calls the client"
        case .feedRoomInInvite: "Video call: the room's link is in the booking's email"
        case .statusCancelled: "cancelled"
        case .statusCompleted: "took place"
        case .statusNoShow: "missed"
        case .statusOther(let value): value
        case .cancelConfirm: "Cancel it"
        case .alreadyCancelled: "This booking is cancelled; it cannot be rescheduled."
        case .language: "Русский"
        case .notFoundPage: "There is no such page."
        case .policyTitle: "Personal data policy"
        case .bookAnother: "Book another time"
        case .checking: "Checking your browser…"
        case .phoneHint: "The number as dialled in the chosen country, or in full with “+”."
        case .forExample: "For example:"
        case .emailHint: "We send the confirmation there."
        case .noScriptNote: "JavaScript is off: times are in Moscow time; choose your zone below."
        case .consultation: "Consultation, 30 minutes"
        case .invalidContact(let field, let kind):
            switch (field, kind) {
            case (.name, .empty): "Please enter your name."
            case (.email, .empty): "Please enter your email address."
            case (.phone, .empty): "Please enter your phone number."
            case (.company, .empty): "Please enter the company name."
            case (.name, .tooLong(let maximum)): "The name has at most \(maximum) characters."
            case (.email, .tooLong(let maximum)): "The email address has at most \(maximum) characters."
            case (.phone, .tooLong(let maximum)): "The phone number has at most \(maximum) characters."
            case (.company, .tooLong(let maximum)): "The company name has at most \(maximum) characters."
            case (.name, .controlCharacter): "The name goes on one line, without line breaks or tabs."
            case (.company, .controlCharacter): "The company name goes on one line, without line breaks or tabs."
            case (.name, .invisibleCharacter): "The name must not hold invisible characters (text direction overrides, zero-width spaces)."
            case (.company, .invisibleCharacter): "The company name must not hold invisible characters (text direction overrides, zero-width spaces)."
            case (.email, .invisibleCharacter): "Please enter an email address such as ivan@example.com."
            case (.phone, .invisibleCharacter): "Please enter a phone number, \(SupportedLocale.en.phoneExample(nil))."
            case (.email, .controlCharacter), (.email, .malformed): "Please enter an email address such as ivan@example.com."
            case (.phone, .controlCharacter), (.phone, .malformed): "Please enter a phone number, \(SupportedLocale.en.phoneExample(nil))."
            case (.phone, .phoneNumber(let problem)): Self.phoneProblem(problem, .en)
            case (.name, .malformed), (.name, .phoneNumber): "Please check the name."
            case (.email, .phoneNumber): "Please check the email address."
            case (.company, .malformed), (.company, .phoneNumber): "Please check the company name."
            }
        case .invalidReason: "The reason has at most 500 characters."
        case .topic: "What would you like to discuss?"
        case .topicHint: "A few words for the consultant, so they can prepare."
        case .invalidTopic(.tooLong(let maximum, _)): "At most \(maximum) characters."
        case .invalidTopic(.controlCharacter): "Please remove tabs and other control characters."
        case .meeting: "How we meet"
        case .joinVideo: "Video call"
        case .meetingPhone(let phone): "The consultant will call you" + (phone.map { " at \($0)" } ?? "")
        case .editCompanyName(let file): "Your company — edit web.company_name in \(file)"
        case .editDescription(let file): "A short description of the consultation — edit web.description in \(file)"
        case .editFooter(let file): "The operator's legal details (name, address, registration number) — edit web.footer in \(file)"
        case .errorSummaryTitle: "There is a problem"
        case .confirmationSentTo: "We sent the confirmation to"
        case .confirmationPhone: "Phone we may call"
        case .addToGoogleCalendar: "Add to Google Calendar"
        case .cancelQuestion: "Cancel this booking?"
        case .cancelYes: "Yes, cancel it"
        case .keepBooking: "No, keep it"
        case .rescheduleQuestion: "Move the booking to this time?"
        case .currentTime: "Now"
        case .newTime: "New time"
        case .rescheduleYes: "Yes, move it"
        case .paused(let reason):
            "Booking is paused for now\(reason.map { ": \($0)" } ?? ""). You can see the free times, but new bookings are not taken yet; please look again later."
        case .pausedFormKept(let reason):
            "Booking is paused for now\(reason.map { ": \($0)" } ?? ""). Your details are kept in the form: please send it again a little later."
        }
    }

    /// A refused phone number: what is wrong, and the form expected (the example of the
    /// number's own country, or of the chosen one), in both languages side by side.
    static func phoneProblem(_ problem: PhoneNumberError, _ language: SupportedLocale) -> String {
        let ru = language == .ru
        let example = language.phoneExample(problem.region)
        let country = problem.region.map { ru ? " (\(language.regionName($0)))" : " for \(language.regionName($0))" } ?? ""
        return switch problem.reason {
        case .unknownRegion: ru ? "Выберите страну из списка." : "Please choose a country from the list."
        case .invalidCountryCode:
            ru ? "Укажите номер полностью, с «+» и кодом страны, \(example)." : "Please enter the number in full, with “+” and the country code, \(example)."
        case .notANumber: ru ? "Номер телефона состоит из цифр, \(example)." : "A phone number is digits, \(example)."
        case .tooShort: ru ? "В номере не хватает цифр\(country): \(example)." : "The number is too short\(country): \(example)."
        case .tooLong: ru ? "В номере лишние цифры\(country): \(example)." : "The number is too long\(country): \(example)."
        case .invalidForRegion:
            ru ? "Такого номера нет\(country). Проверьте номер и страну, \(example)."
                : "This is not a valid number\(country). Please check the number and the country, \(example)."
        case .wrongType:
            ru ? "На этот номер не дозвониться и не отправить SMS. Укажите мобильный или городской номер, \(example)."
                : "This number cannot take a call or an SMS. Please enter a mobile or landline number, \(example)."
        }
    }
}
