import Crypto
import Foundation
import Testing
@testable import FieldEncryption

struct FieldCipherTests {
    let key = try! SecretKey(bytes: Array(repeating: 7, count: 32))
    let binding = FieldBinding(table: "appointments", column: "contact", row: "a1")

    @Test func aSealedValueOpensToItselfInItsOwnRow() throws {
        let cipher = FieldCipher(key: key)
        for text in ["", "Иван Петров", "ivan@example.com", String(repeating: "я", count: 5000)] {
            #expect(try cipher.openText(cipher.seal(text, binding: binding), binding: binding) == text)
        }
    }

    @Test func theSameValueSealsDifferentlyEachTime() {
        let cipher = FieldCipher(key: key)
        #expect(cipher.seal("ivan@example.com", binding: binding) != cipher.seal("ivan@example.com", binding: binding))
    }

    @Test func aSealedValueHoldsNothingOfItsText() {
        let sealed = FieldCipher(key: key).seal("ivan@example.com", binding: binding)
        #expect(sealed.count == "ivan@example.com".utf8.count + FieldCipher.overhead)
        #expect(!Data(sealed).contains(Data("ivan".utf8)))
    }

    @Test(arguments: [
        FieldBinding(table: "appointments", column: "contact", row: "a2"),
        FieldBinding(table: "appointments", column: "topic", row: "a1"),
        FieldBinding(table: "history", column: "contact", row: "a1"),
        // Parts are length-prefixed: moving the separator makes another binding.
        FieldBinding(table: "appointments", column: "contacta", row: "1"),
    ])
    func aValueMovedToAnotherRowOrColumnDoesNotOpen(elsewhere: FieldBinding) {
        let cipher = FieldCipher(key: key)
        let sealed = cipher.seal("ivan@example.com", binding: binding)
        #expect(throws: SealError.doesNotOpen(elsewhere)) { try cipher.open(sealed, binding: elsewhere) }
    }

    @Test func anotherKeyDoesNotOpenIt() {
        let sealed = FieldCipher(key: key).seal("ivan@example.com", binding: binding)
        #expect(throws: SealError.doesNotOpen(binding)) { try FieldCipher(key: .random()).open(sealed, binding: binding) }
    }

    @Test func everyAlteredByteIsNoticed() {
        let cipher = FieldCipher(key: key)
        let sealed = cipher.seal("ivan@example.com", binding: binding)
        for index in 1..<sealed.count {
            var altered = sealed
            altered[index] ^= 0x01
            #expect(throws: SealError.doesNotOpen(binding)) { try cipher.open(altered, binding: binding) }
        }
    }

    @Test func aShortOrUnknownValueIsRefusedForWhatItIs() {
        let cipher = FieldCipher(key: key)
        #expect(throws: SealError.truncated(binding)) { try cipher.open([1, 2, 3], binding: binding) }
        var sealed = cipher.seal("x", binding: binding)
        sealed[0] = 9
        #expect(throws: SealError.unknownVersion(9, binding)) { try cipher.open(sealed, binding: binding) }
    }

    /// The stored format is fixed: a value sealed today must open after any upgrade.
    @Test func theFormatIsVersionNonceCiphertextTag() throws {
        let nonce = try AES.GCM.Nonce(data: Array(repeating: 1, count: 12))
        let sealed = FieldCipher(key: key).seal(Array("ab".utf8), binding: binding, nonce: nonce)
        #expect(sealed.count == 1 + 12 + 2 + 16)
        #expect(sealed[0] == 1)
        #expect(Array(sealed[1...12]) == Array(repeating: 1, count: 12))
        let box = try AES.GCM.SealedBox(nonce: nonce, ciphertext: sealed[13..<15], tag: sealed[15...])
        #expect(try AES.GCM.open(box, using: SymmetricKey(data: key.bytes), authenticating: binding.associatedData) == Data("ab".utf8))
    }

    @Test func textThatIsNotUTF8IsRefused() {
        let cipher = FieldCipher(key: key)
        let sealed = cipher.seal([0xff, 0xfe], binding: binding)
        #expect(throws: SealError.notText(binding)) { try cipher.openText(sealed, binding: binding) }
    }
}

struct SecretKeyTests {
    @Test func aKeyIsExactly32Bytes() {
        #expect(throws: KeyError.wrongLength(31)) { try SecretKey(bytes: Array(repeating: 0, count: 31)) }
        #expect(throws: KeyError.wrongLength(33)) { try SecretKey(bytes: Array(repeating: 0, count: 33)) }
    }

    @Test func aKeyFileHoldsBase64OrRawBytes() throws {
        let key = SecretKey.random()
        #expect(try SecretKey(keyFile: Array((key.base64 + "\n").utf8)) == key)
        #expect(try SecretKey(keyFile: Array("  \(key.base64)  ".utf8)) == key)
        #expect(try SecretKey(keyFile: key.bytes) == key)
        #expect(throws: KeyError.notBase64) { try SecretKey(keyFile: Array("not a key at all!".utf8)) }
        #expect(throws: KeyError.wrongLength(3)) { try SecretKey(keyFile: Array("AAAA".utf8)) }
    }

    @Test func randomKeysDiffer() {
        #expect(SecretKey.random() != SecretKey.random())
    }
}

struct MasterKeyTests {
    let binding = FieldBinding(table: "client_keys", column: "key", row: "c1")

    @Test func aWrappedKeyUnwrapsOnlyUnderItsMasterAndInItsRow() throws {
        let master = MasterKey(.random())
        let dataKey = SecretKey.random()
        let wrapped = master.wrap(dataKey, binding: binding)
        #expect(try master.unwrap(wrapped, binding: binding) == dataKey)
        #expect(throws: SealError.self) { try MasterKey(.random()).unwrap(wrapped, binding: binding) }
        let other = FieldBinding(table: "client_keys", column: "key", row: "c2")
        #expect(throws: SealError.self) { try master.unwrap(wrapped, binding: other) }
    }

    @Test func theFingerprintNamesTheKeyWithoutBeingIt() throws {
        let secret = try SecretKey(bytes: Array(repeating: 3, count: 32))
        let fingerprint = MasterKey(secret).fingerprint
        #expect(fingerprint.count == 16)
        #expect(fingerprint == MasterKey(secret).fingerprint)
        #expect(fingerprint != MasterKey(.random()).fingerprint)
        #expect(!secret.bytes.map { String(format: "%02x", $0) }.joined().contains(fingerprint))
    }

    /// The master key wraps with a key derived from it, never with itself.
    @Test func theMasterKeyDoesNotSealWithItsOwnBytes() throws {
        let secret = SecretKey.random()
        let wrapped = MasterKey(secret).wrap(.random(), binding: binding)
        #expect(throws: SealError.self) { try FieldCipher(key: secret).open(wrapped, binding: binding) }
    }
}

struct BlindIndexTests {
    let index = BlindIndex(key: try! SecretKey(bytes: Array(repeating: 9, count: 32)))

    @Test func emailsIndexAlikeWhateverTheirCase() {
        #expect(index.email("Ivan@Example.com") == index.email("ivan@example.com"))
        #expect(index.email("ivan@example.com") != index.email("ivan2@example.com"))
        #expect(index.email("ivan@example.com").count == 32)
    }

    @Test func anEmailAndAPhoneNeverShareAnEntry() {
        #expect(index.email("+79161234567") != index.phone("+79161234567"))
    }

    @Test func anotherKeyGivesAnotherIndex() {
        #expect(BlindIndex(key: .random()).phone("+79161234567") != index.phone("+79161234567"))
    }

    @Test func anEntryIsTheHMACOfTheKindAndTheValue() throws {
        let expected = HMAC<SHA256>.authenticationCode(for: Array("phone:+79161234567".utf8), using: SymmetricKey(data: Array(repeating: UInt8(9), count: 32)))
        #expect(index.phone("+79161234567") == Array(expected))
    }
}
