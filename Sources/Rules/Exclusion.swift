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

    /// Returns true when one of `exclusion`'s keys exempts `registration`.
    ///
    /// Static and by pointer, as ``CompiledRule/selects(_:by:version:versions:directory:)``: passing a
    /// `Registration` read from an array copies it, and calling a method on an `Exclusion` read through a
    /// pointer copies the exclusion, each retaining every string, set and array in it.
    static func excludes(_ registration: UnsafePointer<Registration>, by exclusion: UnsafePointer<Exclusion>) -> Bool {
        if !exclusion.pointee.registrationID.isEmpty,
            exclusion.pointee.registrationID.contains(registration.pointee.id)
        {
            return true
        }
        if !exclusion.pointee.deviceID.isEmpty, exclusion.pointee.deviceID.contains(registration.pointee.deviceID) {
            return true
        }
        if !exclusion.pointee.deviceName.isEmpty {
            let name = registration.pointee.deviceName
            if exclusion.pointee.deviceName.contains(where: { $0.matches(name) }) { return true }
        }
        if !exclusion.pointee.userEmail.isEmpty, let email = registration.pointee.userEmail,
            exclusion.pointee.userEmail.contains(where: { $0.matches(email) })
        {
            return true
        }
        if !exclusion.pointee.profile.isEmpty, let profileName = registration.pointee.profileName,
            exclusion.pointee.profile.contains(profileName)
        {
            return true
        }
        return false
    }
}
