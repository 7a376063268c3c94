import NIOConcurrencyHelpers

/// The stores write `?` for each argument, as SQLite does; PostgreSQL numbers them (`$1`…`$n`).
/// A `?` inside a string, a quoted name, a dollar-quoted body or a comment is text, not an
/// argument, and is left alone.
enum Placeholders {
    struct Numbered: Sendable {
        var sql: String
        var count: Int
    }

    /// The statements are a fixed set written in the stores' code, so each is rewritten once.
    private static let cache = NIOLockedValueBox<[String: Numbered]>([:])
    /// Past this many distinct texts the statements are being built at run time (a list of
    /// values spelled out): start again rather than grow without end.
    static let cacheLimit = 4096

    static func numbered(_ sql: String) -> Numbered {
        if let known = cache.withLockedValue({ $0[sql] }) { return known }
        let numbered = rewrite(sql)
        cache.withLockedValue { cache in
            if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[sql] = numbered
        }
        return numbered
    }

    static func rewrite(_ sql: String) -> Numbered {
        let bytes = Array(sql.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16)
        var count = 0
        var index = 0

        /// Copies up to and including the byte that closes what starts at `index`.
        func copy(through end: Int) {
            output.append(contentsOf: bytes[index..<min(end, bytes.count)])
            index = min(end, bytes.count)
        }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "'"):
                // E'…' strings take backslash escapes; standard ones double the quote only.
                let escapes = index > 0 && (bytes[index - 1] | 0x20) == UInt8(ascii: "e") && (index < 2 || !isIdentifier(bytes[index - 2]))
                copy(through: closingQuote(bytes, from: index, quote: UInt8(ascii: "'"), backslashEscapes: escapes))
            case UInt8(ascii: "\""):
                copy(through: closingQuote(bytes, from: index, quote: UInt8(ascii: "\""), backslashEscapes: false))
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                copy(through: (bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count - 1) + 1)
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                copy(through: closingComment(bytes, from: index))
            case UInt8(ascii: "$") where index == 0 || !isIdentifier(bytes[index - 1]):
                if let tagEnd = dollarTagEnd(bytes, from: index) {
                    let tag = bytes[index...tagEnd]
                    var search = tagEnd + 1
                    var end = bytes.count
                    while search + tag.count <= bytes.count {
                        if bytes[search..<(search + tag.count)].elementsEqual(tag) {
                            end = search + tag.count
                            break
                        }
                        search += 1
                    }
                    copy(through: end)
                } else {
                    copy(through: index + 1)
                }
            case UInt8(ascii: "?"):
                count += 1
                output.append(UInt8(ascii: "$"))
                output.append(contentsOf: String(count).utf8)
                index += 1
            default:
                copy(through: index + 1)
            }
        }
        return Numbered(sql: String(decoding: output, as: UTF8.self), count: count)
    }

    private static func isIdentifier(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || ((byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")) || byte >= 0x80
    }

    /// The index just past the quote that closes the one at `start` (a doubled quote is part
    /// of the text); the end of the statement if it never closes.
    private static func closingQuote(_ bytes: [UInt8], from start: Int, quote: UInt8, backslashEscapes: Bool) -> Int {
        var index = start + 1
        while index < bytes.count {
            if backslashEscapes && bytes[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if bytes[index] == quote {
                if index + 1 < bytes.count && bytes[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return bytes.count
    }

    /// Block comments nest in PostgreSQL.
    private static func closingComment(_ bytes: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "/") && bytes[index + 1] == UInt8(ascii: "*") {
                depth += 1
                index += 2
            } else if bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/") {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return bytes.count
    }

    /// The index of the `$` that ends a dollar-quote tag (`$$` or `$tag$`) opened at `start`;
    /// nil when the `$` opens none (`$1`, or a lone `$`).
    private static func dollarTagEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        if index < bytes.count && bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9") { return nil }
        while index < bytes.count && isIdentifier(bytes[index]) { index += 1 }
        return index < bytes.count && bytes[index] == UInt8(ascii: "$") ? index : nil
    }
}
