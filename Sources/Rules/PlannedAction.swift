#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One action the plan selected: a rule, what it does, the registration and why.
public struct PlannedAction: Sendable, Hashable {
    // The one-byte fields last, so that they share the padding at the end: a plan holds one action per
    // selected registration (the registration itself is its page and index, or one reference packed).

    /// The registration, as listed. Until ``pack()`` the action holds it as it came; packed, every read
    /// builds it again. Read one field with ``registrationID``, ``deviceID``, ``deviceName``,
    /// ``userEmail``, ``lastSeenAt`` or ``clientVersion``, or those of a report at once with ``subject``.
    public var registration: Registration {
        get { stored.registration }
        set {
            // A reason rendered on read must keep describing the registration the rule selected.
            keepReasonText()
            stored = .listed(ListedRegistration(newValue))
        }
    }
    private var stored: StoredRegistration
    /// The name of the rule that selected the registration.
    public var rule: String
    private var storedReason: Reason
    /// What to do to the registration.
    public var action: RuleAction
    /// The rule's own `dry_run`.
    public var isDryRun: Bool

    /// Why the rule selected it: one clause per match key, joined by "; "
    /// ("last seen 114 days ago (limit 90 days)").
    ///
    /// An evaluation does not build this text when it plans: most plans are only counted or printed in
    /// part. The text is rendered from ``registration`` each time it is read, and is the same at every
    /// read.
    public var reason: String {
        get {
            switch storedReason {
            case .text(let text): text
            case .rule(let index, let explainer): explainer.reason(forRule: index, selecting: stored)
            }
        }
        set { storedReason = .text(newValue) }
    }

    /// The registration's `id`.
    public var registrationID: String { stored[.id] ?? "" }
    /// The registration's `device.id`.
    public var deviceID: String { stored[.deviceID] ?? "" }
    /// The registration's `device.name`.
    public var deviceName: String { stored[.deviceName] ?? "" }
    /// The registration's `user.email`.
    public var userEmail: String? { stored[.userEmail] }
    /// The registration's `last_seen_at`.
    public var lastSeenAt: Date? { stored.lastSeenAt }
    /// The registration's `device.client_version`.
    public var clientVersion: String? { stored[.clientVersion] }

    /// What a report and the journal name the registration by.
    public struct Subject: Sendable, Equatable {
        public init(
            registrationID: String, deviceID: String, deviceName: String, userEmail: String? = nil, lastSeenAt: Date? = nil,
            clientVersion: String? = nil
        ) {
            self.registrationID = registrationID
            self.deviceID = deviceID
            self.deviceName = deviceName
            self.userEmail = userEmail
            self.lastSeenAt = lastSeenAt
            self.clientVersion = clientVersion
        }

        public var registrationID: String
        public var deviceID: String
        public var deviceName: String
        public var userEmail: String?
        public var lastSeenAt: Date?
        public var clientVersion: String?
    }

    /// True once ``pack()`` has packed the registration.
    public var isPacked: Bool {
        if case .packed = stored { return true }
        return false
    }

    /// Keeps the registration in one allocation (``PackedRegistration``) instead of as listed: about 200
    /// bytes instead of 680, for a price (packing, and building the strings again on each read) that an
    /// action held for a whole listing is worth and one read at once is not. ``RuleSet/Evaluation``
    /// packs on request (``RuleSet/Evaluation/packClaims()``).
    public mutating func pack() {
        if case .listed(let listed) = stored { stored = .packed(PackedRegistration(listed.page[listed.index])) }
    }

    /// The registration's ``Subject``, its strings built in one pass over a packed registration.
    public var subject: Subject { stored.subject }

    /// Renders ``reason`` now and keeps the text, for an action whose reason will be read more than
    /// once: rendering builds the whole registration again.
    public mutating func keepReasonText() {
        if case .rule = storedReason { storedReason = .text(reason) }
    }

    /// Creates a planned action.
    public init(rule: String, action: RuleAction, registration: Registration, reason: String, isDryRun: Bool = false) {
        self.rule = rule
        self.action = action
        self.stored = .listed(ListedRegistration(registration))
        self.storedReason = .text(reason)
        self.isDryRun = isDryRun
    }

    /// Creates the action of `explainer`'s rule `ruleIndex`, whose reason `explainer` renders on read.
    ///
    /// By pointer, as ``CompiledRule/selects(_:by:version:versions:directory:)``: reading the rule out of
    /// the array would copy it.
    init(rule: UnsafePointer<CompiledRule>, ruleIndex: Int, of explainer: Explainer, listed: ListedRegistration) {
        self.rule = rule.pointee.name
        self.action = rule.pointee.action
        self.stored = .listed(listed)
        self.storedReason = .rule(ruleIndex, explainer)
        self.isDryRun = rule.pointee.isDryRun
    }

    /// Actions are equal when their rule, action, registration, reason text and `dry_run` are, however
    /// the reason is stored.
    public static func == (lhs: PlannedAction, rhs: PlannedAction) -> Bool {
        guard lhs.rule == rhs.rule, lhs.action == rhs.action, lhs.isDryRun == rhs.isDryRun,
            lhs.registration == rhs.registration
        else { return false }
        if case .rule(let leftIndex, let leftExplainer) = lhs.storedReason,
            case .rule(let rightIndex, let rightExplainer) = rhs.storedReason,
            leftIndex == rightIndex, leftExplainer === rightExplainer
        {
            return true
        }
        return lhs.reason == rhs.reason
    }

    /// Hashes what `==` compares, the reason as text.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(rule)
        hasher.combine(action)
        hasher.combine(registration)
        hasher.combine(reason)
        hasher.combine(isDryRun)
    }

    /// The reason's text, or what renders it.
    private enum Reason: Sendable {
        case text(String)
        case rule(Int, Explainer)
    }
}
