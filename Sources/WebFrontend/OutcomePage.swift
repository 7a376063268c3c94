import BookingDomain
import BookingProtocol
import Foundation
import HTMLEscaping

/// The page a consultant's one-click link opens: which booking, which outcome, and one button.
/// Nothing of the client is on it: the link travels in email, where it may be forwarded.
extension Pages {
    /// What the link asks, as its query carried it, for the form to send back.
    struct OutcomeLink: Sendable {
        var outcome: String
        var expires: String
        var token: String
    }

    func t(outcome phrase: OutcomePhrase) -> String { escapeHTML(language.text(outcome: phrase)) }

    func outcomeName(_ outcome: String) -> String {
        language.text(outcome: outcome == OutcomeName.noShow ? .noShow : .attended)
    }

    /// The status a booking has once marked with `outcome`.
    static func status(markedWith outcome: String) -> String {
        outcome == OutcomeName.noShow ? AppointmentStatus.noShow.rawValue : AppointmentStatus.completed.rawValue
    }

    /// A marked booking's status as its outcome ("the client came"), others as the manage page says them.
    func outcomeStatusText(_ status: String) -> String {
        switch status {
        case AppointmentStatus.completed.rawValue: outcomeName(OutcomeName.attended)
        case AppointmentStatus.noShow.rawValue: outcomeName(OutcomeName.noShow)
        default: statusText(status)
        }
    }

    func outcomePage(_ appointment: AppointmentBody, consultant: String, link: OutcomeLink, formToken: String, now: Date,
                     note: String = "", noteError: String? = nil, message: String? = nil) -> String {
        var body = alert(message)
        body += outcomeSummary(appointment, consultant: consultant)
        body += "<p id=\"outcome-asked\"><strong>\(t(outcome: .outcome)):</strong> <span data-outcome=\"\(escapeHTML(link.outcome))\">\(escapeHTML(outcomeName(link.outcome)))</span></p>"
        if appointment.status == Self.status(markedWith: link.outcome) {
            body += notice(language.text(outcome: .alreadyThat))
        } else if appointment.status == AppointmentStatus.completed.rawValue || appointment.status == AppointmentStatus.noShow.rawValue {
            body += notice(language.text(outcome: .markedOther(outcomeStatusText(appointment.status))))
        } else if appointment.start > now {
            body += notice(language.text(outcome: .notStartedYet(time.clock(appointment.start))))
        }
        let hidden = [("form_token", formToken), ("tz", time.zone.identifier), ("outcome", link.outcome), ("expires", link.expires), ("token", link.token)]
            .map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\(escapeHTML($0.1))\">" }.joined(separator: "\n")
        let describedBy = "note-hint" + (noteError == nil ? "" : " note-error")
        body += """
            <form class="outcome" method="post" action="\(escapeHTML("/manage/\(appointment.reference)/outcome"))">
            \(hidden)
            <div class="field\(noteError == nil ? "" : " invalid")"><label for="note">\(t(outcome: .note)) <span class="optional">(\(t(.optional)))</span></label>
            <p class="hint" id="note-hint">\(t(outcome: .noteHint))</p>
            \(noteError.map { "<p class=\"error\" id=\"note-error\">\(escapeHTML($0))</p>" } ?? "")
            <textarea id="note" name="note" maxlength="\(FieldLimits.reasonCharacters)" rows="3" aria-describedby="\(describedBy)"\(noteError == nil ? "" : " aria-invalid=\"true\"")>\(escapeHTML(note))</textarea></div>
            <button type="submit" class="primary" id="outcome-button">\(t(outcome: .button))</button>
            </form>
            """
        return layout(title: language.text(outcome: .title), body: body, noindex: true)
    }

    /// What the button did, or why the link does nothing; `appointment` when it is known.
    func outcomeResultPage(_ message: String, appointment: AppointmentBody?, consultant: String?) -> String {
        var body = "<p id=\"outcome-result\" role=\"status\">\(escapeHTML(message))</p>"
        if let appointment, let consultant { body += outcomeSummary(appointment, consultant: consultant) }
        return layout(title: language.text(outcome: .title), body: body, noindex: true)
    }

    func outcomeSummary(_ appointment: AppointmentBody, consultant: String) -> String {
        "<dl class=\"booking-summary\">"
            + "<dt>\(t(.reference))</dt><dd><strong class=\"reference\" id=\"reference\">\(escapeHTML(appointment.reference))</strong></dd>"
            + "<dt>\(t(.when))</dt><dd id=\"booking-time\">\(escapeHTML(time.span(appointment.start, appointment.end)))</dd>"
            + "<dt>\(t(outcome: .consultant))</dt><dd id=\"booking-consultant\">\(escapeHTML(consultant))</dd>"
            + "<dt>\(t(.status))</dt><dd id=\"booking-status\" data-status=\"\(escapeHTML(appointment.status))\">\(escapeHTML(outcomeStatusText(appointment.status)))</dd>"
            + "</dl>"
    }
}
