#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension RuleSet {
    /// A `seen_before` filter for the listing that leaves the plan and its limits exactly as they would
    /// be over the whole listing, or nil when there is none.
    ///
    /// There is one when every rule has `last_seen_older_than`: then no rule can select a registration
    /// seen at or after the latest of the rules' cutoffs (`now` minus the shortest span), so the API
    /// need not send it. The filter is the next whole second strictly after that cutoff, so the
    /// server returns a superset whatever precision it compares at (and however the cutoff rounds
    /// in floating point), and the evaluation still applies each rule's exact cutoff. Grace marks only ever hold registrations a rule selected, and `max_actions_per_run`
    /// counts the same actions.
    ///
    /// `max_fraction` is the exception that usually rules it out: its share is of the *listed*
    /// registrations, and a filtered listing would shrink that denominator to what the rules select.
    /// So the filter is offered only when `max_fraction` is at least 1, where no plan can trip it.
    public func seenBeforeFilter(at now: Date) -> Date? {
        guard !rules.isEmpty, limits.maxFraction >= 1 else { return nil }
        var shortest: TimeSpan?
        for rule in rules {
            guard let span = rule.match.lastSeenOlderThan else { return nil }
            if shortest.map({ span.interval < $0.interval }) ?? true { shortest = span }
        }
        guard let shortest else { return nil }
        let cutoff = now.timeIntervalSince1970 - shortest.interval
        return Date(timeIntervalSince1970: cutoff.rounded(.down) + 1)
    }
}
