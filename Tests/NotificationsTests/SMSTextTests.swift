import Testing
@testable import Notifications

@Suite struct SMSTextTests {
    @Test func gsmLimits() {
        #expect(SMSText.encoding(of: "Booking BK-1 at 10:00 @ £5 è") == .gsm7)
        #expect(SMSText.segments(String(repeating: "a", count: 160)) == 1)
        #expect(SMSText.segments(String(repeating: "a", count: 161)) == 2)
        #expect(SMSText.segments(String(repeating: "a", count: 306)) == 2)
        #expect(SMSText.segments(String(repeating: "a", count: 307)) == 3)
    }

    @Test func extensionCharactersCountTwice() {
        #expect(SMSText.encoding(of: "{}[]€") == .gsm7)
        #expect(SMSText.segments(String(repeating: "€", count: 80)) == 1)
        #expect(SMSText.segments(String(repeating: "€", count: 81)) == 2)
        // A part cannot end in the middle of an escape pair: 152 + one 2-septet character → 2 parts.
        #expect(SMSText.segments(String(repeating: "a", count: 152) + "€" + String(repeating: "a", count: 10)) == 2)
        #expect(SMSText.segments(String(repeating: "a", count: 152) + "€" + String(repeating: "a", count: 152)) == 3)
    }

    @Test func ucs2Limits() {
        #expect(SMSText.encoding(of: "Запись") == .ucs2)
        #expect(SMSText.encoding(of: "Booking … confirmed") == .ucs2)
        #expect(SMSText.segments(String(repeating: "я", count: 70)) == 1)
        #expect(SMSText.segments(String(repeating: "я", count: 71)) == 2)
        #expect(SMSText.segments(String(repeating: "я", count: 134)) == 2)
        #expect(SMSText.segments(String(repeating: "я", count: 135)) == 3)
        // An emoji is two UTF-16 units and is never split between parts.
        #expect(SMSText.segments(String(repeating: "😀", count: 35)) == 1)
        #expect(SMSText.segments(String(repeating: "я", count: 66) + "😀" + "яяя") == 2)
        #expect(SMSText.segments(String(repeating: "я", count: 66) + "😀" + String(repeating: "я", count: 66)) == 3)
    }

    @Test func fittingTextIsUnchanged() {
        let text = "Консультация 01.12.2026, 10:00 (Москва) отменена."
        #expect(SMSText.fit(text, maxSegments: 1) == text)
    }

    @Test func cyrillicIsCutAtAWordWithAnEllipsis() {
        let words = Array(repeating: "консультация", count: 30).joined(separator: " ")
        let fitted = SMSText.fit(words, maxSegments: 2)
        #expect(fitted.hasSuffix("консультация…"))
        #expect(SMSText.segments(fitted) <= 2)
        #expect(fitted.count > 120)
        #expect(words.hasPrefix(String(fitted.dropLast())))
    }

    @Test func gsmTextKeepsGSMWithThreeDots() {
        let words = Array(repeating: "consultation,", count: 40).joined(separator: " ")
        let fitted = SMSText.fit(words, maxSegments: 1)
        #expect(SMSText.encoding(of: fitted) == .gsm7)
        #expect(fitted.hasSuffix("consultation..."))
        #expect(fitted.count <= 160)
        #expect(fitted.count > 140)
    }

    @Test func oneLongWordIsCutMidWord() {
        let fitted = SMSText.fit(String(repeating: "ж", count: 200), maxSegments: 1)
        #expect(fitted == String(repeating: "ж", count: 69) + "…")
    }

    @Test func zeroSegmentsMeansOne() {
        #expect(SMSText.segments(SMSText.fit(String(repeating: "a ", count: 200), maxSegments: 0)) == 1)
    }

    @Test func renderedSMSKeepsReferenceAndTimeWhenCut() throws {
        let library = try Fixtures.library()
        let facts = Fixtures.facts(locale: "ru", timeZone: "Europe/Moscow")
        for purpose in [MessagePurpose.clientConfirmation, .clientRescheduled, .clientCancelled, .clientReminder] {
            let sms = try library.sms(purpose, facts, maxSegments: 1)
            #expect(SMSText.segments(sms) == 1, "\(purpose): \(sms)")
            #expect(sms.contains("01.12.2026, 10:00"), "\(purpose): \(sms)")
            let full = try library.sms(purpose, facts, maxSegments: 4)
            #expect(full.contains("BK-7Q2M-X9TD-4KHN-ZP3CG"), "\(purpose): \(full)")
        }
        let english = try library.sms(.clientConfirmation, Fixtures.facts(locale: "en", timeZone: "Europe/London"), maxSegments: 1)
        #expect(english.hasPrefix("Your consultation is booked for 1 Dec 2026, 07:00 (London). Reference BK-7Q2M-X9TD-4KHN-ZP3CG."))
        #expect(SMSText.encoding(of: english) == .gsm7)
    }

    @Test func linkIsAllOrNothing() throws {
        let library = try Fixtures.library()
        let facts = Fixtures.facts(locale: "ru", timeZone: "Europe/Berlin")
        let short = try library.sms(.clientConfirmation, facts, maxSegments: 2)
        #expect(short == "Вы записаны на консультацию 01.12.2026, 08:00 (Берлин). Номер записи BK-7Q2M-X9TD-4KHN-ZP3CG.")
        let long = try library.sms(.clientConfirmation, facts, maxSegments: 3)
        #expect(long.hasSuffix(" Изменить: https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG"))
        #expect(SMSText.segments(long) == 3)
    }
}
