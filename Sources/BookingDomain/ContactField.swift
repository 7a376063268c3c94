/// The fields of a client's contact, in domain spelling; the wire spells them `contact.<rawValue>`.
public enum ContactField: String, Sendable, Hashable, CaseIterable {
    case name
    case email
    case phone
    case company
}
