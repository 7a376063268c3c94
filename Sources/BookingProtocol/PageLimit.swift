/// How many items one answer to a query holds at most. A `limit` that is absent (or null) takes
/// the default; one from 1 to the maximum is used as given; 0, a negative number or one above the
/// maximum is refused with `validation_failed` on `limit`, so a client never gets fewer than it
/// asked for without being told. Whatever the limit, an answer never exceeds `max_message_bytes`:
/// a query that pages says so by a cursor, `replay` by `last_sequence`.
public struct PageLimit: Sendable, Equatable {
    public var defaultValue: Int
    public var maximum: Int

    public static let list = PageLimit(defaultValue: 500, maximum: 5000)
    public static let replay = PageLimit(defaultValue: 1000, maximum: 1000)
    public static let notifications = PageLimit(defaultValue: 500, maximum: 5000)
    public static let feed = PageLimit(defaultValue: 500, maximum: 5000)

    public func resolved(_ limit: Int?) throws(ProtocolError) -> Int {
        guard let limit else { return defaultValue }
        guard (1...maximum).contains(limit) else {
            throw ProtocolError(.validationFailed, "limit must be a whole number from 1 to \(maximum) (default \(defaultValue)); got \(limit)", field: "limit")
        }
        return limit
    }
}
