/// The outcome of evaluating a rule set: what to do, what is waiting for grace, and whether a safety
/// limit refuses the whole plan.
public struct Plan: Sendable, Hashable {
    /// Why a safety limit refused the plan. Nothing of a refused plan may be carried out.
    public enum Abort: Sendable, Hashable, CustomStringConvertible {
        /// More actions than `max_actions_per_run`. `selected` counts actions of rules without `dry_run`.
        case maxActions(selected: Int, limit: Int)
        /// A larger share of the listed registrations than `max_fraction`.
        case maxFraction(selected: Int, listed: Int, limit: Double)

        /// The configuration key of the limit: `max_actions` or `max_fraction`.
        public var limitName: String {
            switch self {
            case .maxActions: "max_actions"
            case .maxFraction: "max_fraction"
            }
        }

        /// The limit in words: "101 actions planned, more than max_actions_per_run = 100", or
        /// "101 of 1000 registrations (10.1%) planned, more than max_fraction = 0.1 (10%)".
        public var detail: String {
            switch self {
            case .maxActions(let selected, let limit):
                return "\(selected) \(selected == 1 ? "action" : "actions") planned, "
                    + "more than max_actions_per_run = \(limit)"
            case .maxFraction(let selected, let listed, let limit):
                let share = Self.percent(Double(selected) / Double(listed))
                return "\(selected) of \(listed) \(listed == 1 ? "registration" : "registrations") (\(share)) planned, "
                    + "more than max_fraction = \(limit) (\(Self.percent(limit)))"
            }
        }

        /// The same as ``detail``.
        public var description: String { detail }

        /// `fraction` as a percentage with at most two decimals: 0.101 → "10.1%", 0.1 → "10%".
        private static func percent(_ fraction: Double) -> String {
            let hundredths = (fraction * 10_000).rounded()
            guard hundredths.isFinite, abs(hundredths) < 1e15 else { return "\(fraction * 100)%" }
            let value = Int(hundredths)
            let whole = value / 100
            let decimals = value % 100
            if decimals == 0 { return "\(whole)%" }
            if decimals % 10 == 0 { return "\(whole).\(decimals / 10)%" }
            return "\(whole).\(decimals < 10 ? "0" : "")\(decimals)%"
        }
    }

    /// The selected actions, sorted by registration ID (each registration appears at most once).
    /// Still lists the selection when ``abort`` is set.
    public var actions: [PlannedAction]
    /// Registrations a grace rule selected whose grace has not elapsed yet, per rule name.
    public var waitingForGrace: [String: Int]
    /// The marks to keep: exactly the (rule, registration) pairs that grace rules selected this time.
    public var graceMarks: GraceMarks
    /// How many registrations were evaluated.
    public var listed: Int
    /// Set when a safety limit refuses the plan.
    public var abort: Abort?

    /// Creates a plan.
    public init(
        actions: [PlannedAction],
        waitingForGrace: [String: Int] = [:],
        graceMarks: GraceMarks = GraceMarks(),
        listed: Int,
        abort: Abort? = nil
    ) {
        self.actions = actions
        self.waitingForGrace = waitingForGrace
        self.graceMarks = graceMarks
        self.listed = listed
        self.abort = abort
    }
}
