import CPhoneNumber

/// What a valid number is, by its country's numbering plan.
public enum PhoneNumberType: String, Sendable, Hashable, CaseIterable {
    case fixedLine, mobile, fixedLineOrMobile, tollFree, premiumRate, sharedCost, voip, personalNumber, pager, uan, voicemail, unknown

    init(_ type: cpn_type) {
        self = switch type {
        case CPN_FIXED_LINE: .fixedLine
        case CPN_MOBILE: .mobile
        case CPN_FIXED_LINE_OR_MOBILE: .fixedLineOrMobile
        case CPN_TOLL_FREE: .tollFree
        case CPN_PREMIUM_RATE: .premiumRate
        case CPN_SHARED_COST: .sharedCost
        case CPN_VOIP: .voip
        case CPN_PERSONAL_NUMBER: .personalNumber
        case CPN_PAGER: .pager
        case CPN_UAN: .uan
        case CPN_VOICEMAIL: .voicemail
        default: .unknown
        }
    }
}

/// Why a typed number is not one to store.
public struct PhoneNumberError: Error, Sendable, Hashable {
    public enum Reason: Sendable, Hashable {
        /// The region the number was to be read in is not an ISO 3166 code with metadata.
        case unknownRegion
        /// No real country code after `+` (or the region's international prefix), or a national
        /// number came without a region.
        case invalidCountryCode
        case notANumber
        case tooShort
        case tooLong
        /// A length or a prefix the country's numbering plan has no numbers for.
        case invalidForRegion
        /// A valid number of a kind that is not wanted here (e.g. premium rate).
        case wrongType(PhoneNumberType)
    }

    public let reason: Reason
    /// Whose rules refused it: the number's own country when its code is known (`GB` for a
    /// `+44` number typed with `RU` chosen), else the region it was read in; nil for none.
    public let region: String?

    public init(_ reason: Reason, region: String?) {
        self.reason = reason
        self.region = region
    }
}

/// A number of a region as its people write it and as the world dials it.
public struct ExampleNumber: Sendable, Hashable {
    /// E.g. `07400 123456`.
    public let national: String
    /// E.g. `+44 7400 123456`.
    public let international: String
}

/// libphonenumber's metadata (Debian's libphonenumber), without I/O: the metadata is compiled
/// into the library.
public enum PhoneNumbers {
    /// Every region (ISO 3166 code) with a numbering plan, sorted.
    public static let regions: [String] = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = cpn_supported_regions(&buffer, buffer.count)
        precondition(length < buffer.count, "libphonenumber lists more regions than fit \(buffer.count) bytes")
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .split(separator: ",").map(String.init)
    }()

    private static let knownRegions = Set(regions)

    public static func isRegion(_ code: String) -> Bool { knownRegions.contains(code) }

    /// `text` as dialled from `region` (nil: it must start with `+` and a country
    /// code), in E.164: `07700 900123` in GB → `+447700900123`. National trunk prefixes (`8` in
    /// Russia, `0` in the UK) are dropped; the length, the prefix and the type must fit the
    /// number's country.
    public static func e164(_ text: String, region given: String?, accepting types: Set<PhoneNumberType>) throws(PhoneNumberError) -> String {
        // ISO 3166 codes are upper-case; `gb` typed on a command line means the same country.
        let region = given?.uppercased()
        if let region, !isRegion(region) { throw PhoneNumberError(.unknownRegion, region: region) }
        var analysis = cpn_analysis()
        cpn_analyse(text, region ?? "ZZ", &analysis)
        func fail(_ reason: PhoneNumberError.Reason) -> PhoneNumberError {
            let own = withUnsafeBytes(of: analysis.country_region) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return PhoneNumberError(reason, region: own.count == 2 ? own : region)
        }
        switch analysis.parse_error {
        case CPN_PARSED: break
        case CPN_INVALID_COUNTRY_CODE: throw fail(.invalidCountryCode)
        case CPN_TOO_SHORT_AFTER_IDD, CPN_TOO_SHORT_NSN: throw fail(.tooShort)
        case CPN_TOO_LONG_NSN: throw fail(.tooLong)
        default: throw fail(.notANumber)
        }
        switch analysis.possibility {
        case CPN_IS_POSSIBLE: break
        case CPN_IS_POSSIBLE_LOCAL_ONLY, CPN_TOO_SHORT: throw fail(.tooShort)
        case CPN_TOO_LONG: throw fail(.tooLong)
        case CPN_POSSIBLE_INVALID_COUNTRY_CODE: throw fail(.invalidCountryCode)
        default: throw fail(.invalidForRegion)
        }
        guard analysis.valid else { throw fail(.invalidForRegion) }
        let type = PhoneNumberType(analysis.type)
        guard types.contains(type) else { throw fail(.wrongType(type)) }
        return withUnsafeBytes(of: analysis.e164) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// A mobile number of `region` (a fixed line where the plan has no mobiles); nil for a code
    /// with no numbering plan.
    public static func example(region: String) -> ExampleNumber? {
        var national = [CChar](repeating: 0, count: 64), international = [CChar](repeating: 0, count: 64)
        for type in [CPN_MOBILE, CPN_FIXED_LINE_OR_MOBILE, CPN_FIXED_LINE]
        where cpn_example(region, type, &national, national.count, &international, international.count) {
            return ExampleNumber(national: string(national), international: string(international))
        }
        return nil
    }

    /// 44 for GB, 7 for RU; nil for an unknown region.
    public static func callingCode(region: String) -> Int? {
        let code = Int(cpn_calling_code(region))
        return code == 0 ? nil : code
    }

    /// The region a phone field should start with for a visitor in `timeZone` (GB for
    /// Europe/London), or `otherwise` (e.g. the visitor's language's country) for a zone of no
    /// country or one without a numbering plan.
    public static func likelyRegion(timeZone: String, otherwise: String) -> String {
        var region = [CChar](repeating: 0, count: 4)
        guard cpn_zone_region(timeZone, &region, region.count) else { return otherwise }
        let code = string(region)
        return isRegion(code) ? code : otherwise
    }

    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
