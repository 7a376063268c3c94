import Foundation

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
        /// Not the form the field has (an email address, a phone number with its country code).
        case malformed
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
    public static let phoneDigitRange = 8...15

    private init(name: String, email: String, phone: String, company: String?) {
        self.name = name
        self.email = email
        self.phone = phone
        self.company = company
    }

    /// Validates and normalises raw input; the first failing field (in the order name, email,
    /// phone, company) is reported. Already-normalised values come back unchanged. A form that
    /// shows every error at once checks each field with its own `validated…` instead.
    public static func validated(name: String, email: String, phone: String, company: String? = nil) throws(ValidationError) -> ContactInfo {
        ContactInfo(
            name: try validatedName(name),
            email: try validatedEmail(email),
            phone: try validatedPhone(phone),
            company: try validatedCompany(company))
    }

    /// Every field checked by its own rule, for a form that shows all its errors at once
    /// (`validated` stops at the first): the contact when no field failed, else each failure in
    /// the order name, email, phone, company.
    public static func validatingEachField(name: String, email: String, phone: String, company: String?)
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
        let phone = check { () throws(ValidationError) in try validatedPhone(phone) }
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

    /// Decoding re-validates, so stored or received contacts cannot bypass the rules.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            self = try ContactInfo.validated(
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
        return company
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

    /// What people put between digit groups; all of it is dropped.
    private static let phoneSeparators: Set<Character> = [" ", "\u{00A0}", "\u{202F}", ".", "-", "(", ")"]

    /// E.164: `+` (or `00`) and the country code, separators dropped.
    public static func validatedPhone(_ raw: String) throws(ValidationError) -> String {
        func fail(_ message: String) -> ValidationError { ValidationError(field: .phone, kind: .malformed, message: message) }
        let compact = raw.filter { !phoneSeparators.contains($0) }
        guard !compact.isEmpty else { throw ValidationError(field: .phone, kind: .empty, message: "phone number must not be empty") }
        let hasPlus = compact.hasPrefix("+")
        let body = hasPlus ? compact.dropFirst() : Substring(compact)
        if let bad = body.first(where: { !$0.isASCIIDigit }) {
            throw fail(bad == "+"
                ? "phone number may have + only at the start"
                : "phone number may contain only digits, spaces, dots, dashes and parentheses after a leading + (found \"\(bad)\")")
        }
        let digits: Substring
        if hasPlus {
            digits = body
        } else if body.hasPrefix("00") {
            digits = body.dropFirst(2)
        } else {
            throw fail("phone number must start with + and a country code, e.g. +7 916 123-45-67")
        }
        guard phoneDigitRange.contains(digits.count) else {
            throw fail("phone number must have \(phoneDigitRange.lowerBound) to \(phoneDigitRange.upperBound) digits including the country code (got \(digits.count))")
        }
        guard digits.first != "0" else { throw fail("phone number's country code must not start with 0") }
        return "+" + digits
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
