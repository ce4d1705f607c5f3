/// The blast-radius guard (`[limits]`): a plan that would act on too much is refused whole.
public struct Limits: Sendable, Hashable {
    /// `max_actions_per_run`: more planned actions than this aborts the run.
    public var maxActionsPerRun: Int
    /// `max_fraction`: planned actions above this share of the listed registrations abort the run.
    public var maxFraction: Double

    /// Creates limits; the defaults are 100 actions and 10 %.
    public init(maxActionsPerRun: Int = 100, maxFraction: Double = 0.10) {
        self.maxActionsPerRun = maxActionsPerRun
        self.maxFraction = maxFraction
    }

    /// Returns why a plan with `count` actions out of `listed` registrations must not run, or nil.
    ///
    /// Each limit trips at one over: 100 actions pass `max_actions_per_run = 100`, 101 do not.
    public func abort(count: Int, listed: Int) -> Plan.Abort? {
        if count > maxActionsPerRun {
            return .maxActions(selected: count, limit: maxActionsPerRun)
        }
        // Division rather than `maxFraction * listed`: IEEE division is correctly rounded, so exactly
        // the limit (100 of 1000 at 0.1) compares equal instead of a hair above or below.
        if listed > 0, Double(count) / Double(listed) > maxFraction {
            return .maxFraction(selected: count, listed: listed, limit: maxFraction)
        }
        return nil
    }
}
