/// One HTTP request to the API: a method, a full URL and headers. Bodies are never needed by
/// the endpoints ztguardd uses (ids travel as query parameters), so there is no body.
public struct HTTPRequest: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable { case get = "GET", post = "POST", delete = "DELETE" }

    public var method: Method
    /// The absolute URL, query string included.
    public var url: String
    /// Header names as sent; the `Authorization` and `X-Auth-Key` values are secrets.
    public var headers: [(name: String, value: String)]

    public init(method: Method, url: String, headers: [(name: String, value: String)] = []) {
        self.method = method
        self.url = url
        self.headers = headers
    }

    /// The value of the first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The path and query of ``url``, without scheme and host.
    public var target: String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "/" }
        return String(rest[slash...])
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url
            && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(url)
    }
}

/// A complete HTTP response: status, headers (names lower-cased) and body bytes.
public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    /// Header names are lower-cased so look-ups need no case folding.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.body = body
    }
}
