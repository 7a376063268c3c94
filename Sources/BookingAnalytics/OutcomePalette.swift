/// How each fate of a booking is drawn: a colour for the screen and a pattern and a name for
/// greyscale print and for readers who cannot tell the colours apart.
enum OutcomePalette: CaseIterable {
    case attended, noShow, unmarked, pending, cancelled

    var label: String {
        switch self {
        case .attended: "Attended"
        case .noShow: "No-show"
        case .unmarked: "Unmarked"
        case .pending: "Pending"
        case .cancelled: "Cancelled"
        }
    }

    var id: String {
        switch self {
        case .attended: "attended"
        case .noShow: "no-show"
        case .unmarked: "unmarked"
        case .pending: "pending"
        case .cancelled: "cancelled"
        }
    }

    func count(_ day: DayOutcomes) -> Int {
        switch self {
        case .attended: day.attended
        case .noShow: day.noShow
        case .unmarked: day.unmarked
        case .pending: day.pending
        case .cancelled: day.cancelled
        }
    }

    /// A pattern over the colour: solid, diagonal lines, dots, plain light, cross-hatch.
    var patternDefinition: String {
        let id = "fill-\(self.id)"
        switch self {
        case .attended:
            return "<pattern id=\"\(id)\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"><rect width=\"8\" height=\"8\" fill=\"#2f6f4f\"/></pattern>"
        case .noShow:
            return "<pattern id=\"\(id)\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
                + "<rect width=\"6\" height=\"6\" fill=\"#c0392b\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#fff\" stroke-width=\"2\"/></pattern>"
        case .unmarked:
            return "<pattern id=\"\(id)\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
                + "<rect width=\"6\" height=\"6\" fill=\"#e0a526\"/><circle cx=\"3\" cy=\"3\" r=\"1.3\" fill=\"#222\"/></pattern>"
        case .pending:
            return "<pattern id=\"\(id)\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"><rect width=\"8\" height=\"8\" fill=\"#b8c7d6\"/></pattern>"
        case .cancelled:
            return "<pattern id=\"\(id)\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
                + "<rect width=\"6\" height=\"6\" fill=\"#6b6b6b\"/><path d=\"M0 0L6 6M6 0L0 6\" stroke=\"#fff\" stroke-width=\"1\"/></pattern>"
        }
    }
}
