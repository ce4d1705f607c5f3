/// Rules for the API base URL, the one place the token is sent: Cloudflare's own API over TLS, another
/// https:// base only when the administrator opted in, and http:// only to this machine's loopback
/// (tests, the fake API).
public enum APIBase {
    /// Cloudflare's API: the only base the token goes to without `allow_custom_api_base = true`.
    public static let cloudflare = "https://api.cloudflare.com/client/v4"

    /// Why `url` may not be used as the API base, or nil when it may.
    ///
    /// - Parameter allowingCustom: the administrator's opt-in for a base other than ``cloudflare``.
    public static func problem(with url: String, allowingCustom: Bool) -> String? {
        let lower = url.lowercased()
        if lower.hasPrefix("https://") {
            let host = host(of: url)
            guard !host.isEmpty else { return "\"\(url)\" has no host" }
            guard host.utf8.allSatisfy({ isHostByte($0) }) else { return "\"\(url)\" has a host with characters a host name cannot have" }
        } else if lower.hasPrefix("http://") {
            guard isLoopback(host(of: url)) else {
                return "\"\(url)\" uses http:// to a host that is not loopback (127.0.0.1, ::1 or localhost); "
                    + "the token would travel unencrypted. Use https://"
            }
        } else {
            return "\"\(url)\" is not an http(s) URL; write e.g. \"\(cloudflare)\""
        }
        guard isCloudflare(url) || allowingCustom else {
            return "\"\(url)\" is not Cloudflare's API (\(cloudflare)), and the API token would be sent there; "
                + "remove api_base, or add allow_custom_api_base = true under [cloudflare] if this host is meant to "
                + "receive the token (a test API on loopback, a forward proxy of your own)"
        }
        return nil
    }

    /// Whether `url` is Cloudflare's API base, a trailing slash aside.
    public static func isCloudflare(_ url: String) -> Bool {
        (url.hasSuffix("/") ? String(url.dropLast()) : url).lowercased() == cloudflare
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

    /// Exactly `127.0.0.1`, `::1` or `localhost`. Not any spelling that might mean loopback: libcurl reads
    /// `127.0.0.08` as a host name to resolve, and `127.1` as an address some resolvers complete differently.
    static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "::1", "localhost"].contains(host.lowercased())
    }

    /// Letters, digits, `-`, `.`, and the `:` of an IPv6 address.
    private static func isHostByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"):
            true
        default: false
        }
    }
}
