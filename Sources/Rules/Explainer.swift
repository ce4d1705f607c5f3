#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Renders the reasons of one evaluation's actions when they are read: the compiled rules, `now` and the
/// directory, shared by every ``PlannedAction`` the evaluation plans, so that an action carries a
/// reference and a rule index instead of its text.
final class Explainer: Sendable {
    let rules: [CompiledRule]
    let now: Date
    let directory: Directory?

    init(rules: [CompiledRule], now: Date, directory: Directory?) {
        self.rules = rules
        self.now = now
        self.directory = directory
    }

    /// Explains why rule `index` selected `registration`, reading of a packed registration only the
    /// fields the rule's reason names.
    func reason(forRule index: Int, selecting registration: StoredRegistration) -> String {
        rules.withUnsafeBufferPointer { rules in
            rules[index].reason(for: registration.registration(fields: rules[index].reasonFields), at: now, directory: directory)
        }
    }
}
