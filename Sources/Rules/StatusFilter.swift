/// Which registrations a rule looks at (`status` in `[rule.match]`), and which ones the client lists.
public enum StatusFilter: String, Sendable, Hashable {
    /// Registrations that are not revoked.
    case active
    /// Revoked registrations.
    case revoked
    /// Both.
    case any
}
