import Foundation

/// `application/x-www-form-urlencoded`, as a browser sends a form (and as a query string is).
public func parseForm(_ text: String) -> [String: String] {
    var fields: [String: String] = [:]
    for pair in text.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func decode(_ part: Substring) -> String {
            String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
        }
        let key = decode(parts[0])
        if fields[key] == nil { fields[key] = parts.count > 1 ? decode(parts[1]) : "" }
    }
    return fields
}
