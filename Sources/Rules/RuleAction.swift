/// What a rule does to the registrations it selects (`action` in a `[[rule]]`).
public enum RuleAction: String, Codable, Sendable, Hashable, CaseIterable {
    /// Revoke: the device loses access until unrevoked.
    case revoke
    /// Delete the registration; it cannot be restored.
    case delete
    /// Unrevoke a revoked registration.
    case unrevoke
}
