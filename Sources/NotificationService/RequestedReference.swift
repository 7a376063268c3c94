import BookingDomain
import BookingProtocol

extension BookingReference {
    /// The booking a request names, or the `invalid_reference` refusal that says why not.
    static func requested(_ text: String) throws(ProtocolError) -> BookingReference {
        do {
            return try BookingReference(parsing: text)
        } catch {
            throw ProtocolError(.invalidReference, error.message, field: "reference")
        }
    }
}
