import Rules
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct RegistrationDecodingTests {
    /// The `result` of a `GET /accounts/{id}/devices/registrations?include=policy` page, IDs scrubbed.
    static let page = Data(
        #"""
        [
          {
            "id": "0d9a4e2c-1111-4c1e-9f00-000000000001",
            "created_at": "2025-03-02T08:00:00.123456Z",
            "last_seen_at": "2026-08-01T09:12:00Z",
            "revoked_at": null,
            "deleted_at": null,
            "updated_at": "2026-08-01T09:12:00.5Z",
            "key": "yek0SUYoOQ10vMGsIYAevozXUQpQtNFJFfFGqER/BGc=",
            "key_type": "curve25519",
            "tunnel_type": "masque",
            "device": {"id": "f174e90a-0000-4c1e-9f00-00000000000a", "name": "LAPTOP-8F2K1", "client_version": "2024.6.415.0"},
            "user": {"id": "u-1", "email": "jdoe@example.com", "name": "John Doe"},
            "policy": {"id": "p-1", "name": "Contractors", "default": false, "deleted": false, "updated_at": "2026-01-01T00:00:00Z"}
          },
          {
            "id": "0d9a4e2c-1111-4c1e-9f00-000000000002",
            "created_at": "2024-01-15T10:00:00+01:00",
            "last_seen_at": "2025-12-24T18:30:00Z",
            "revoked_at": "2026-01-10T12:00:00Z",
            "key_type": "curve25519",
            "tunnel_type": "wireguard",
            "device": {"id": "f174e90a-0000-4c1e-9f00-00000000000b", "name": "warp-connector-paris", "client_version": "2024.1.160.0"},
            "user": null,
            "some_future_field": {"nested": [1, 2, 3]}
          },
          {
            "id": "0d9a4e2c-1111-4c1e-9f00-000000000003",
            "created_at": "2026-11-01T00:00:00Z",
            "last_seen_at": null,
            "device": {"id": "f174e90a-0000-4c1e-9f00-00000000000c", "name": null},
            "user": {"id": "u-3", "email": null}
          }
        ]
        """#.utf8
    )

    @Test("decodes a page of registrations as the API returns it")
    func decodesPage() throws {
        let registrations = try JSONDecoder().decode([Registration].self, from: Self.page)
        try #require(registrations.count == 3)

        let full = registrations[0]
        #expect(full.id == "0d9a4e2c-1111-4c1e-9f00-000000000001")
        #expect(full.deviceID == "f174e90a-0000-4c1e-9f00-00000000000a")
        #expect(full.deviceName == "LAPTOP-8F2K1")
        #expect(full.clientVersion == "2024.6.415.0")
        #expect(full.createdAt == RFC3339.date(from: "2025-03-02T08:00:00.123456Z"))
        #expect(full.lastSeenAt == Date(timeIntervalSince1970: 1_785_575_520))
        #expect(full.revokedAt == nil)
        #expect(!full.isRevoked)
        #expect(full.keyType == "curve25519")
        #expect(full.tunnelType == "masque")
        #expect(full.userID == "u-1")
        #expect(full.userEmail == "jdoe@example.com")
        #expect(full.userName == "John Doe")
        #expect(full.profileID == "p-1")
        #expect(full.profileName == "Contractors")
    }

    @Test("decodes a null user and an absent policy as nil, ignoring unknown keys")
    func decodesNullUserWithoutPolicy() throws {
        let registration = try JSONDecoder().decode([Registration].self, from: Self.page)[1]
        #expect(registration.userID == nil)
        #expect(registration.userEmail == nil)
        #expect(registration.userName == nil)
        #expect(registration.profileID == nil)
        #expect(registration.profileName == nil)
        #expect(registration.isRevoked)
        #expect(registration.revokedAt == Date(timeIntervalSince1970: 1_768_046_400))
        #expect(registration.createdAt == Date(timeIntervalSince1970: 1_705_309_200))
    }

    @Test("decodes missing and null optional keys as nil, and a null device name as empty")
    func decodesMissingKeys() throws {
        let registration = try JSONDecoder().decode([Registration].self, from: Self.page)[2]
        #expect(registration.deviceName == "")
        #expect(registration.clientVersion == nil)
        #expect(registration.lastSeenAt == nil)
        #expect(registration.revokedAt == nil)
        #expect(registration.keyType == nil)
        #expect(registration.tunnelType == nil)
        #expect(registration.userID == "u-3")
        #expect(registration.userEmail == nil)
    }

    @Test(
        "throws dataCorrupted for a timestamp that is not RFC 3339",
        arguments: ["created_at", "last_seen_at", "revoked_at"]
    )
    func rejectsBadTimestamp(key: String) throws {
        let json = #"{"id": "r1", "device": {"id": "d1", "name": "n"}, "\#(key)": "2026-13-01T00:00:00Z"}"#
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Registration.self, from: Data(json.utf8))
        }
        guard case .dataCorrupted(let context) = try #require(error) else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))")
            return
        }
        #expect(context.codingPath.last?.stringValue == key)
    }

    @Test("decodes an empty timestamp string as nil")
    func emptyTimestampIsNil() throws {
        let json = #"{"id": "r1", "device": {"id": "d1", "name": "n"}, "revoked_at": ""}"#
        #expect(try JSONDecoder().decode(Registration.self, from: Data(json.utf8)).revokedAt == nil)
    }

    @Test(
        "throws when the registration ID or device ID is missing",
        arguments: [
            #"{"device": {"id": "d1", "name": "n"}}"#, #"{"id": "r1", "device": {"name": "n"}}"#, #"{"id": "r1"}"#,
        ]
    )
    func requiresIDs(json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Registration.self, from: Data(json.utf8)) }
    }

    @Test("encodes the API's nested shape, with a null user and no policy when absent, and decodes it back")
    func roundTrips() throws {
        let registrations = try JSONDecoder().decode([Registration].self, from: Self.page)
        let encoded = try JSONEncoder().encode(registrations)
        #expect(try JSONDecoder().decode([Registration].self, from: encoded) == registrations)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let full = String(decoding: try encoder.encode(registrations[0]), as: UTF8.self)
        #expect(
            full == #"{"created_at":"2025-03-02T08:00:00.123456Z","#
                + #""device":{"client_version":"2024.6.415.0","id":"f174e90a-0000-4c1e-9f00-00000000000a","#
                + #""name":"LAPTOP-8F2K1"},"id":"0d9a4e2c-1111-4c1e-9f00-000000000001","key_type":"curve25519","#
                + #""last_seen_at":"2026-08-01T09:12:00Z","policy":{"id":"p-1","name":"Contractors"},"#
                + #""tunnel_type":"masque","user":{"email":"jdoe@example.com","id":"u-1","name":"John Doe"}}"#
        )
        let withoutUser = String(decoding: try encoder.encode(registrations[1]), as: UTF8.self)
        #expect(
            withoutUser == #"{"created_at":"2024-01-15T09:00:00Z","#
                + #""device":{"client_version":"2024.1.160.0","id":"f174e90a-0000-4c1e-9f00-00000000000b","#
                + #""name":"warp-connector-paris"},"id":"0d9a4e2c-1111-4c1e-9f00-000000000002","key_type":"curve25519","#
                + #""last_seen_at":"2025-12-24T18:30:00Z","revoked_at":"2026-01-10T12:00:00Z","#
                + #""tunnel_type":"wireguard","user":null}"#
        )
    }

    @Test("decodes an Access user, with or without a last login")
    func decodesAccessUsers() throws {
        let json = #"""
            [{"id": "a-1", "email": "JDoe@Example.com", "name": "John", "last_successful_login": "2026-05-01T08:00:00Z"},
             {"id": "a-2", "email": "new@example.com", "last_successful_login": null}]
            """#
        let users = try JSONDecoder().decode([AccessUser].self, from: Data(json.utf8))
        #expect(
            users == [
                AccessUser(
                    id: "a-1",
                    email: "JDoe@Example.com",
                    lastSuccessfulLogin: RFC3339.date(from: "2026-05-01T08:00:00Z")
                ),
                AccessUser(id: "a-2", email: "new@example.com", lastSuccessfulLogin: nil),
            ]
        )
    }
}
