@testable import BookingProtocol
import Foundation

/// The envelope and its header: the input is the message's frames separated by 0xFF (a byte
/// that UTF-8 never uses, so every other byte can still appear in a frame).
///
/// Beyond "no crash", two properties:
/// - the hand-written header parser is a fast path only: whatever it accepts, `JSONDecoder`
///   decodes to the same header;
/// - a header written by `JSONWriter` is read back as the same header, byte for byte when
///   written again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let frames = bytes.split(separator: 0xFF, omittingEmptySubsequences: false).map(Array.init)

    var headers: [MessageHeader] = []
    if let envelope = try? Envelope.decode(frames) { headers.append(envelope.header) }
    if let (_, envelope) = try? Envelope.splitRouted(frames) { headers.append(envelope.header) }
    if let (_, envelope) = try? Envelope.decodeEvent(frames) { headers.append(envelope.header) }
    for frame in frames {
        guard let parsed = HeaderParser.parse(frame) else { continue }
        let decoded = try? WireJSON.decode(MessageHeader.self, from: frame)
        precondition(decoded == parsed, "HeaderParser read \(parsed) where JSONDecoder read \(String(describing: decoded))")
        headers.append(parsed)
    }
    for header in headers {
        let written = WireJSON.encodeHeader(header)
        guard let again = try? Envelope.decode([[], Envelope.signatureBytes, Array("ping".utf8), written, []]).header else {
            preconditionFailure("a written header is not read back: \(String(decoding: written, as: UTF8.self))")
        }
        precondition(WireJSON.encodeHeader(again) == written, "a header changes when written again: \(String(decoding: written, as: UTF8.self))")
    }
    return 0
}
