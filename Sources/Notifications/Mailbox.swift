/// An address with an optional display name, e.g. `Анна Петрова <anna@example.com>`.
public struct Mailbox: Sendable, Equatable {
    public var name: String?
    public var address: String

    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }
}
