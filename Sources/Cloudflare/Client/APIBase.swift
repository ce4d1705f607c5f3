/// Rules for the API base URL: TLS always, except to this machine's loopback (tests, the fake API).
public enum APIBase {
    /// Why `url` may not be used as the API base, or nil when it may.
    public static func problem(with url: String) -> String? {
        let lower = url.lowercased()
        if lower.hasPrefix("https://") {
            return host(of: url).isEmpty ? "\"\(url)\" has no host" : nil
        }
        if lower.hasPrefix("http://") {
            return isLoopback(host(of: url)) ? nil
                : "\"\(url)\" uses http:// to a host that is not loopback; the token would travel unencrypted. Use https://"
        }
        return "\"\(url)\" is not an http(s) URL; write e.g. \"https://api.cloudflare.com/client/v4\""
    }

    /// The host part of `url`, without port or brackets.
    static func host(of url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return "" }
        var authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("[") {
            return String(authority.dropFirst().prefix { $0 != "]" })
        }
        return String(authority.prefix { $0 != ":" })
    }

    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
