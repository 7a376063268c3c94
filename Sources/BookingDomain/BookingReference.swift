/// The code a client quotes to find their booking: 80 random bits as 16 Crockford base32 symbols
/// and a check symbol, shown as `BK-7Q2M-X9TD-4KHN-ZP3CK`.
///
/// 80 bits make references unguessable, so knowing one is enough to look a booking up; the check
/// symbol catches every single mistyped symbol and every swap of neighbours before any look-up.
/// New references take their check symbol from the data alphabet (Damm's scheme over GF(32)), so a
/// reference is letters and digits only: easy to dictate and kept whole by autolinkers. References
/// made before carry Crockford's mod-37 check, whose symbol may be `* ~ $ = U`; they keep working.
public struct BookingReference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The 16 data symbols' values (0...31), most significant first.
    private let values: [UInt8]
    /// The last symbol, as made (new references) or as issued (references with a mod-37 check).
    public let checkSymbol: Character

    static let dataAlphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    /// Crockford's mod-37 check alphabet of earlier references: the data alphabet and `* ~ $ = U`.
    static let legacyCheckAlphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U")
    public static let dataSymbolCount = 16
    public static let prefix = "BK"

    private init(values: [UInt8]) {
        self.values = values
        checkSymbol = BookingReference.dataAlphabet[Int(BookingReference.checkValue(for: values))]
    }

    private init(values: [UInt8], checkSymbol: Character) {
        self.values = values
        self.checkSymbol = checkSymbol
    }

    /// A new reference from `generator`'s bits; give it a seeded generator in tests.
    public static func generate<G: RandomNumberGenerator>(using generator: inout G) -> BookingReference {
        let low = generator.next() as UInt64
        let high = UInt16(truncatingIfNeeded: generator.next() as UInt64)
        var values = [UInt8](repeating: 0, count: dataSymbolCount)
        // 16 symbols x 5 bits = the 16 high bits followed by the 64 low bits.
        for index in 0..<dataSymbolCount {
            let shift = (dataSymbolCount - 1 - index) * 5
            let bits: UInt64
            if shift >= 64 {
                bits = UInt64(high) >> (shift - 64)
            } else if shift + 5 > 64 {
                bits = (low >> shift) | (UInt64(high) << (64 - shift))
            } else {
                bits = low >> shift
            }
            values[index] = UInt8(bits & 31)
        }
        return BookingReference(values: values)
    }

    /// A new reference from the system's generator (the kernel's CSPRNG on Linux).
    public static func random() -> BookingReference {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// Reads a reference as a person may type it: any case, with or without `BK`, dashes or
    /// spaces, and with I/L read as 1 and O as 0.
    public init(parsing text: String) throws(ReferenceError) {
        var symbols: [Character] = []
        symbols.reserveCapacity(19)
        for character in text.uppercased() where character != "-" && !character.isWhitespace {
            symbols.append(character)
        }
        // "B" and "K" are also valid symbols: 17 symbols are a reference without prefix even when
        // they start with "BK".
        if symbols.count != BookingReference.dataSymbolCount + 1, symbols.starts(with: BookingReference.prefix) {
            symbols.removeFirst(2)
        }
        guard !symbols.isEmpty else { throw ReferenceError.empty }
        guard symbols.count == BookingReference.dataSymbolCount + 1 else {
            throw ReferenceError.wrongLength(symbols.count)
        }
        var values: [UInt8] = []
        values.reserveCapacity(BookingReference.dataSymbolCount)
        for (index, symbol) in symbols.dropLast().enumerated() {
            guard let value = BookingReference.dataValue(of: symbol) else {
                throw ReferenceError.invalidSymbol(symbol, position: index + 1)
            }
            values.append(value)
        }
        let typed = symbols.last!
        guard let check = BookingReference.legacyCheckValue(of: typed) else {
            throw ReferenceError.invalidSymbol(typed, position: symbols.count)
        }
        if check < 32, UInt8(check) == BookingReference.checkValue(for: values) {
            self.init(values: values)
        } else if check == BookingReference.legacyCheckValue(for: values) {
            self.init(values: values, checkSymbol: BookingReference.legacyCheckAlphabet[check])
        } else {
            throw ReferenceError.checkSymbolMismatch
        }
    }

    /// `BK-XXXX-XXXX-XXXX-XXXXC`.
    public var description: String {
        let data = values.map { BookingReference.dataAlphabet[Int($0)] }
        var text = BookingReference.prefix
        for group in 0..<4 {
            text += "-" + String(data[(group * 4)..<(group * 4 + 4)])
        }
        return text + String(checkSymbol)
    }

    /// The 17 symbols without prefix or dashes, e.g. for a unique database column.
    public var compact: String {
        String(values.map { BookingReference.dataAlphabet[Int($0)] }) + String(checkSymbol)
    }

    /// Enough to tell references apart in a log without letting a reader use one:
    /// `BK-7Q2M-****-****-****G`.
    public var masked: String {
        let first = String(values.prefix(4).map { BookingReference.dataAlphabet[Int($0)] })
        return "\(BookingReference.prefix)-\(first)-****-****-****\(checkSymbol)"
    }

    /// The same for a reference as text (from a URL, an event or a message), which may not be
    /// one at all: then nothing of it is shown.
    public static func masked(_ text: String) -> String {
        (try? BookingReference(parsing: text))?.masked ?? "BK-****"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Damm's check over GF(32) with `x ∘ y = 2x + y`: a quasigroup in which `(c ∘ x) ∘ y = (c ∘ y) ∘ x`
    /// only when `x = y`, so a changed symbol or two swapped neighbours always change the result.
    /// The check symbol brings the result to zero: `2c + check = 0`, i.e. `check = 2c`.
    static func checkValue(for values: [UInt8]) -> UInt8 {
        timesTwo(values.reduce(0) { timesTwo($0) ^ $1 })
    }

    /// Multiplication by x in GF(2⁵) modulo the primitive polynomial x⁵ + x² + 1.
    private static func timesTwo(_ value: UInt8) -> UInt8 {
        let shifted = value << 1
        return shifted & 32 == 0 ? shifted : (shifted ^ 0b100101)
    }

    static func legacyCheckValue(for values: [UInt8]) -> Int {
        values.reduce(0) { ($0 * 32 + Int($1)) % 37 }
    }

    private static func dataValue(of symbol: Character) -> UInt8? {
        switch symbol {
        case "I", "L": return 1
        case "O": return 0
        default: return dataAlphabet.firstIndex(of: symbol).map(UInt8.init)
        }
    }

    private static func legacyCheckValue(of symbol: Character) -> Int? {
        switch symbol {
        case "I", "L": return 1
        case "O": return 0
        default: return legacyCheckAlphabet.firstIndex(of: symbol)
        }
    }
}

public enum ReferenceError: Error, Sendable, Hashable, CustomStringConvertible {
    case empty
    /// The number of symbols found (without prefix, dashes and spaces); 17 are needed.
    case wrongLength(Int)
    /// `position` counts symbols from 1, after the prefix.
    case invalidSymbol(Character, position: Int)
    /// Well-formed, but the check symbol does not match: a symbol was mistyped or two were swapped.
    case checkSymbolMismatch

    /// The wire contract's code for every malformed reference.
    public var code: String { "invalid_reference" }

    public var message: String {
        switch self {
        case .empty:
            "booking reference is empty; it looks like BK-7Q2M-X9TD-4KHN-ZP3CG"
        case let .wrongLength(count):
            "booking reference must have 17 letters and digits after BK, e.g. BK-7Q2M-X9TD-4KHN-ZP3CG (got \(count))"
        case let .invalidSymbol(symbol, position):
            "booking reference cannot contain \"\(symbol)\" (symbol \(position) after BK)"
        case .checkSymbolMismatch:
            "booking reference is mistyped: its last symbol does not match the others; please check each symbol"
        }
    }

    public var description: String { message }
}
