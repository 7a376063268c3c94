import Foundation

/// A query string from pairs, percent-encoded; pairs with a nil value are left out.
func query(_ pairs: [(String, String?)]) -> String {
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
    let parts = pairs.compactMap { key, value -> String? in
        guard let value else { return nil }
        return key + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
    }
    return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
}
