import CCurl
import Foundation

/// The state of one transfer that libcurl's callbacks read and write (reached through the
/// `*DATA` pointers), and the typed `setopt` calls. Lives on a worker thread for one job.
final class CurlTransfer {
    let curl: CurlHandle
    private var upload: [UInt8] = []
    private var uploadOffset = 0
    private(set) var body: [UInt8] = []
    /// Response body bytes kept at most (a gateway's answer is only logged).
    let bodyLimit = 1 << 20
    /// Header lines of the latest response (SMTP: every server reply line).
    private(set) var headerLines: [String] = []
    private var slists: [UnsafeMutablePointer<curl_slist>] = []
    /// The first setopt that failed, reported instead of performing.
    private(set) var setupError: String?

    init(_ curl: CurlHandle) {
        self.curl = curl
        curl_easy_reset(curl.handle)  // keeps live connections, DNS and TLS session caches
        curl.errorBuffer[0] = 0
        set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(curl.errorBuffer))
        set(CURLOPT_NOSIGNAL, 1)
        let context = Unmanaged.passUnretained(self).toOpaque()
        set(CURLOPT_HEADERFUNCTION, callback: { buffer, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: buffer, count: size * count)
            transfer.receivedHeader(bytes)
            return size * count
        })
        set(CURLOPT_HEADERDATA, pointer: context)
        set(CURLOPT_WRITEFUNCTION, callback: { buffer, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            let room = max(0, transfer.bodyLimit - transfer.body.count)
            let n = min(room, size * count)
            if n > 0 { transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: n)) }
            return size * count
        })
        set(CURLOPT_WRITEDATA, pointer: context)
    }

    deinit {
        for list in slists { curl_slist_free_all(list) }
    }

    func set(_ option: CURLoption, _ value: Int) {
        record(ccurl_setopt_long(curl.handle, option, value), option)
    }

    func set(_ option: CURLoption, _ value: String) {
        // libcurl copies string options (since 7.17).
        record(ccurl_setopt_string(curl.handle, option, value), option)
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) {
        record(ccurl_setopt_pointer(curl.handle, option, pointer), option)
    }

    func set(_ option: CURLoption, callback: ccurl_data_callback) {
        record(ccurl_setopt_callback(curl.handle, option, callback), option)
    }

    /// A string list option; the list lives as long as this transfer.
    func set(_ option: CURLoption, list: [String]) {
        var slist: UnsafeMutablePointer<curl_slist>? = nil
        for item in list {
            guard let appended = curl_slist_append(slist, item) else {
                setupError = setupError ?? "out of memory building a list for option \(option.rawValue)"
                break
            }
            slist = appended
        }
        if let slist { slists.append(slist) }
        record(ccurl_setopt_slist(curl.handle, option, slist), option)
    }

    /// Makes `bytes` the upload (SMTP DATA) read by CURLOPT_READFUNCTION.
    func setUpload(_ bytes: [UInt8]) {
        upload = bytes
        uploadOffset = 0
        set(CURLOPT_UPLOAD, 1)
        set(CURLOPT_READFUNCTION, callback: { buffer, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            let n = min(size * count, transfer.upload.count - transfer.uploadOffset)
            if n > 0, let buffer {
                transfer.upload.withUnsafeBytes { source in
                    UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + transfer.uploadOffset, byteCount: n)
                }
                transfer.uploadOffset += n
            }
            return n
        })
        set(CURLOPT_READDATA, pointer: Unmanaged.passUnretained(self).toOpaque())
    }

    private func record(_ code: CURLcode, _ option: CURLoption) {
        if code != CURLE_OK && setupError == nil {
            setupError = "setting libcurl option \(option.rawValue) failed: \(String(cString: curl_easy_strerror(code)))"
        }
    }

    private func receivedHeader(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
        // A new HTTP status line starts a new response (after 100 Continue or a proxy).
        if line.hasPrefix("HTTP/") { headerLines.removeAll() }
        if !line.isEmpty { headerLines.append(line) }
    }

    /// Runs the transfer (blocking) and returns nil on success or what went wrong.
    func perform(endpoint: String, host: String) -> TransferError? {
        if let setupError { return .other(code: -1, detail: setupError) }
        let code = curl_easy_perform(curl.handle)
        if code == CURLE_OK { return nil }
        let detail = errorText(code)
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .couldNotResolve(host: host)
        case CURLE_COULDNT_CONNECT:
            return osErrno == ECONNREFUSED ? .connectionRefused(endpoint: endpoint)
                : .couldNotConnect(endpoint: endpoint, detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            return .connectionLost(detail: detail)
        case CURLE_LOGIN_DENIED, CURLE_AUTH_ERROR:
            return .loginDenied(detail: detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
             CURLE_USE_SSL_FAILED, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return .tls(detail: detail)
        case CURLE_URL_MALFORMAT:
            return .invalidURL(detail: detail)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_WEIRD_SERVER_REPLY:
            // Schemes are checked before libcurl sees a URL, so UNSUPPORTED_PROTOCOL here means
            // a reply libcurl could not read (e.g. "Received HTTP/0.9 when not allowed").
            return .unexpectedReply(detail: detail)
        default:
            return .other(code: Int(code.rawValue), detail: detail)
        }
    }

    /// CURLINFO_RESPONSE_CODE: the last SMTP reply code or the HTTP status (0 if none).
    var responseCode: Int {
        var code = 0
        _ = ccurl_getinfo_long(curl.handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    private var osErrno: Int32 {
        var value = 0
        _ = ccurl_getinfo_long(curl.handle, CURLINFO_OS_ERRNO, &value)
        return Int32(value)
    }

    /// Header value of the latest response (case-insensitive name).
    func header(_ name: String) -> String? {
        let prefix = name.lowercased() + ":"
        for line in headerLines.reversed() where line.lowercased().hasPrefix(prefix) {
            return String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }

    /// The server's last reply line (SMTP), e.g. "451 4.3.0 local error in processing".
    var lastReplyLine: String? { headerLines.last }

    private func errorText(_ code: CURLcode) -> String {
        let buffered = String(cString: curl.errorBuffer)
        return buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
    }
}
