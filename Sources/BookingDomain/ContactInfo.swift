import Foundation
import PhoneNumbers

/// A rejected contact field. `message` is written to be shown to the person who typed it (the
/// wire and the API carry it as is); `kind` is what a translation needs, so a page in another
/// language says the same thing without copying the English text.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the value, whatever its field.
    public enum Kind: Sendable, Hashable {
        case empty
        case tooLong(maximum: Int)
        /// A line break, a tab or another control character in a one-line field.
        case controlCharacter
        /// A character that is not shown but reorders or hides text (a bidi override or isolate,
        /// a zero-width space or joiner, a byte order mark: Unicode's format characters, Cf).
        case invisibleCharacter
        /// Not the form the field has (an email address, a phone number with its country code).
        case malformed
        /// A phone number its country's numbering plan refuses (too short, of no real country...).
        case phoneNumber(PhoneNumberError)
    }

    public let field: ContactField
    public let kind: Kind
    public let message: String

    init(field: ContactField, kind: Kind, message: String) {
        self.field = field
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(field.rawValue): \(message)" }
}

/// How a client can be reached, always in normalised form: the only way to make one is
/// `validated(...)`, so every value in the system has passed the same rules.
public struct ContactInfo: Sendable, Hashable, Codable {
    public let name: String
    /// The local part as typed, the domain lowercased.
    public let email: String
    /// E.164, e.g. `+79161234567`.
    public let phone: String
    public let company: String?

    public static let maximumNameLength = 100
    public static let maximumEmailLength = 254
    public static let maximumCompanyLength = 200
    /// The kinds of number a person answers and most can take an SMS; toll-free, premium-rate,
    /// shared-cost, pager and voicemail numbers are refused.
    public static let reachablePhoneTypes: Set<PhoneNumberType> = [.fixedLine, .mobile, .fixedLineOrMobile, .voip, .personalNumber]
    /// E.164's bounds, country code included: all a stored number is held to.
    public static let storedPhoneDigits = 8...15

    private init(name: String, email: String, phone: String, company: String?) {
        self.name = name
        self.email = email
        self.phone = phone
        self.company = company
    }

    /// An erased contact: every field empty. Only the store makes it, for a row whose personal
    /// data was erased; no validation ever returns it (a name and an email are required).
    public static let erased = ContactInfo(name: "", email: "", phone: "", company: nil)

    public var isErased: Bool { self == .erased }

    /// Validates and normalises raw input; the first failing field (in the order name, email,
    /// phone, company) is reported. Already-normalised values come back unchanged. A form that
    /// shows every error at once checks each field with its own `validated…` instead.
    /// `phoneRegion` is the country a number without `+` is read in (see `validatedPhone`).
    public static func validated(name: String, email: String, phone: String, phoneRegion: String? = nil,
                                 company: String? = nil) throws(ValidationError) -> ContactInfo {
        ContactInfo(
            name: try validatedName(name),
            email: try validatedEmail(email),
            phone: try validatedPhone(phone, region: phoneRegion),
            company: try validatedCompany(company))
    }

    /// A contact as stored or sent by the suite itself: the same rules, except that the phone is
    /// held only to E.164's form, so a number accepted once stays readable after a newer
    /// libphonenumber's metadata would refuse it.
    public static func restored(name: String, email: String, phone: String, company: String?) throws(ValidationError) -> ContactInfo {
        ContactInfo(
            name: try validatedName(name),
            email: try validatedEmail(email),
            phone: try restoredPhone(phone),
            company: try validatedCompany(company))
    }

    /// Every field checked by its own rule, for a form that shows all its errors at once
    /// (`validated` stops at the first): the contact when no field failed, else each failure in
    /// the order name, email, phone, company.
    public static func validatingEachField(name: String, email: String, phone: String, phoneRegion: String? = nil, company: String?)
        -> (contact: ContactInfo?, errors: [ValidationError]) {
        var errors: [ValidationError] = []
        func check<Value>(_ rule: () throws(ValidationError) -> Value) -> Value? {
            do {
                return try rule()
            } catch {
                errors.append(error)
                return nil
            }
        }
        let name = check { () throws(ValidationError) in try validatedName(name) }
        let email = check { () throws(ValidationError) in try validatedEmail(email) }
        let phone = check { () throws(ValidationError) in try validatedPhone(phone, region: phoneRegion) }
        let company = check { () throws(ValidationError) in try validatedCompany(company) }
        guard let name, let email, let phone, let company else { return (nil, errors) }
        return (ContactInfo(name: name, email: email, phone: phone, company: company), [])
    }

    // MARK: Forms for logs

    /// Each word reduced to its first letter, e.g. `А*** П***`.
    public var maskedName: String { Self.maskedName(name) }

    /// E.g. `a***@example.com`.
    public var maskedEmail: String { Self.maskedEmail(email) }

    /// The country code's neighbourhood and the last two digits, e.g. `+7916*****67`.
    public var maskedPhone: String { Self.maskedPhone(phone) }

    /// Everything a log line may show about the contact.
    public var masked: String { Self.masked(name: name, email: email, phone: phone) }

    // The same forms for contact fields that arrive as bare strings (e.g. in an event body),
    // so every masked contact in the suite looks alike.

    public static func maskedName(_ name: String) -> String {
        name.split(separator: " ").map { "\($0.prefix(1))***" }.joined(separator: " ")
    }

    public static func maskedEmail(_ email: String) -> String {
        guard let at = email.lastIndex(of: "@") else { return "***" }
        return "\(email[..<at].prefix(1))***\(email[at...])"
    }

    public static func maskedPhone(_ phone: String) -> String {
        let digits = phone.hasPrefix("+") ? phone.dropFirst() : Substring(phone)
        return "+" + digits.prefix(4) + String(repeating: "*", count: max(0, digits.count - 6)) + digits.suffix(2)
    }

    /// An empty phone (none given) is left out.
    public static func masked(name: String, email: String, phone: String) -> String {
        let nameAndEmail = "\(maskedName(name)) <\(maskedEmail(email))>"
        return phone.isEmpty ? nameAndEmail : "\(nameAndEmail) \(maskedPhone(phone))"
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey { case name, email, phone, company }

    /// Decoding re-validates (as `restored`), so stored or received contacts cannot bypass the rules.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            self = try ContactInfo.restored(
                name: container.decode(String.self, forKey: .name),
                email: container.decode(String.self, forKey: .email),
                phone: container.decode(String.self, forKey: .phone),
                company: container.decodeIfPresent(String.self, forKey: .company))
        } catch let error as ValidationError {
            throw DecodingError.dataCorrupted(.init(
                codingPath: container.codingPath + [CodingKeys(rawValue: error.field.rawValue) ?? CodingKeys.name],
                debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(email, forKey: .email)
        try container.encode(phone, forKey: .phone)
        try container.encodeIfPresent(company, forKey: .company)
    }

    // MARK: Rules, one field at a time

    /// Trimmed; 1 to `maximumNameLength` characters on one line.
    public static func validatedName(_ raw: String) throws(ValidationError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw ValidationError(field: .name, kind: .empty, message: "name must not be empty") }
        guard name.count <= maximumNameLength else {
            throw ValidationError(field: .name, kind: .tooLong(maximum: maximumNameLength),
                                  message: "name must be at most \(maximumNameLength) characters (got \(name.count))")
        }
        guard !containsControlCharacter(name) else {
            throw ValidationError(field: .name, kind: .controlCharacter, message: "name must not contain control characters such as line breaks or tabs")
        }
        try refuseInvisibleCharacters(name, field: .name)
        return name
    }

    /// Trimmed; nil when absent or blank, else at most `maximumCompanyLength` characters on one line.
    public static func validatedCompany(_ raw: String?) throws(ValidationError) -> String? {
        guard let company = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !company.isEmpty else { return nil }
        guard company.count <= maximumCompanyLength else {
            throw ValidationError(field: .company, kind: .tooLong(maximum: maximumCompanyLength),
                                  message: "company must be at most \(maximumCompanyLength) characters (got \(company.count))")
        }
        guard !containsControlCharacter(company) else {
            throw ValidationError(field: .company, kind: .controlCharacter, message: "company must not contain control characters such as line breaks or tabs")
        }
        try refuseInvisibleCharacters(company, field: .company)
        return company
    }

    /// A name shown to people must read as it is stored: a right-to-left override or a zero-width
    /// space would make two names look alike, or one look like another.
    private static func refuseInvisibleCharacters(_ text: String, field: ContactField) throws(ValidationError) {
        guard let found = text.unicodeScalars.first(where: { $0.properties.generalCategory == .format }) else { return }
        let code = "U+" + String(found.value, radix: 16, uppercase: true).leftPadded(to: 4)
        throw ValidationError(field: field, kind: .invisibleCharacter,
                              message: "\(field.rawValue) must not contain invisible formatting characters such as direction overrides or zero-width spaces (found \(code))")
    }

    private static func containsControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains {
            switch $0.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: true
            default: false
            }
        }
    }

    private static let localPartSymbols = Set("!#$%&'*+/=?^_`{|}~-.".unicodeScalars)

    /// Trimmed, the domain lowercased; `local@domain` with a dotted domain, letters of any script.
    public static func validatedEmail(_ raw: String) throws(ValidationError) -> String {
        func fail(_ message: String) -> ValidationError { ValidationError(field: .email, kind: .malformed, message: message) }
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !email.isEmpty else { throw ValidationError(field: .email, kind: .empty, message: "email must not be empty") }
        guard email.count <= maximumEmailLength else {
            throw ValidationError(field: .email, kind: .tooLong(maximum: maximumEmailLength),
                                  message: "email must be at most \(maximumEmailLength) characters (got \(email.count))")
        }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw fail("email must have the form name@domain, e.g. anna@example.com")
        }
        let local = parts[0], domain = parts[1].lowercased()

        guard local.count <= 64 else { throw fail("email's part before @ must be at most 64 characters (got \(local.count))") }
        if let bad = local.unicodeScalars.first(where: { !(isLetterOrDigit($0) || localPartSymbols.contains($0)) }) {
            throw fail("email's part before @ must not contain \(describe(bad))")
        }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else {
            throw fail("email's part before @ must not start or end with a dot or have two dots in a row")
        }

        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        if let bad = domain.unicodeScalars.first(where: { !(isLetterOrDigit($0) || $0 == "-" || $0 == ".") }) {
            throw fail("email's domain must not contain \(describe(bad))")
        }
        guard labels.count >= 2 else { throw fail("email's domain must contain a dot, e.g. example.com") }
        guard !labels.contains(where: \.isEmpty) else {
            throw fail("email's domain must not start or end with a dot or have two dots in a row")
        }
        if let long = labels.first(where: { $0.count > 63 }) {
            throw fail("email's domain part \"\(long.prefix(20))...\" must be at most 63 characters")
        }
        guard !labels.contains(where: { $0.hasPrefix("-") || $0.hasSuffix("-") }) else {
            throw fail("email's domain parts must not start or end with a hyphen")
        }
        guard !labels.last!.allSatisfy(\.isASCIIDigit) else {
            throw fail("email's top-level domain must not be all digits")
        }
        return "\(local)@\(domain)"
    }

    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            return ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
        }
        // Internationalised addresses (e.g. on .рф) use letters of any script.
        return scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case " ": "spaces"
        case "@": "a second @"
        default: scalar.properties.generalCategory == .control ? "control characters" : "\"\(scalar)\""
        }
    }

    /// A number as typed, in E.164 by libphonenumber's metadata: in full with `+` (or an
    /// international prefix of `region`, e.g. `00` in GB, `810` in RU), or national as dialled in
    /// `region` (an ISO 3166 code such as `GB`; nil: the number must start with `+`), its trunk
    /// prefix (`8` in Russia, `0` in the UK) dropped. Its length and prefix must be valid for its
    /// country and its type one of `reachablePhoneTypes`. The message shows the expected form.
    public static func validatedPhone(_ raw: String, region: String? = nil) throws(ValidationError) -> String {
        let typed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !typed.isEmpty else { throw ValidationError(field: .phone, kind: .empty, message: "phone number must not be empty") }
        do {
            return try PhoneNumbers.e164(typed, region: region, accepting: reachablePhoneTypes)
        } catch {
            throw ValidationError(field: .phone, kind: .phoneNumber(error), message: phoneMessage(error))
        }
    }

    /// What is wrong, then the form expected: the example of the number's country, or of the
    /// chosen region.
    private static func phoneMessage(_ error: PhoneNumberError) -> String {
        let example = error.region.flatMap(PhoneNumbers.example(region:))
        let expected = example.map { "e.g. \($0.international), or \($0.national) within \(error.region!)" } ?? "e.g. +7 916 123-45-67"
        return switch error.reason {
        case .unknownRegion: "phone region '\(error.region ?? "")' is not a region code such as RU or GB"
        case .invalidCountryCode: "phone number must start with + and a country code, \(expected)"
        case .notANumber: "phone number must be digits with spaces, dashes or parentheses, \(expected)"
        case .tooShort: "phone number is too short for \(error.region ?? "its country"): \(expected)"
        case .tooLong: "phone number is too long for \(error.region ?? "its country"): \(expected)"
        case .invalidForRegion: "phone number is not a valid number in \(error.region ?? "its country"): \(expected)"
        case .wrongType(let type): "phone number must be one a person answers, not a \(phoneTypeNames[type] ?? type.rawValue) number: \(expected)"
        }
    }

    private static let phoneTypeNames: [PhoneNumberType: String] = [
        .tollFree: "toll-free", .premiumRate: "premium-rate", .sharedCost: "shared-cost", .uan: "company (UAN)", .pager: "pager",
        .voicemail: "voicemail", .unknown: "unknown",
    ]

    private static func restoredPhone(_ phone: String) throws(ValidationError) -> String {
        let digits = phone.dropFirst()
        guard phone.hasPrefix("+"), storedPhoneDigits.contains(digits.count), digits.allSatisfy(\.isASCIIDigit), digits.first != "0" else {
            throw ValidationError(field: .phone, kind: .malformed,
                                  message: "phone number must be E.164: + and \(storedPhoneDigits.lowerBound) to \(storedPhoneDigits.upperBound) digits, the first not 0")
        }
        return phone
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
