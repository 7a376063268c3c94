import BookingDomain
import Crypto
import DaemonKit
import Foundation

/// The company's look on the page (`web:` keys `company_name`, `description`, `logo_file`,
/// `accent_colour`, `footer`) and the sites allowed to embed it (`web.embed.allowed_origins`).
/// A text left out shows what to edit and where, never an invented company.
public struct Branding: Sendable, Equatable {
    public var companyName: LocalizedText?
    public var description: LocalizedText?
    public var footer: LocalizedText?
    public var logo: Logo?
    /// `#rrggbb`, dark enough for white text on it and for links on white (`minimumContrast`).
    public var accentColour: String?
    /// Origins (`https://www.example.com`) whose pages may frame the booking page.
    public var embedOrigins: [String]
    /// The file an operator edits, named by the "edit me" texts.
    public var configurationFile: String

    public init(configurationFile: String = "/etc/booking/booking.yaml") {
        companyName = nil
        description = nil
        footer = nil
        logo = nil
        accentColour = nil
        embedOrigins = []
        self.configurationFile = configurationFile
    }

    /// The accent is the primary buttons' background under white text and the links' colour on
    /// white: WCAG 2.1 AA for normal text asks 4.5:1 of both.
    public static let minimumContrast = 4.5
    public static let defaultAccent = "#0b5394"
    public static let maximumLogoBytes = 256 * 1024

    public func companyName(_ language: SupportedLocale) -> String {
        companyName?.text(language) ?? language.text(.editCompanyName(configurationFile))
    }

    public func description(_ language: SupportedLocale) -> String {
        description?.text(language) ?? language.text(.editDescription(configurationFile))
    }

    public func footer(_ language: SupportedLocale) -> String {
        footer?.text(language) ?? language.text(.editFooter(configurationFile))
    }

    /// The stylesheet of the configured accent, served as `/brand.css` (the page's CSP allows
    /// no inline style).
    public var stylesheet: String {
        ":root{--accent:\(accentColour ?? Self.defaultAccent)}\n"
    }

    /// A logo file, read and checked when the configuration is: served as `/logo`.
    public struct Logo: Sendable, Equatable {
        public var path: String
        public var contentType: String
        public var bytes: [UInt8]
        public var etag: String

        /// The file's type by its name, confirmed by its first bytes.
        static func read(_ path: String) -> Result<Logo, LogoProblem> {
            let types = ["png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "svg": "image/svg+xml"]
            let ext = (path as NSString).pathExtension.lowercased()
            guard let contentType = types[ext] else { return .failure(.unknownType(types.keys.sorted())) }
            guard let data = FileManager.default.contents(atPath: path) else { return .failure(.unreadable) }
            guard data.count <= maximumLogoBytes else { return .failure(.tooLarge(data.count)) }
            let bytes = Array(data)
            let head = Array(bytes.prefix(512))
            let matches = switch ext {
            case "png": head.starts(with: [0x89, 0x50, 0x4E, 0x47])
            case "jpg", "jpeg": head.starts(with: [0xFF, 0xD8, 0xFF])
            case "gif": head.starts(with: Array("GIF8".utf8))
            case "webp": head.starts(with: Array("RIFF".utf8)) && head.count >= 12 && Array(head[8..<12]) == Array("WEBP".utf8)
            default: String(decoding: head, as: UTF8.self).contains("<svg")
            }
            guard matches else { return .failure(.notOfItsType(ext)) }
            let etag = "\"" + String(ProofOfWork.hex(Array(SHA256.hash(data: bytes))).prefix(16)) + "\""
            return .success(Logo(path: path, contentType: contentType, bytes: bytes, etag: etag))
        }
    }

    enum LogoProblem: Error, Equatable {
        case unknownType([String]), unreadable, tooLarge(Int), notOfItsType(String)
    }

    /// The contrast ratio of two `#rrggbb` colours (WCAG 2.1 relative luminance).
    public static func contrast(_ first: String, _ second: String) -> Double? {
        guard let a = luminance(first), let b = luminance(second) else { return nil }
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)
    }

    static func luminance(_ colour: String) -> Double? {
        guard colour.count == 7, colour.hasPrefix("#"), let value = UInt32(colour.dropFirst(), radix: 16) else { return nil }
        func channel(_ shift: UInt32) -> Double {
            let c = Double((value >> shift) & 0xFF) / 255
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0)
    }

    /// `https://www.example.com:8443` as a browser names the origin, or nil for anything else
    /// (a path, a query, a wildcard, another scheme).
    public static func origin(_ text: String) -> String? {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host?.lowercased(), !host.isEmpty, !host.contains("*"), url.path.isEmpty, url.query == nil, url.fragment == nil,
              url.user == nil, url.password == nil else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = url.port.map { $0 == defaultPort ? "" : ":\($0)" } ?? ""
        return "\(scheme)://\(host)\(port)"
    }
}

/// A text the operator gives once for every language, or by language (`{ru: …, en: …}`; a
/// language left out gets the first one given).
public struct LocalizedText: Sendable, Equatable {
    public var byLanguage: [SupportedLocale: String]

    public init(_ byLanguage: [SupportedLocale: String]) { self.byLanguage = byLanguage }

    public func text(_ language: SupportedLocale) -> String {
        byLanguage[language] ?? SupportedLocale.allCases.lazy.compactMap { byLanguage[$0] }.first ?? ""
    }
}

extension Branding {
    /// Reads the branding keys of `web:` (as `RawWeb` decoded them); `fail` names the key.
    static func load(companyName: RawLocalizedText?, description: RawLocalizedText?, footer: RawLocalizedText?, logoFile: String?, accentColour: String?,
                     embed: RawEmbed?, suite: SuiteConfiguration, fail: (String, String) -> ConfigurationError) throws(ConfigurationError) -> Branding {
        var branding = Branding(configurationFile: suite.file)
        func text(_ key: String, _ value: RawLocalizedText?, maximum: Int) throws(ConfigurationError) -> LocalizedText? {
            guard let value else { return nil }
            var byLanguage: [SupportedLocale: String] = [:]
            for (code, text) in value.byCode {
                guard let language = SupportedLocale(rawValue: code) else {
                    throw fail("\(key).\(code)", "the language must be one of \(SupportedLocale.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !trimmed.isEmpty else { throw fail(value.isSingle ? key : "\(key).\(code)", "is empty; give the text or leave the key out") }
                guard trimmed.count <= maximum else { throw fail(value.isSingle ? key : "\(key).\(code)", "has \(trimmed.count) characters; at most \(maximum)") }
                byLanguage[language] = trimmed
            }
            return LocalizedText(byLanguage)
        }
        branding.companyName = try text("company_name", companyName, maximum: 100)
        branding.description = try text("description", description, maximum: 500)
        branding.footer = try text("footer", footer, maximum: 1000)
        if let file = logoFile {
            let path = suite.path(file)
            switch Logo.read(path) {
            case .success(let logo): branding.logo = logo
            case .failure(.unknownType(let known)): throw fail("logo_file", "'\(path)' is not one of \(known.joined(separator: ", ")) (by its name)")
            case .failure(.unreadable): throw fail("logo_file", "cannot read '\(path)'")
            case .failure(.tooLarge(let size)): throw fail("logo_file", "'\(path)' has \(size) bytes; at most \(maximumLogoBytes)")
            case .failure(.notOfItsType(let ext)): throw fail("logo_file", "'\(path)' is not a .\(ext) file by its content")
            }
        }
        if let colour = accentColour {
            let lowered = colour.lowercased()
            guard let ratio = contrast(lowered, "#ffffff") else {
                throw fail("accent_colour", "'\(colour)' is not a colour written #rrggbb, e.g. \(defaultAccent)")
            }
            guard ratio >= minimumContrast else {
                throw fail("accent_colour", "'\(colour)' has a contrast of \(String(format: "%.1f", ratio)):1 with white; the page puts white text on it and it on white, which needs at least \(minimumContrast):1: choose a darker shade")
            }
            branding.accentColour = lowered
        }
        for (index, text) in (embed?.allowedOrigins ?? []).enumerated() {
            guard let origin = origin(text) else {
                throw fail("embed.allowed_origins.\(index)", "'\(text)' is not an origin such as https://www.example.com (scheme, host and port only)")
            }
            if !branding.embedOrigins.contains(origin) { branding.embedOrigins.append(origin) }
        }
        return branding
    }
}

struct RawEmbed: Decodable {
    var allowedOrigins: [String]?
    enum CodingKeys: String, CodingKey { case allowedOrigins = "allowed_origins" }
}

/// `"text"` for every language, or `{ru: "…", en: "…"}`.
struct RawLocalizedText: Decodable {
    var byCode: [(String, String)]
    var isSingle: Bool

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let single = try? container.decode(String.self) {
            byCode = SupportedLocale.allCases.map { ($0.rawValue, single) }
            isSingle = true
        } else {
            byCode = try container.decode([String: String].self).sorted { $0.key < $1.key }
            isSingle = false
        }
    }
}
