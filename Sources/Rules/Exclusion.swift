/// `[rule.exclude]` and the top-level `[exclude]`: any key that holds exempts the registration (OR).
public struct Exclusion: Sendable, Hashable {
    /// `registration_id`: these registrations are exempt.
    public var registrationID: Set<String>
    /// `device_id`: every registration of these devices is exempt.
    public var deviceID: Set<String>
    /// `device_name`: registrations whose device name matches one of these globs are exempt.
    public var deviceName: [Glob]
    /// `user_email`: registrations whose user email matches one of these globs are exempt (the
    /// configuration compiles them case-insensitively).
    public var userEmail: [Glob]
    /// `profile`: registrations in these settings profiles (by name, case-sensitive) are exempt.
    public var profile: [String]

    /// Creates an exclusion; `Exclusion()` exempts nothing.
    public init(
        registrationID: Set<String> = [],
        deviceID: Set<String> = [],
        deviceName: [Glob] = [],
        userEmail: [Glob] = [],
        profile: [String] = []
    ) {
        self.registrationID = registrationID
        self.deviceID = deviceID
        self.deviceName = deviceName
        self.userEmail = userEmail
        self.profile = profile
    }

    /// True when the exclusion exempts nothing.
    public var isEmpty: Bool {
        registrationID.isEmpty && deviceID.isEmpty && deviceName.isEmpty && userEmail.isEmpty && profile.isEmpty
    }

    /// Returns true when one of the keys exempts `registration`.
    ///
    /// By pointer, as ``CompiledRule/selects(_:by:version:versions:directory:)``: passing a `Registration` read
    /// from an array copies it, which retains every string in it.
    func excludes(_ registration: UnsafePointer<Registration>) -> Bool {
        if !registrationID.isEmpty && registrationID.contains(registration.pointee.id) { return true }
        if !deviceID.isEmpty && deviceID.contains(registration.pointee.deviceID) { return true }
        if !deviceName.isEmpty {
            let name = registration.pointee.deviceName
            if deviceName.contains(where: { $0.matches(name) }) { return true }
        }
        if !userEmail.isEmpty, let email = registration.pointee.userEmail,
            userEmail.contains(where: { $0.matches(email) })
        {
            return true
        }
        if !profile.isEmpty, let profileName = registration.pointee.profileName, profile.contains(profileName) {
            return true
        }
        return false
    }
}
