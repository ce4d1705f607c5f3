#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// When a rule with `grace` first selected a registration. Key: rule name + registration ID.
///
/// The `Codable` form is a JSON array sorted by rule and registration ID, with RFC 3339 dates
/// (microsecond precision): `[{"rule": "outdated-client", "registration_id": "…",
/// "first_selected": "2026-11-16T10:00:00Z"}]`.
public struct GraceMarks: Sendable, Hashable, Codable {
    /// A rule and a registration it selected.
    public struct Key: Sendable, Hashable, Codable {
        /// The rule's name.
        public var rule: String
        /// The registration's ID.
        public var registrationID: String

        /// Creates a key.
        public init(rule: String, registrationID: String) {
            self.rule = rule
            self.registrationID = registrationID
        }

        private enum CodingKeys: String, CodingKey {
            case rule
            case registrationID = "registration_id"
        }
    }

    /// The first time each rule selected each registration, in the current streak of selections.
    public var firstSelected: [Key: Date]

    /// Creates marks; `GraceMarks()` has none.
    public init(firstSelected: [Key: Date] = [:]) {
        self.firstSelected = firstSelected
    }

    private enum EntryKeys: String, CodingKey {
        case rule
        case registrationID = "registration_id"
        case firstSelected = "first_selected"
    }

    /// Decodes the array form.
    ///
    /// - Throws: `DecodingError` for a missing key or a date that is not RFC 3339.
    public init(from decoder: any Decoder) throws {
        var entries = try decoder.unkeyedContainer()
        var firstSelected: [Key: Date] = [:]
        while !entries.isAtEnd {
            let entry = try entries.nestedContainer(keyedBy: EntryKeys.self)
            let key = Key(
                rule: try entry.decode(String.self, forKey: .rule),
                registrationID: try entry.decode(String.self, forKey: .registrationID)
            )
            guard let date = try entry.decodeRFC3339IfPresent(forKey: .firstSelected) else {
                throw DecodingError.keyNotFound(
                    EntryKeys.firstSelected,
                    DecodingError.Context(
                        codingPath: entry.codingPath,
                        debugDescription: "a grace mark needs first_selected"
                    )
                )
            }
            firstSelected[key] = date
        }
        self.firstSelected = firstSelected
    }

    /// Encodes the marks as an array sorted by rule and registration ID, so the file is stable.
    public func encode(to encoder: any Encoder) throws {
        var entries = encoder.unkeyedContainer()
        let sorted = firstSelected.sorted {
            ($0.key.rule, $0.key.registrationID) < ($1.key.rule, $1.key.registrationID)
        }
        for (key, date) in sorted {
            var entry = entries.nestedContainer(keyedBy: EntryKeys.self)
            try entry.encode(key.rule, forKey: .rule)
            try entry.encode(key.registrationID, forKey: .registrationID)
            try entry.encode(RFC3339.string(from: date), forKey: .firstSelected)
        }
    }
}
