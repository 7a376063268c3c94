import Foundation

/// Writes development deliveries (SMS, chat) as files in a directory, atomically: a reader sees
/// the whole file or none of it, and writing the same name again replaces it.
public struct FileDrop: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Writes `contents` as `directory/name` ("<id>.sms.txt", "<id>.chat.json"), creating the
    /// directory if needed. A name that is not a plain file name is refused.
    public func write(name: String, contents: [UInt8]) throws(DeliveryFailure) {
        guard !name.isEmpty, name != ".", name != "..", !name.hasPrefix("."),
              !name.unicodeScalars.contains(where: { $0 == "/" || $0 == "\0" }), name.utf8.count <= 255
        else { throw .permanent("invalid file name \(name.debugDescription) for \(directory)") }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .permanent("cannot create directory \(directory): \(error.localizedDescription)")
        }
        let target = (directory as NSString).appendingPathComponent(name)
        let temporary = (directory as NSString).appendingPathComponent(".\(name).\(UInt64.random(in: 0...UInt64.max)).tmp")
        do {
            // A hidden temporary file beside the target, then rename(2): atomic on one file system.
            let created = FileManager.default.createFile(atPath: temporary, contents: Data(contents))
            if !created { throw CocoaError(.fileWriteUnknown) }
            if rename(temporary, target) != 0 {
                let code = errno
                throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            // A full disk or a permissions problem can be fixed without changing the message.
            throw .transient("cannot write \(target): \(error.localizedDescription)")
        }
    }
}
