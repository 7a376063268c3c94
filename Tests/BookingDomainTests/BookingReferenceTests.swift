import Foundation
import Testing
@testable import BookingDomain
import SeededRandom

@Suite("Booking references")
struct BookingReferenceTests {
    static let dataSymbols = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    static let checkOnlySymbols = Array("*~$=U")

    static func sample(seed: UInt64 = 42) -> BookingReference {
        var generator = SeededGenerator(seed: seed)
        return BookingReference.generate(using: &generator)
    }

    /// The 17 symbols of a reference, computed here with plain big-number arithmetic.
    static func expectedSymbols(low: UInt64, high: UInt16) -> String {
        var value = (high: UInt64(high), low: low)  // 80 bits
        var symbols: [Character] = []
        for _ in 0..<16 {
            symbols.append(dataSymbols[Int(value.low & 31)])
            value.low = (value.low >> 5) | ((value.high & 31) << 59)
            value.high >>= 5
        }
        symbols.reverse()
        return String(symbols) + String(dataSymbols[Int(dammCheck(symbols.map { UInt8(dataSymbols.firstIndex(of: $0)!) }))])
    }

    /// Damm's check over GF(32) computed the long way: carry-less multiplication by 2 and
    /// reduction by x⁵ + x² + 1, then the symbol that brings the chain to zero.
    static func dammCheck(_ values: [UInt8]) -> UInt8 {
        func times2(_ value: Int) -> Int {
            var product = value * 2  // carry-less: one shift
            if product >= 32 { product ^= 0b100101 }
            return product
        }
        var interim = 0
        for value in values { interim = times2(interim) ^ Int(value) }
        return UInt8(times2(interim))
    }

    /// A reference as issued before: the same data with Crockford's mod-37 check symbol.
    static func legacyText(_ reference: BookingReference) -> String {
        let data = reference.compact.dropLast()
        let remainder = data.reduce(0) { ($0 * 32 + dataSymbols.firstIndex(of: $1)!) % 37 }
        return "BK" + data + String(Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U")[remainder])
    }

    @Test func bitsBecomeSymbolsAsSpecified() {
        let words: [(UInt64, UInt64)] = [(0, 0), (.max, .max), (0x0123_4567_89AB_CDEF, 0xFEDC), (1, 0x8000), (0xDEAD_BEEF_0000_0001, 0x12_3456)]
        for (low, high) in words {
            var generator = ScriptedGenerator(words: [low, high])
            let reference = BookingReference.generate(using: &generator)
            #expect(reference.compact == Self.expectedSymbols(low: low, high: UInt16(truncatingIfNeeded: high)))
        }
        var zeros = ScriptedGenerator(words: [0, 0])
        #expect(BookingReference.generate(using: &zeros).description == "BK-0000-0000-0000-00000")
        var ones = ScriptedGenerator(words: [.max, .max])
        #expect(BookingReference.generate(using: &ones).description == "BK-ZZZZ-ZZZZ-ZZZZ-ZZZZ\(Self.dataSymbols[Int(Self.dammCheck(Array(repeating: 31, count: 16)))])")
    }

    @Test func newReferencesAreLettersAndDigitsOnly() {
        var generator = SeededGenerator(seed: 37)
        for _ in 0..<5000 {
            let reference = BookingReference.generate(using: &generator)
            #expect(reference.description.allSatisfy { $0 == "-" || Self.dataSymbols.contains($0) }, "\(reference)")
        }
    }

    @Test func referencesIssuedWithTheMod37CheckKeepWorking() throws {
        var generator = SeededGenerator(seed: 3)
        var punctuated = Set<Character>()
        for _ in 0..<2000 {
            let legacy = Self.legacyText(BookingReference.generate(using: &generator))
            let reference = try BookingReference(parsing: legacy)
            #expect(reference.compact == String(legacy.dropFirst(2)), "the issued check symbol is kept")
            #expect(try BookingReference(parsing: reference.description) == reference)
            if "*~$=U".contains(legacy.last!) { punctuated.insert(legacy.last!) }
        }
        #expect(punctuated == Set("*~$=U"), "old references with each of * ~ $ = U parse")
    }

    @Test func theDocumentedExampleParses() throws {
        let reference = try BookingReference(parsing: "BK-7Q2M-X9TD-4KHN-ZP3CG")
        #expect(reference.description == "BK-7Q2M-X9TD-4KHN-ZP3CG")
        #expect(reference.masked == "BK-7Q2M-****-****-****G")
        #expect(reference.compact == "7Q2MX9TD4KHNZP3CG")
        #expect(reference.checkSymbol == "G")
        // The brief's "...ZP3CW" has the wrong check symbol and is rejected.
        #expect(throws: ReferenceError.checkSymbolMismatch) { try BookingReference(parsing: "BK-7Q2M-X9TD-4KHN-ZP3CW") }
    }

    @Test func manySeededReferencesRoundTrip() throws {
        var generator = SeededGenerator(seed: 2026)
        var seen = Set<BookingReference>()
        var aliasesTried = 0
        for _ in 0..<2000 {
            let reference = BookingReference.generate(using: &generator)
            seen.insert(reference)
            let text = reference.description
            #expect(text.count == 23)
            #expect(text.wholeMatch(of: /BK-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{5}/) != nil)
            #expect(try BookingReference(parsing: text) == reference)
            #expect(try BookingReference(parsing: text.lowercased()) == reference)
            #expect(try BookingReference(parsing: reference.compact) == reference)
            #expect(try BookingReference(parsing: " bk " + reference.compact.lowercased().map { "\($0) " }.joined()) == reference)
            #expect(try BookingReference(parsing: String(text.dropFirst(3))) == reference)
            let aliased = String(text.dropFirst(2).map { $0 == "1" ? "l" : $0 == "0" ? "O" : $0 })
            if aliased != String(text.dropFirst(2)) {
                aliasesTried += 1
                #expect(try BookingReference(parsing: "BK" + aliased) == reference)
                #expect(try BookingReference(parsing: "bk" + aliased.replacingOccurrences(of: "l", with: "I")) == reference)
            }
        }
        #expect(seen.count == 2000)
        #expect(aliasesTried > 500)
    }

    /// A typo must never read as the reference it was typed from. The new check refuses every
    /// one; since earlier references are read with their mod-37 check too, a typo may pass as a
    /// reference of that kind (about one in 37), which names no booking and is not found.
    static func expectRefusedOrAnother(_ typo: [Character], of reference: BookingReference) -> Bool {
        do {
            let read = try BookingReference(parsing: String(typo))
            #expect(read != reference && read.compact != reference.compact, "\(String(typo))")
            return false
        } catch {
            return true
        }
    }

    @Test("every single-symbol substitution is refused", arguments: [42, 7, 99] as [UInt64])
    func substitutions(seed: UInt64) {
        let reference = Self.sample(seed: seed)
        let symbols = Array(reference.compact)
        var refused = 0, tried = 0
        for position in symbols.indices {
            for replacement in Self.dataSymbols + Self.checkOnlySymbols where replacement != symbols[position] {
                var typo = symbols
                typo[position] = replacement
                tried += 1
                if Self.expectRefusedOrAnother(typo, of: reference) { refused += 1 }
                if position < symbols.count - 1 && Self.checkOnlySymbols.contains(replacement) {
                    #expect(throws: ReferenceError.invalidSymbol(replacement, position: position + 1)) { try BookingReference(parsing: String(typo)) }
                }
            }
        }
        #expect(refused * 10 > tried * 9, "\(refused) of \(tried)")
    }

    @Test func theNewCheckAloneCatchesEverySubstitutionAndSwap() {
        var generator = SeededGenerator(seed: 19)
        for _ in 0..<300 {
            var values = (0..<16).map { _ in UInt8(generator.next() % 32) }
            values.append(Self.dammCheck(values))
            for position in values.indices {
                for replacement in 0..<32 where replacement != values[position] {
                    var typo = values
                    typo[position] = UInt8(replacement)
                    #expect(Self.dammCheck(Array(typo.dropLast())) != typo.last!)
                }
                if position < values.count - 1, values[position] != values[position + 1] {
                    var swapped = values
                    swapped.swapAt(position, position + 1)
                    #expect(Self.dammCheck(Array(swapped.dropLast())) != swapped.last!)
                }
            }
        }
    }

    @Test func everyAdjacentTranspositionIsRefused() {
        var generator = SeededGenerator(seed: 11)
        var swapsTried = 0, refused = 0
        for _ in 0..<300 {
            let reference = BookingReference.generate(using: &generator)
            let symbols = Array(reference.compact)
            for position in 0..<(symbols.count - 1) where symbols[position] != symbols[position + 1] {
                var typo = symbols
                typo.swapAt(position, position + 1)
                swapsTried += 1
                if Self.expectRefusedOrAnother(typo, of: reference) { refused += 1 }
            }
        }
        #expect(swapsTried > 4000)
        #expect(refused * 10 > swapsTried * 9, "\(refused) of \(swapsTried)")
    }

    @Test("malformed references", arguments: [
        ("", ReferenceError.empty, "booking reference is empty; it looks like BK-7Q2M-X9TD-4KHN-ZP3CG"),
        (" - ", .empty, "booking reference is empty; it looks like BK-7Q2M-X9TD-4KHN-ZP3CG"),
        ("BK-1234", .wrongLength(4), "booking reference must have 17 letters and digits after BK, e.g. BK-7Q2M-X9TD-4KHN-ZP3CG (got 4)"),
        ("BK-7Q2M-X9TD-4KHN-ZP3C", .wrongLength(16), "booking reference must have 17 letters and digits after BK, e.g. BK-7Q2M-X9TD-4KHN-ZP3CG (got 16)"),
        ("BK-7Q2M-X9TD-4KHN-ZP3CGG", .wrongLength(18), "booking reference must have 17 letters and digits after BK, e.g. BK-7Q2M-X9TD-4KHN-ZP3CG (got 18)"),
        ("BK-7Q2U-X9TD-4KHN-ZP3CG", .invalidSymbol("U", position: 4), "booking reference cannot contain \"U\" (symbol 4 after BK)"),
        ("BK-7Q2M-X9_D-4KHN-ZP3CG", .invalidSymbol("_", position: 7), "booking reference cannot contain \"_\" (symbol 7 after BK)"),
        ("BK-7Q2M-X9TD-4KHN-ZP3C#", .invalidSymbol("#", position: 17), "booking reference cannot contain \"#\" (symbol 17 after BK)"),
        ("7Q2M-X9TD-4KHN-ZP3CG-5", .wrongLength(18), "booking reference must have 17 letters and digits after BK, e.g. BK-7Q2M-X9TD-4KHN-ZP3CG (got 18)"),
        ("BK-7Q2M-X9TD-4KHN-ZP3C*", .checkSymbolMismatch, "booking reference is mistyped: its last symbol does not match the others; please check each symbol"),
    ])
    func malformed(text: String, error: ReferenceError, message: String) {
        #expect(throws: error) { try BookingReference(parsing: text) }
        #expect(error.message == message)
        #expect(error.code == "invalid_reference")
    }

    @Test func codableAsTheCanonicalString() throws {
        let reference = Self.sample()
        let data = try JSONEncoder().encode([reference])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(reference.description)\"]")
        #expect(try JSONDecoder().decode([BookingReference].self, from: data) == [reference])
        let sloppy = Data("[\"\(reference.compact.lowercased())\"]".utf8)
        #expect(try JSONDecoder().decode([BookingReference].self, from: sloppy) == [reference])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([BookingReference].self, from: Data(#"["BK-0000"]"#.utf8)) }
    }

    @Test func seededGenerationIsReproducibleAndSystemGenerationVaries() {
        #expect(Self.sample(seed: 5) == Self.sample(seed: 5))
        #expect(Self.sample(seed: 5) != Self.sample(seed: 6))
        #expect(BookingReference.random() != BookingReference.random())
    }
}
