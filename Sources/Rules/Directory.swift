#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything besides registrations a rule set may look at: today, the account's Access users.
public struct Directory: Sendable {
    private var usersByEmail: [CaseInsensitiveKey: AccessUser]

    /// Creates a directory of Access users, keyed by email compared ASCII case-insensitively.
    ///
    /// Users without an email are left out. When two users share an email, the one with the more
    /// recent login is kept, so a duplicate never makes `user_last_login_older_than` select more.
    public init(accessUsers: [AccessUser]) {
        var usersByEmail: [CaseInsensitiveKey: AccessUser] = [:]
        usersByEmail.reserveCapacity(accessUsers.count)
        for user in accessUsers {
            guard let email = user.email, !email.isEmpty else { continue }
            let key = CaseInsensitiveKey(email)
            if let existing = usersByEmail[key],
                (existing.lastSuccessfulLogin ?? .distantPast) >= (user.lastSuccessfulLogin ?? .distantPast)
            {
                continue
            }
            usersByEmail[key] = user
        }
        self.usersByEmail = usersByEmail
    }

    /// The number of Access users with an email.
    public var count: Int { usersByEmail.count }

    /// Returns the Access user with `email`, compared ASCII case-insensitively, or nil.
    public func user(withEmail email: String) -> AccessUser? {
        usersByEmail[CaseInsensitiveKey(email)]
    }
}
