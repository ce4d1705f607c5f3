import CCurl

/// The one Swift owner of a libcurl easy handle; frees it in `deinit`.
///
/// Deliberately not `Sendable`: a handle is used by one thread at a time, and ``CurlTransport``
/// confines each handle to its own serial queue.
final class CurlEasyHandle {
    private let handle: UnsafeMutableRawPointer
    /// libcurl writes its detailed message here (CURLOPT_ERRORBUFFER needs CURL_ERROR_SIZE bytes
    /// that live as long as the handle).
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() throws {
        CurlGlobal.ensureInitialized()
        guard let handle = curl_easy_init() else {
            throw TransportError(code: .initializationFailed, detail: "curl_easy_init returned NULL")
        }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` on this handle, reusing its connection when the server allows.
    func perform(_ request: HTTPRequest, options: CurlTransport.Options) throws -> HTTPResponse {
        // curl_easy_reset keeps live connections, the DNS cache and TLS sessions; it only clears options.
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        let accumulator = ResponseAccumulator(maximumBodySize: options.maximumBodySize)
        // The accumulator outlives perform(): `accumulator` is held by this frame until the end.
        let context = Unmanaged.passUnretained(accumulator).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // An empty Expect stops libcurl from sending "Expect: 100-continue"; no body is ever sent.
        headerList = curl_slist_append(headerList, "Expect:")

        try set(CURLOPT_ERRORBUFFER, pointer: errorBuffer)
        try set(CURLOPT_URL, string: request.url)
        // The token travels in the request's headers, so its route is pinned down: an https:// URL is
        // fetched over TLS 1.2 or newer and nothing else; an http:// one (loopback only, see APIBase) goes
        // straight to its host, never through a proxy that would read it in clear.
        let isTLS = request.url.utf8.prefix(8).map { $0 | 0x20 }.elementsEqual("https://".utf8)
        try set(CURLOPT_PROTOCOLS_STR, string: isTLS ? "https" : "http")
        try set(CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2)
        if !isTLS { try set(CURLOPT_NOPROXY, string: "*") }
        try set(CURLOPT_NOSIGNAL, 1)
        // A request that changes the account goes out on a new connection: when a reused connection dies
        // before any answer arrives, libcurl sends the request again by itself, and a revoke or delete whose
        // answer was lost after the API applied it would be sent twice. The client reads the account back
        // instead (CloudflareClient.apply); a new connection costs one handshake per batch.
        if request.method != .get { try set(CURLOPT_FRESH_CONNECT, 1) }
        // TLS verification is always on; these are libcurl's defaults, set so no future change weakens them.
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        try set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        try set(CURLOPT_ACCEPT_ENCODING, string: "")
        try set(CURLOPT_USERAGENT, string: options.userAgent)
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout.milliseconds))
        try set(CURLOPT_TIMEOUT_MS, Int(options.totalTimeout.milliseconds))
        try set(CURLOPT_FOLLOWLOCATION, 0)
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        try check(ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), CURLOPT_HTTPHEADER)
        switch request.method {
        case .get:
            try set(CURLOPT_HTTPGET, 1)
        case .post:
            try set(CURLOPT_POST, 1)
            try set(CURLOPT_POSTFIELDSIZE, 0)
            try set(CURLOPT_COPYPOSTFIELDS, string: "")
        case .delete:
            try set(CURLOPT_CUSTOMREQUEST, string: "DELETE")
        }
        try check(ccurl_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteBody), CURLOPT_WRITEFUNCTION)
        try check(ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context), CURLOPT_WRITEDATA)
        try check(ccurl_easy_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader), CURLOPT_HEADERFUNCTION)
        try check(ccurl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context), CURLOPT_HEADERDATA)

        let code = curl_easy_perform(handle)
        withExtendedLifetime(accumulator) {}
        if accumulator.isOverLimit {
            throw TransportError(
                code: .answerTooLarge,
                detail: "the answer grew past \(options.maximumBodySize >> 20) MiB once decoded; no API answer is that large")
        }
        guard code == CURLE_OK else { throw transportError(for: code) }

        var status = 0
        try check(ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), nil)
        return HTTPResponse(status: status, headers: accumulator.headers, body: accumulator.body)
    }

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(ccurl_easy_setopt_long(handle, option, value), option)
    }

    private func set(_ option: CURLoption, string value: String) throws {
        // libcurl copies string options (since 7.17), so the C string need not outlive the call.
        try check(value.withCString { ccurl_easy_setopt_string(handle, option, $0) }, option)
    }

    private func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer) throws {
        try check(ccurl_easy_setopt_pointer(handle, option, value), option)
    }

    private func check(_ code: CURLcode, _ option: CURLoption?) throws {
        guard code != CURLE_OK else { return }
        let what = option.map { "setting curl option \($0.rawValue)" } ?? "reading curl info"
        throw TransportError(code: .initializationFailed, detail: "\(what): \(String(cString: curl_easy_strerror(code)))")
    }

    private func transportError(for code: CURLcode) -> TransportError {
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let kind: TransportError.Code
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timedOut
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_SEND_ERROR,
            CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            kind = .connectionFailed
        case CURLE_PARTIAL_FILE, CURLE_BAD_CONTENT_ENCODING:
            kind = .truncated
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            kind = .tlsFailed
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            kind = .initializationFailed
        default:
            kind = .other
        }
        return TransportError(code: kind, detail: "\(detail) (curl error \(code.rawValue))")
    }
}

/// Collects one response's headers and body from libcurl's callbacks.
private final class ResponseAccumulator {
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    /// The body's bound: past it the write callback stops the transfer (libcurl hands it decoded bytes,
    /// so a compressed answer is bounded by what it decodes to).
    let maximumBodySize: Int
    private(set) var isOverLimit = false

    init(maximumBodySize: Int) { self.maximumBodySize = maximumBodySize }

    /// Appends `bytes`, or refuses them (returns false) when the body would grow past its bound.
    func append(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count <= maximumBodySize - body.count else {
            isOverLimit = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    func headerLine(_ line: Substring) {
        if line.hasPrefix("HTTP/") {
            // A new status line (after 100 Continue or a proxy CONNECT): earlier headers belong to it.
            headers.removeAll(keepingCapacity: true)
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t\r\n")
        headers[name] = value
        if name == "content-length", let length = Int(value), length > 0, length <= maximumBodySize {
            body.reserveCapacity(length)
        }
    }
}

private func curlWriteBody(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let accumulator = Unmanaged<ResponseAccumulator>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let accepted = data.withMemoryRebound(to: UInt8.self, capacity: length) {
        accumulator.append(UnsafeBufferPointer(start: $0, count: length))
    }
    // Fewer bytes than offered makes libcurl abort the transfer (CURLE_WRITE_ERROR).
    return accepted ? length : 0
}

private func curlWriteHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let accumulator = Unmanaged<ResponseAccumulator>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
    }
    accumulator.headerLine(line[...])
    return length
}

/// curl_global_init is not thread-safe before 7.84 and must run once before any handle exists.
enum CurlGlobal {
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    static func ensureInitialized() { _ = initialized }

    /// The libcurl version string, e.g. "libcurl/7.88.1 OpenSSL/3.0.17 zlib/1.2.13 nghttp2/1.52.0".
    static var version: String { String(cString: curl_version()) }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var view = Substring(self)
        while let first = view.first, set.contains(first) { view.removeFirst() }
        while let last = view.last, set.contains(last) { view.removeLast() }
        return String(view)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
