import BookingDomain
import BookingProtocol
import Foundation
import WebInput

/// What webd reads from a request and checks before anything else: the input is taken at once
/// as a form body (then its fields as the page checks them) and as each JSON body of /api/v1's
/// posts (then the contact as the API checks it). A refused JSON body must still be described
/// (the problem's detail and field).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let fields = parseForm(String(decoding: bytes, as: UTF8.self))
    if let field = fields["pow"] { _ = ProofOfWorkSolution(field: field) }
    _ = ContactInfo.validatingEachField(name: fields["name"] ?? "", email: fields["email"] ?? "", phone: fields["phone"] ?? "",
                                        phoneRegion: fields["country"], company: fields["company"])
    _ = try? ConsultationTopic.validated(fields["topic"])

    if let body = decode(BookBody.self, bytes) {
        _ = try? ContactInfo.validated(name: body.contact.name, email: body.contact.email, phone: body.contact.phone,
                                       phoneRegion: body.contact.phoneRegion, company: body.contact.company)
        _ = try? ConsultationTopic.validated(body.topic)
    }
    _ = decode(RescheduleBody.self, bytes)
    _ = decode(CancelBody.self, bytes)
    return 0
}

private func decode<Body: Decodable>(_ type: Body.Type, _ bytes: [UInt8]) -> Body? {
    do {
        return try WireJSON.decode(Body.self, from: bytes)
    } catch {
        _ = WireJSON.describe(error)
        _ = WireJSON.field(of: error)
        return nil
    }
}
