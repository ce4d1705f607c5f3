#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The contents of a simulated account: registrations, Access users and device settings profiles.
///
/// ``generated(count:seed:now:)`` makes a realistic fleet, the same one for the same arguments; tests that
/// need exact cases build one with ``init(registrations:accessUsers:profiles:)``.
public struct SimulatedFleet: Sendable, Hashable {
    /// Sorted by id, as the API lists them.
    public var registrations: [SimulatedRegistration]
    public var accessUsers: [SimulatedAccessUser]
    /// Exactly one should be the default profile.
    public var profiles: [SimulatedProfile]

    public init(
        registrations: [SimulatedRegistration],
        accessUsers: [SimulatedAccessUser] = [],
        profiles: [SimulatedProfile] = []
    ) {
        self.registrations = registrations.sortedByID()
        self.accessUsers = accessUsers
        self.profiles = profiles
    }
}

extension SimulatedFleet {
    /// WARP client versions older than `2024.6.415`, the example minimum in `ztguardd.toml`.
    public static let oldClientVersions = [
        "2023.3.470.0", "2023.9.252.0", "2023.10.120.0", "2024.1.160.0", "2024.3.409.0",
    ]
    /// Versions at or above `2024.6.415`; some are written with three parts, as older clients report them.
    public static let currentClientVersions = [
        "2024.6.415", "2024.6.473.0", "2024.8.458.0", "2024.11.309.0", "2024.12.554.0", "2025.1.861.0", "2025.2.600.0",
    ]

    /// Creates a realistic fleet of `count` registrations, deterministically from `seed` and `now`.
    ///
    /// Shares, roughly: 8% stale (last seen 91–400 days before `now`), 5% revoked leftovers (revoked 5–200 days
    /// ago), 10% on an old client (see ``oldClientVersions``), 1% without a client version, 3% belonging to
    /// offboarded users (absent from ``accessUsers``), 0.5% without a user, and a handful of `warp-connector-NN`
    /// devices of `connector-NN@svc.example.com` service accounts (not Access users either). Users are
    /// `first.last@example.com`, contractors `…@contractor.example.com` on the "Contractors" profile; the rest
    /// use "Default" or "Engineering". Users own one to a few registrations each.
    public static func generated(count: Int, seed: UInt64, now: Date) -> SimulatedFleet {
        var generator = FleetGenerator(seed: seed, now: now)
        return generator.fleet(count: count)
    }
}

/// Builds ``SimulatedFleet/generated(count:seed:now:)``; every random choice comes from one generator,
/// in one fixed order, so the fleet depends on nothing but the arguments.
private struct FleetGenerator {
    private static let day: Double = 86_400
    private static let firstNames = [
        "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
        "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen", "Wei", "Priya",
        "Ahmed", "Fatima", "Hiroshi", "Yuki", "Olga", "Ivan", "Lucas", "Sofia", "Mateo", "Chloé", "Noah", "Emma",
        "Liam", "Ava", "Arjun", "Ananya", "Kwame", "Amara",
    ]
    private static let lastNames = [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Chen",
        "Wang", "Patel", "Kumar", "Nguyen", "Kim", "Müller", "Schmidt", "Rossi", "Silva", "Okafor", "Tanaka",
        "Ivanova", "O'Brien",
    ]

    private static let serialCharacters = Array("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789".utf8)

    /// The names as mail systems write them: "O'Brien" → "obrien", "Chloé" → "chloe", "Müller" → "muller".
    private static let firstLocalParts = firstNames.map(emailLocalPart)
    private static let lastLocalParts = lastNames.map(emailLocalPart)

    private struct Person {
        var id: String
        var email: String
        var name: String
        var firstName: String
        /// `maryjones`, for device names.
        var handle: String
        var isContractor: Bool
        var createdAt: Date
    }

    private var random: SeededGenerator
    private let now: Date
    /// How many people already have each `local@domain`, so a namesake gets the next free suffix at once.
    private var namesakes: [String: Int] = [:]

    init(seed: UInt64, now: Date) {
        random = SeededGenerator(seed: seed)
        self.now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
    }

    mutating func fleet(count: Int) -> SimulatedFleet {
        let profiles = [
            SimulatedProfile(id: random.uuid(), name: "Default", isDefault: true, description: "Default profile"),
            SimulatedProfile(
                id: random.uuid(),
                name: "Engineering",
                match: "identity.groups.name == \"Engineering\"",
                precedence: 100,
                description: "Developers: local subnets excluded from the tunnel"
            ),
            SimulatedProfile(
                id: random.uuid(),
                name: "Contractors",
                match: "identity.email matches \".*@contractor.example.com\"",
                precedence: 200,
                description: "Contractors: switch locked, no LAN access"
            ),
        ]

        let staff = (0..<max(1, count * 10 / 16)).map { _ in person(contractorShare: 0.06) }
        let offboarded = (0..<max(1, count * 3 / 200)).map { _ in person(contractorShare: 0.06) }
        let connectorCount = count >= 20 ? min(6, max(2, count / 400)) : 0

        var registrations: [SimulatedRegistration] = []
        registrations.reserveCapacity(count)
        for index in 0..<count {
            if index < connectorCount {
                registrations.append(connector(number: index + 1, profile: profiles[0]))
                continue
            }
            let ownerRoll = random.unit()
            let owner: Person?
            let isOffboarded = ownerRoll < 0.03
            if isOffboarded {
                owner = random.pick(offboarded)
            } else if ownerRoll < 0.035 {
                owner = nil
            } else {
                owner = random.pick(staff)
            }
            registrations.append(registration(owner: owner, isOffboarded: isOffboarded, profiles: profiles))
        }

        var activeDevices: [String: Int] = [:]
        for registration in registrations where !registration.isRevoked {
            if let userID = registration.userID { activeDevices[userID, default: 0] += 1 }
        }
        let accessUsers = staff.map { person in
            SimulatedAccessUser(
                id: person.id,
                email: person.email,
                name: person.name,
                createdAt: person.createdAt,
                lastSuccessfulLogin: lastLogin(),
                activeDeviceCount: activeDevices[person.id] ?? 0
            )
        }
        return SimulatedFleet(
            registrations: registrations,
            accessUsers: accessUsers.sorted { $0.email < $1.email },
            profiles: profiles
        )
    }

    private mutating func person(contractorShare: Double) -> Person {
        let firstIndex = random.int(below: Self.firstNames.count)
        let lastIndex = random.int(below: Self.lastNames.count)
        let first = Self.firstNames[firstIndex]
        let last = Self.lastNames[lastIndex]
        let isContractor = random.chance(contractorShare)
        let domain = isContractor ? "contractor.example.com" : "example.com"
        let local = Self.firstLocalParts[firstIndex] + "." + Self.lastLocalParts[lastIndex]
        // "mary.smith@…", then "mary.smith2@…": no generated local part ends in a digit, so these never collide.
        let earlier = namesakes["\(local)@\(domain)", default: 0]
        namesakes["\(local)@\(domain)"] = earlier + 1
        let email = earlier == 0 ? "\(local)@\(domain)" : "\(local)\(earlier + 1)@\(domain)"
        return Person(
            id: random.uuid(),
            email: email,
            name: "\(first) \(last)",
            firstName: first,
            handle: Self.firstLocalParts[firstIndex] + Self.lastLocalParts[lastIndex],
            isContractor: isContractor,
            createdAt: ago(days: Double(random.int(in: 30...1500)))
        )
    }

    private mutating func connector(number: Int, profile: SimulatedProfile) -> SimulatedRegistration {
        let label = number < 10 ? "0\(number)" : "\(number)"
        let lastSeen = ago(days: random.unit() * 0.02)
        return SimulatedRegistration(
            id: random.uuid(),
            deviceID: random.uuid(),
            deviceName: "warp-connector-\(label)",
            clientVersion: "2025.2.600.0",
            createdAt: ago(days: Double(random.int(in: 60...700))),
            lastSeenAt: lastSeen,
            keyType: "curve25519",
            tunnelType: "wireguard",
            key: random.publicKey(),
            userID: random.uuid(),
            userEmail: "connector-\(label)@svc.example.com",
            userName: "WARP Connector \(label)",
            profile: profile
        )
    }

    private mutating func registration(
        owner: Person?,
        isOffboarded: Bool,
        profiles: [SimulatedProfile]
    ) -> SimulatedRegistration {
        let id = random.uuid()
        let deviceID = random.uuid()
        let deviceName = self.deviceName(owner: owner)

        let lifecycle = random.unit()
        var revokedAt: Date?
        let lastSeen: Date
        if lifecycle < 0.05 {
            let revoked = ago(days: 5 + random.unit() * 195)
            revokedAt = revoked
            lastSeen = revoked.addingTimeInterval(-random.unit() * 60 * Self.day)
        } else if lifecycle < 0.13 {
            lastSeen = ago(days: 91 + random.unit() * 309)
        } else if isOffboarded {
            lastSeen = ago(days: 7 + random.unit() * 80)
        } else {
            let recency = random.unit()
            let days =
                recency < 0.7 ? random.unit() * 3 : recency < 0.95 ? 3 + random.unit() * 27 : 30 + random.unit() * 59
            lastSeen = ago(days: days)
        }
        let createdAt = lastSeen.addingTimeInterval(-(random.unit() * 700 + 0.1) * Self.day)

        let versionRoll = random.unit()
        let clientVersion: String?
        let isOldClient = versionRoll < 0.10
        if isOldClient {
            clientVersion = random.pick(SimulatedFleet.oldClientVersions)
        } else if versionRoll < 0.11 {
            clientVersion = nil
        } else {
            clientVersion = random.pick(SimulatedFleet.currentClientVersions)
        }
        let usesMASQUE = !isOldClient && random.chance(0.4)

        let profile: SimulatedProfile
        if owner?.isContractor == true {
            profile = profiles[2]
        } else {
            profile = random.chance(0.35) ? profiles[1] : profiles[0]
        }

        return SimulatedRegistration(
            id: id,
            deviceID: deviceID,
            deviceName: deviceName,
            clientVersion: clientVersion,
            createdAt: Self.wholeSeconds(createdAt),
            lastSeenAt: Self.wholeSeconds(lastSeen),
            revokedAt: revokedAt.map(Self.wholeSeconds),
            keyType: usesMASQUE ? "secp256r1" : "curve25519",
            tunnelType: usesMASQUE ? "masque" : "wireguard",
            key: random.publicKey(),
            userID: owner?.id,
            userEmail: owner?.email,
            userName: owner?.name,
            profile: profile
        )
    }

    private mutating func deviceName(owner: Person?) -> String {
        let handle = owner?.handle ?? "kiosk"
        let firstName = owner?.firstName ?? "Kiosk"
        func serial(_ length: Int, _ random: inout SeededGenerator) -> String {
            String(decoding: (0..<length).map { _ in random.pick(Self.serialCharacters) }, as: UTF8.self)
        }
        switch random.int(below: 10) {
        case 0..<3: return "LAPTOP-" + serial(5, &random)
        case 3: return "DESKTOP-" + serial(7, &random)
        case 4..<6: return "\(handle)-mbp"
        case 6: return "\(firstName)’s MacBook Air"
        case 7: return "\(firstName)’s iPhone"
        case 8: return random.pick(["Pixel 8", "Pixel 7a", "SM-S918B", "SM-A546B"])
        default: return "ubuntu-\(handle)"
        }
    }

    private mutating func lastLogin() -> Date? {
        let roll = random.unit()
        if roll < 0.01 { return nil }
        let days = roll < 0.86 ? random.unit() * 30 : roll < 0.95 ? 30 + random.unit() * 60 : 120 + random.unit() * 280
        return Self.wholeSeconds(ago(days: days))
    }

    private func ago(days: Double) -> Date {
        now.addingTimeInterval(-days * Self.day)
    }

    private static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    private static func emailLocalPart(_ name: String) -> String {
        let folded: [Character: String] = ["é": "e", "ü": "u", "ö": "o", "ä": "a"]
        return name.lowercased().map { folded[$0] ?? String($0) }.joined().filter { $0.isLetter && $0.isASCII }
    }
}

extension Array where Element == SimulatedRegistration {
    var isSortedByID: Bool {
        indices.dropFirst().allSatisfy { self[$0 - 1].id < self[$0].id }
    }

    /// Sorted by id; sorts (id, index) pairs and moves each registration once, as registrations are large.
    func sortedByID() -> [SimulatedRegistration] {
        guard !isSortedByID else { return self }
        return enumerated().map { ($0.element.id, $0.offset) }.sorted { $0.0 < $1.0 }.map { self[$0.1] }
    }
}
