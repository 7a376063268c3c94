import BookingProtocol
import FieldEncryption
import Foundation
import SharedTables
import StoreSQL

/// Where each sealed value of bookingd's database belongs: the associated data of its seal, so a
/// value copied into another row does not open there.
extension FieldBinding {
    static func appointmentContact(_ appointmentId: String) -> FieldBinding {
        FieldBinding(table: "appointments", column: "contact", row: appointmentId)
    }

    static func historyReason(_ historyId: Int64) -> FieldBinding {
        FieldBinding(table: "history", column: "reason", row: String(historyId))
    }

    static func idempotencyReply(_ key: String) -> FieldBinding {
        FieldBinding(table: "idempotency", column: "reply", row: key)
    }
}

/// An appointment's personal data as its `contact` column seals it: everything the client gave
/// about themselves, in one value, so a booking seals and opens once.
struct SealedContact: Codable, Equatable, JSONWritable {
    var name: String
    var email: String
    var phone: String
    var company: String?
    var topic: String?

    func sealed(with cipher: FieldCipher, appointmentId: String) -> Data {
        var writer = JSONWriter(capacity: 256)
        writeJSON(to: &writer)
        return Data(cipher.seal(writer.bytes, binding: .appointmentContact(appointmentId)))
    }

    /// Written by hand, as `JSONWritable` says why: every booking seals one.
    func writeJSON(to writer: inout JSONWriter) {
        writer.raw("{\"name\":")
        writer.string(name)
        writer.raw(",\"email\":")
        writer.string(email)
        writer.raw(",\"phone\":")
        writer.string(phone)
        if let company {
            writer.raw(",\"company\":")
            writer.string(company)
        }
        if let topic {
            writer.raw(",\"topic\":")
            writer.string(topic)
        }
        writer.raw("}")
    }
}

/// The blind indexes an appointment is found by, for the per-contact limit and a contact's
/// bookings: its email's always, its phone's when it has one.
struct ContactIndexes {
    var email: Data
    var phone: Data?

    init(email: String, phone: String, index: BlindIndex) {
        self.email = Data(index.email(email))
        self.phone = phone.isEmpty ? nil : Data(index.phone(phone))
    }
}

/// The data keys one read or change uses: the database's keys, and each client's key unwrapped
/// at most once in it and forgotten with it (nothing unwrapped outlives a request).
final class ClientCiphers<Transaction: SQLTransaction> {
    let keys: DataKeys
    private let transaction: Transaction
    private var unwrapped: [String: FieldCipher] = [:]

    init(_ transaction: Transaction, keys: DataKeys) {
        self.transaction = transaction
        self.keys = keys
    }

    /// The client's key, made on their first booking (a write only).
    func sealing(for clientId: String) throws -> FieldCipher {
        if let cipher = unwrapped[clientId] { return cipher }
        let cipher = try keys.clientCipher(transaction, clientId: clientId)
        unwrapped[clientId] = cipher
        return cipher
    }

    /// Makes the key of a client this transaction created, and keeps it for the seals that
    /// follow (no read of a row that cannot exist yet, nor of the one just written).
    func makeKey(forNewClient clientId: String) throws {
        unwrapped[clientId] = try keys.newClientCipher(transaction, clientId: clientId)
    }

    /// Opens a sealed column of `stored`, a row of the client `clientId`: a value that does not
    /// open (another row's, altered) or a client without a key is an unreadable row.
    func open(_ sealed: Data, of stored: StoredRow, clientId: String, binding: FieldBinding) throws -> [UInt8] {
        let cipher: FieldCipher
        if let known = unwrapped[clientId] {
            cipher = known
        } else {
            guard let existing = try keys.existingClientCipher(transaction, clientId: clientId) else {
                throw stored.unreadable("\(binding.column): the client \(clientId) has no data key (their personal data was erased)")
            }
            unwrapped[clientId] = existing
            cipher = existing
        }
        do {
            return try cipher.open(sealed, binding: binding)
        } catch {
            throw stored.unreadable("\(binding.column): \(error)")
        }
    }

    func openText(_ sealed: Data, of stored: StoredRow, clientId: String, binding: FieldBinding) throws -> String {
        let bytes = try open(sealed, of: stored, clientId: clientId, binding: binding)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw stored.unreadable("\(binding.column): \(SealError.notText(binding))")
        }
        return text
    }

    /// A history row's reason (free text a client may have written), opened.
    func reason(of stored: StoredRow, clientId: String) throws -> String? {
        guard let sealed = try stored.value("reason", as: Data?.self) else { return nil }
        return try openText(sealed, of: stored, clientId: clientId, binding: .historyReason(try stored.value("id")))
    }

    /// An appointment row's personal data, opened.
    func contact(of stored: StoredRow, appointmentId: String, clientId: String) throws -> SealedContact {
        guard let sealed = try stored.value("contact", as: Data?.self) else {
            throw stored.unreadable("contact: erased")
        }
        let bytes = try open(sealed, of: stored, clientId: clientId, binding: .appointmentContact(appointmentId))
        do {
            return try JSONDecoder().decode(SealedContact.self, from: Data(bytes))
        } catch {
            throw stored.unreadable("contact: \(error)")
        }
    }
}
