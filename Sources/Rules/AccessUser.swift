#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// An Access user, as `GET /accounts/{id}/access/users` returns it (the fields rules need).
///
/// The `Codable` form is `{"id", "email", "last_successful_login"}`; other keys are ignored, and a
/// missing key, JSON null or empty timestamp gives nil. A timestamp that is not RFC 3339 makes
/// decoding throw `DecodingError.dataCorrupted`.
public struct AccessUser: Sendable, Hashable, Codable {
    /// The Access user's ID.
    public var id: String?
    /// The user's email, compared case-insensitively with registrations' user emails.
    public var email: String?
    /// The user's last successful Access login; nil when they never logged in.
    public var lastSuccessfulLogin: Date?

    /// Creates an Access user.
    public init(id: String? = nil, email: String? = nil, lastSuccessfulLogin: Date? = nil) {
        self.id = id
        self.email = email
        self.lastSuccessfulLogin = lastSuccessfulLogin
    }

    private enum CodingKeys: String, CodingKey {
        case id, email
        case lastSuccessfulLogin = "last_successful_login"
    }

    /// Decodes an Access user from the API's JSON object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        email = try container.decodeIfPresent(String.self, forKey: .email)
        lastSuccessfulLogin = try container.decodeRFC3339IfPresent(forKey: .lastSuccessfulLogin)
    }

    /// Encodes the user in the API's shape, with an RFC 3339 `last_successful_login`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encodeIfPresent(email, forKey: .email)
        try container.encodeRFC3339IfPresent(lastSuccessfulLogin, forKey: .lastSuccessfulLogin)
    }
}
