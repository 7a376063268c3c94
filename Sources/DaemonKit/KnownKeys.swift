import Foundation
import Yams

/// Decodes configuration YAML and refuses keys the decoded types do not ask for, naming the
/// closest known one: a typo such as `log_levl` would otherwise be ignored and its default used.
/// Every loader decodes through here, so a daemon at start and `bookctl config check` refuse the
/// same keys; each type's own coding keys are the list of what is known.
public enum ConfigurationYAML {
    /// Decodes `text` as `type`. `checkTopLevel` is false when the type reads one section of a
    /// file whose other top-level keys belong to other sections.
    public static func decode<Value: Decodable>(
        _ type: Value.Type, from text: String, file: String, userInfo: [CodingUserInfoKey: Any] = [:],
        checkTopLevel: Bool = true, otherTopLevelKeys: Set<String> = []
    ) throws(ConfigurationError) -> Value {
        let record = KeyRecord()
        var info = userInfo
        info[KeyRecord.userInfoKey] = record
        let value: Value
        do {
            value = try YAMLDecoder().decode(Recorded<Value>.self, from: text, userInfo: info).value
        } catch {
            throw ConfigurationError(file: file, decoding: error)
        }
        for mapping in record.mappings {
            let isTopLevel = mapping.path.isEmpty
            if isTopLevel && !checkTopLevel { continue }
            let known = mapping.asked.union(isTopLevel ? otherTopLevelKeys : [])
            guard let unknown = mapping.present.first(where: { !known.contains($0) }) else { continue }
            let place = isTopLevel ? "at the top level" : "in `\(mapping.path.joined(separator: "."))`"
            throw ConfigurationError(
                file: file, key: (mapping.path + [unknown]).joined(separator: "."),
                problem: "unknown key `\(unknown)` \(place); \(suggestion(for: unknown, among: known))"
            )
        }
        return value
    }

    static func suggestion(for unknown: String, among known: Set<String>) -> String {
        let ranked = known.map { (key: $0, distance: editDistance(unknown.lowercased(), $0.lowercased())) }
            .sorted { ($0.distance, $0.key) < ($1.distance, $1.key) }
        if let best = ranked.first, best.distance <= max(2, unknown.count / 3) {
            return "did you mean `\(best.key)`?"
        }
        return "known keys: \(known.sorted().joined(separator: ", "))"
    }

    /// Levenshtein distance, counting a swap of two neighbours as one edit (`levle`).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}

/// The mappings met while decoding: the keys each holds and the keys its type asked for.
/// Lives for one synchronous decode, on one thread.
final class KeyRecord: @unchecked Sendable {
    static let userInfoKey = CodingUserInfoKey(rawValue: "booking.known-keys")!

    struct Mapping {
        var path: [String]
        var present: [String]
        var asked: Set<String>
    }

    var mappings: [Mapping] = []

    static func of(_ decoder: any Decoder) -> KeyRecord {
        // Set by ConfigurationYAML.decode before any Recorded value is decoded.
        decoder.userInfo[userInfoKey] as! KeyRecord // swiftlint:disable:this force_cast
    }

    func open(path: [any CodingKey], present: [String]) -> Int {
        mappings.append(Mapping(path: path.map(\.pathComponent), present: present, asked: []))
        return mappings.count - 1
    }

    func ask(_ key: any CodingKey, in mapping: Int) {
        mappings[mapping].asked.insert(key.stringValue)
    }
}

private extension CodingKey {
    var pathComponent: String { intValue.map(String.init) ?? stringValue }
}

/// A value decoded through `RecordingDecoder`, so the mappings inside it are recorded.
struct Recorded<Value: Decodable>: Decodable {
    var value: Value

    init(from decoder: any Decoder) throws {
        value = try Value(from: RecordingDecoder(inner: decoder, record: KeyRecord.of(decoder)))
    }

    /// Scalars hold no keys, and Yams reads some (dates, numbers) its own way: they go straight through.
    static var isScalar: Bool { Value.self is any ScalarConstructible.Type }
}

private struct RecordingDecoder: Decoder {
    var inner: any Decoder
    var record: KeyRecord
    var codingPath: [any CodingKey] { inner.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { inner.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let container = try inner.container(keyedBy: Key.self)
        // A container keyed by the type's own keys lists only those; any key lists them all.
        let present = try inner.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        let index = record.open(path: codingPath, present: present)
        return KeyedDecodingContainer(RecordingKeyedContainer(inner: container, record: record, index: index))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        RecordingUnkeyedContainer(inner: try inner.unkeyedContainer(), record: record)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { try inner.singleValueContainer() }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private struct RecordingKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    var inner: KeyedDecodingContainer<Key>
    var record: KeyRecord
    var index: Int
    var codingPath: [any CodingKey] { inner.codingPath }
    var allKeys: [Key] { inner.allKeys }

    func contains(_ key: Key) -> Bool {
        record.ask(key, in: index)
        return inner.contains(key)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        record.ask(key, in: index)
        return try inner.decodeNil(forKey: key)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        record.ask(key, in: index)
        if Recorded<T>.isScalar { return try inner.decode(T.self, forKey: key) }
        return try inner.decode(Recorded<T>.self, forKey: key).value
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type, key) }

    private func decode<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        record.ask(key, in: index)
        return try inner.decode(T.self, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try superDecoder(forKey: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try superDecoder(forKey: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { RecordingDecoder(inner: try inner.superDecoder(), record: record) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        record.ask(key, in: index)
        return RecordingDecoder(inner: try inner.superDecoder(forKey: key), record: record)
    }
}

private struct RecordingUnkeyedContainer: UnkeyedDecodingContainer {
    var inner: any UnkeyedDecodingContainer
    var record: KeyRecord
    var codingPath: [any CodingKey] { inner.codingPath }
    var count: Int? { inner.count }
    var isAtEnd: Bool { inner.isAtEnd }
    var currentIndex: Int { inner.currentIndex }

    mutating func decodeNil() throws -> Bool { try inner.decodeNil() }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if Recorded<T>.isScalar { return try inner.decode(T.self) }
        return try inner.decode(Recorded<T>.self).value
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try inner.decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try inner.decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try inner.decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try inner.decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try inner.decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try inner.decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try inner.decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try inner.decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try inner.decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try inner.decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try inner.decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try inner.decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try inner.decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try inner.decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try superDecoder().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try superDecoder().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        RecordingDecoder(inner: try inner.superDecoder(), record: record)
    }
}
