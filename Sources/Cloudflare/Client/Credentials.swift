/// How the client authenticates. Printing a value never shows the secret.
public enum Credentials: Sendable, CustomStringConvertible {
    /// An API token, sent as `Authorization: Bearer`. Preferred.
    case apiToken(String)
    /// The legacy global API key with its account email (`X-Auth-Email` + `X-Auth-Key`).
    case globalKey(email: String, key: String)

    /// The headers that carry these credentials.
    var headers: [(name: String, value: String)] {
        switch self {
        case .apiToken(let token): [("Authorization", "Bearer \(token)")]
        case .globalKey(let email, let key): [("X-Auth-Email", email), ("X-Auth-Key", key)]
        }
    }

    /// The secret itself, so callers can check that it appears nowhere it should not.
    public var secret: String {
        switch self {
        case .apiToken(let token): token
        case .globalKey(_, let key): key
        }
    }

    public var description: String {
        switch self {
        case .apiToken: "API token (redacted)"
        case .globalKey(let email, _): "global API key of \(email) (redacted)"
        }
    }
}
