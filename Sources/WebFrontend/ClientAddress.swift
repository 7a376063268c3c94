import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as its bytes (4 or 16).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            let raw = withUnsafeBytes(of: &v6) { Array($0) }
            // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address.
            if raw[0..<10].allSatisfy({ $0 == 0 }) && raw[10] == 0xff && raw[11] == 0xff {
                bytes = Array(raw[12...])
            } else {
                bytes = raw
            }
        } else {
            return nil
        }
    }

    /// What a consent record keeps of the address (152-FZ's minimum): an IPv4 address without its
    /// last octet, an IPv6 address as its /48 (the site's prefix, not the host).
    public var masked: String {
        if bytes.count == 4 { return bytes.prefix(3).map(String.init).joined(separator: ".") + ".x" }
        var groups: [String] = []
        for index in stride(from: 0, to: 6, by: 2) { groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16)) }
        return groups.joined(separator: ":") + "::/48"
    }

    public var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for index in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16)) }
        return groups.joined(separator: ":")
    }
}

/// An address block such as `10.0.0.0/8` or `::1/128`; a bare address is a block of one.
public struct IPNetwork: Sendable, Equatable {
    public let address: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        let bits = address.bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...bits).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = bits
        }
        self.address = address
    }

    public func contains(_ other: IPAddress) -> Bool {
        guard other.bytes.count == address.bytes.count else { return false }
        var remaining = prefixLength
        for index in 0..<address.bytes.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xff : ~(0xff >> UInt8(bits))
            if address.bytes[index] & mask != other.bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }
}

/// Who is asking: the peer of the TCP connection, unless that peer is a trusted proxy, in which
/// case `X-Forwarded-For` is read from the right, skipping trusted proxies, and the first
/// address that is not one is the client (anything further left could be forged by it).
public enum ClientAddress {
    public static func resolve(peer: String?, forwardedFor: [String], trustedProxies: [IPNetwork]) -> String {
        guard let peerText = peer, let peerAddress = IPAddress(peerText) else { return peer ?? "unknown" }
        guard trustedProxies.contains(where: { $0.contains(peerAddress) }) else { return peerAddress.description }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peerAddress
        for hop in hops.reversed() {
            // A hop that is no address (`unknown`, an obfuscated name) ends the walk: the last
            // proxy that wrote it is the client as far as anyone can tell.
            guard let address = IPAddress(hop) ?? IPAddress(withoutPort: hop) else { break }
            client = address
            if !trustedProxies.contains(where: { $0.contains(address) }) { break }
        }
        return client.description
    }

    /// The key of a client's rate-limit buckets: an IPv4 address as it is (IPv4-mapped IPv6
    /// included), an IPv6 address by its /64, the block one subscriber gets and can rotate
    /// within freely.
    public static func limitKey(_ address: String) -> String {
        guard let parsed = IPAddress(address) else { return address }
        guard parsed.bytes.count == 16 else { return parsed.description }
        return IPAddress(bytes: Array(parsed.bytes[..<8]) + Array(repeating: 0, count: 8)).description + "/64"
    }
}

extension IPAddress {
    fileprivate init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// An address as some proxies write a hop: `203.0.113.7:41234`, `[2001:db8::1]:443` or `[2001:db8::1]`.
    fileprivate init?(withoutPort hop: String) {
        if hop.hasPrefix("["), let close = hop.firstIndex(of: "]") {
            let rest = hop[hop.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isNumber)) else { return nil }
            self.init(String(hop[hop.index(after: hop.startIndex)..<close]))
        } else if let colon = hop.firstIndex(of: ":"), hop.firstIndex(of: ":") == hop.lastIndex(of: ":"),
                  hop[hop.index(after: colon)...].allSatisfy(\.isNumber) {
            self.init(String(hop[..<colon]))
        } else {
            return nil
        }
    }
}
