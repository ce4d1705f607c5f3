import Testing

@testable import Rules

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A planned action keeps its registration packed (``PackedRegistration``); what it gives back must be
/// the registration it was given, field for field, whatever the fields hold.
struct PackedRegistrationTests {
    static let full = Registration(
        id: "0b9e3c62-4f1d-4a8e-9c2b-7d5e1f3a6b80", deviceID: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        deviceName: "Sofia’s iPhone", clientVersion: "2024.6.415.0", createdAt: Date(timeIntervalSince1970: 1_700_000_000.25),
        lastSeenAt: Date(timeIntervalSinceReferenceDate: 0), revokedAt: Date(timeIntervalSince1970: -1.5),
        keyType: "curve25519", tunnelType: "masque", userID: "9a1b2c3d-0000-4000-8000-00000000000f",
        userEmail: "sofia.miller13@example.com", userName: "Sofia Miller", profileID: "default", profileName: "Contractors")

    static let cases: [Registration] = [
        full,
        // Only what is required; every optional field and date missing, empty strings.
        Registration(id: "", deviceID: "", deviceName: ""),
        // 36 characters that are not a lowercase, hyphenated UUID stay as they are.
        Registration(
            id: "0B9E3C62-4F1D-4A8E-9C2B-7D5E1F3A6B80", deviceID: "0b9e3c62x4f1d-4a8e-9c2b-7d5e1f3a6b80",
            deviceName: "0b9e3c62-4f1d-4a8e-9c2b-7d5e1f3a6b8g", userID: "0b9e3c62-4f1d-4a8e-9c2b-7d5e1f3a6b8",
            userEmail: "0b9e3c62-4f1d-4a8e-9c2b-7d5e1f3a6b800"),
        // Lengths whose LEB128 takes one, two and three bytes; text JSON escapes; NUL.
        Registration(
            id: String(repeating: "a", count: 127), deviceID: String(repeating: "b", count: 128),
            deviceName: String(repeating: "🛡️", count: 3_000), clientVersion: "line\nbreak \"quoted\" \u{0}",
            userEmail: String(repeating: "é", count: 70_000)),
    ]

    @Test("a planned action gives back the registration it was given, packed or not", arguments: cases, [false, true])
    func roundTrip(registration: Registration, packed: Bool) {
        var action = PlannedAction(rule: "r", action: .revoke, registration: registration, reason: "why")
        if packed { action.pack() }
        #expect(action.isPacked == packed)
        #expect(action.registration == registration)
        #expect(action.registrationID == registration.id)
        #expect(action.deviceID == registration.deviceID)
        #expect(action.deviceName == registration.deviceName)
        #expect(action.userEmail == registration.userEmail)
        #expect(action.lastSeenAt == registration.lastSeenAt)
        #expect(action.clientVersion == registration.clientVersion)
        #expect(
            action.subject
                == PlannedAction.Subject(
                    registrationID: registration.id, deviceID: registration.deviceID, deviceName: registration.deviceName,
                    userEmail: registration.userEmail, lastSeenAt: registration.lastSeenAt,
                    clientVersion: registration.clientVersion))
        #expect(action.reason == "why")
    }

    @Test("a lowercase, hyphenated UUID is stored in its 16 bytes, anything else as text")
    func uuidPacking() {
        func canonical(_ text: String) -> Bool {
            Array(text.utf8).withUnsafeBufferPointer(UUIDBytes.isCanonical)
        }
        #expect(canonical("0b9e3c62-4f1d-4a8e-9c2b-7d5e1f3a6b80"))
        #expect(canonical("00000000-0000-0000-0000-000000000000"))
        #expect(canonical("ffffffff-ffff-ffff-ffff-ffffffffffff"))
        #expect(!canonical("0B9E3C62-4F1D-4A8E-9C2B-7D5E1F3A6B80"))
        #expect(!canonical("0b9e3c62-4f1d-4a8e-9c2b-7d5e1f3a6b8"))
        #expect(!canonical("0b9e3c624f1d-4a8e-9c2b-7d5e1f3a6b80-"))
        #expect(!canonical("0b9e3c62-4f1d-4a8e-9c2b-7d5e1f3a6b8g"))
        let bytes = [UInt8](repeating: 0, count: 16)
        var packed = [UInt8](repeating: 0, count: 16)
        let text = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
        Array(text.utf8).withUnsafeBufferPointer { source in
            packed.withUnsafeMutableBufferPointer { UUIDBytes.pack(source, into: $0.baseAddress!) }
        }
        #expect(packed == [0xf4, 0x7a, 0xc1, 0x0b, 0x58, 0xcc, 0x43, 0x72, 0xa5, 0x67, 0x0e, 0x02, 0xb2, 0xc3, 0xd4, 0x79])
        #expect(packed.withUnsafeBufferPointer { UUIDBytes.string(from: $0.baseAddress!) } == text)
        #expect(bytes.withUnsafeBufferPointer { UUIDBytes.string(from: $0.baseAddress!) } == "00000000-0000-0000-0000-000000000000")
    }

    @Test("packing the claims page by page changes nothing in the plan, and packs every action")
    func packedClaimsSamePlan() {
        let fleet = (0..<300).map { index in
            let hex = String(index, radix: 16)
            let padded = String(repeating: "0", count: 8 - hex.count) + hex
            return registration(
                "\(padded)-0000-4000-8000-00000000\(padded.suffix(4))", lastSeenAt: ago(Double(index) * day),
                userEmail: "user\(index)@example.com")
        }
        let ruleSet = RuleSet(action: .revoke, match: Match(lastSeenOlderThan: span("90d")))
        var listed = ruleSet.evaluation(directory: nil, graceMarks: GraceMarks(), at: now)
        var packed = ruleSet.evaluation(directory: nil, graceMarks: GraceMarks(), at: now)
        for page in stride(from: 0, to: fleet.count, by: 100) {
            listed.add(Array(fleet[page..<page + 100]))
            packed.add(Array(fleet[page..<page + 100]))
            packed.packClaims()
        }
        let (plain, compact) = (listed.plan(), packed.plan())
        #expect(compact.actions.count == 209)
        #expect(compact == plain)
        #expect(compact.actions.allSatisfy { $0.isPacked })
        #expect(!plain.actions.contains { $0.isPacked })
        #expect(compact.actions.map(\.reason) == plain.actions.map(\.reason))
    }

    /// Each match key alone, then all the keys that can hold together: a packed action's reason reads
    /// only the fields its rule names (``CompiledRule/reasonFields``), and must read every one it names.
    static let reasonCases: [(match: Match, directory: Directory?)] = {
        let stale = Directory(accessUsers: [AccessUser(email: "sofia.miller13@example.com", lastSuccessfulLogin: ago(400 * day))])
        let keys: [Match] = [
            Match(lastSeenOlderThan: span("90d")), Match(createdOlderThan: span("30d")),
            Match(status: .revoked, revokedOlderThan: span("1d")), Match(clientVersionBelow: version("2025.1.0")),
            Match(clientVersionUnknown: false), Match(userEmail: [glob("sofia.*@example.com")]),
            Match(deviceName: [glob("*iPhone")]), Match(keyType: ["curve25519"]), Match(tunnelType: ["masque"]),
            Match(profile: ["Contractors"]), Match(userMissing: false), Match(status: .any),
        ]
        let together = Match(
            status: .revoked, lastSeenOlderThan: span("90d"), createdOlderThan: span("30d"), revokedOlderThan: span("1d"),
            clientVersionBelow: version("2025.1.0"), clientVersionUnknown: false, userEmail: [glob("sofia.*@example.com")],
            deviceName: [glob("*iPhone")], keyType: ["curve25519"], tunnelType: ["masque"], profile: ["Contractors"],
            userMissing: false, userLastLoginOlderThan: span("90d"))
        return keys.map { ($0, nil) } + [
            (Match(userNotInAccess: true), Directory(accessUsers: [])),
            (Match(userLastLoginOlderThan: span("90d")), stale), (together, stale),
        ]
    }()

    @Test("a packed action's reason is the one its whole registration gives, for every match key", arguments: reasonCases)
    func packedReasonReadsWhatItNames(match: Match, directory: Directory?) throws {
        var selected = Self.full
        selected.createdAt = ago(300 * day)
        selected.lastSeenAt = ago(114 * day)
        selected.revokedAt = match.status == .revoked ? ago(2 * day) : nil
        let ruleSet = RuleSet(action: .delete, match: match)
        var listed = ruleSet.evaluation(directory: directory, graceMarks: GraceMarks(), at: now)
        var packed = ruleSet.evaluation(directory: directory, graceMarks: GraceMarks(), at: now)
        listed.add([selected])
        packed.add([selected])
        packed.packClaims()
        let (plain, compact) = (listed.plan(), packed.plan())
        let action = try #require(compact.actions.first)
        #expect(action.isPacked)
        #expect(action.reason == plain.actions.first?.reason)
    }

    @Test("changing the registration of an action keeps the reason that explained the old one")
    func reasonFrozenOnChange() {
        let old = registration(lastSeenAt: ago(114.9 * day))
        var action = RuleSet(action: .revoke, match: Match(lastSeenOlderThan: span("90d"))).plan([old]).actions[0]
        action.registration.lastSeenAt = ago(200 * day)
        #expect(action.reason == "last seen 114 days ago (limit 90 days)")
        #expect(action.lastSeenAt == ago(200 * day))
        #expect(action.registration.id == old.id)
    }
}
