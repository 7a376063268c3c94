import Delivery
import Foundation
import Notifications

/// One CRM's way of keeping a booking's lead: made once, then told of each change. One attempt
/// per call; the dispatcher retries, and `LeadSender` keeps the lead's id between the calls.
protocol LeadDestination: Sendable {
    /// Makes the booking's lead and returns its id, and whether `change` is in it already (a
    /// lead made from a later change is made as the booking now is). `retrying`: an earlier
    /// attempt may have made it before notifyd kept its id, so it is looked up first.
    func create(_ change: LeadChange, deliveryId: String, retrying: Bool) async throws(DeliveryFailure) -> (leadId: String, applied: Bool)

    /// Tells the lead `leadId` of `change`. `retrying`: an earlier attempt may have told it.
    func update(leadId: String, with change: LeadChange, deliveryId: String, retrying: Bool) async throws(DeliveryFailure)
}

/// JSON bodies of the CRMs' APIs, whose field names are theirs (Bitrix24's upper case), and
/// the answers read back: an answer that cannot be read is retried, so a lead made meanwhile is
/// found by the lookup rather than made twice.
enum CRMJSON {
    static func body(_ object: Any) throws(DeliveryFailure) -> [UInt8] {
        do {
            return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        } catch {
            throw .permanent("the CRM request cannot be encoded: \(error)")
        }
    }

    static func object(_ response: HTTPResponse, _ what: String) throws(DeliveryFailure) -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            throw .transient("\(what): the answer (HTTP \(response.status)) is not a JSON object")
        }
        return object
    }

    /// An id the APIs give as a number or as a string of digits.
    static func id(_ value: Any?) -> String? {
        switch value {
        case let number as Int: String(number)
        case let number as NSNumber: number.stringValue
        case let text as String where !text.isEmpty && text.allSatisfy(\.isNumber): text
        default: nil
        }
    }
}
