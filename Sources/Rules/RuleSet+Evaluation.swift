#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension RuleSet {
    /// One evaluation of a rule set, fed the listing page by page; ``plan()`` gives the same plan as
    /// ``RuleSet/plan(for:directory:graceMarks:at:)`` over all the pages at once.
    ///
    /// ```swift
    /// var evaluation = ruleSet.evaluation(directory: directory, graceMarks: marks, at: runStart)
    /// try await client.forEachRegistrationPage(query) { page in evaluation.add(page.registrations) }
    /// let plan = evaluation.plan()  // only once every page has been added
    /// ```
    public struct Evaluation: Sendable {
        private let exclude: Exclusion
        private let limits: Limits
        /// The compiled rules, `now` and the directory; every planned action shares it.
        private let explainer: Explainer
        private let previousMarks: GraceMarks
        private var claims: [Claim] = []
        private var marks: [GraceMarks.Key: Date] = [:]
        private var waitingForGrace: [String: Int] = [:]

        /// How many registrations have been added so far; becomes ``Plan/listed``.
        public private(set) var listed = 0

        init(ruleSet: RuleSet, directory: Directory?, graceMarks: GraceMarks, at now: Date) {
            self.exclude = ruleSet.exclude
            self.limits = ruleSet.limits
            self.explainer = Explainer(
                rules: ruleSet.rules.map { CompiledRule($0, at: now) },
                now: now,
                directory: directory
            )
            self.previousMarks = graceMarks
        }

        /// Evaluates a page of registrations, keeping only those a rule claims.
        public mutating func add(_ registrations: [Registration]) {
            let hasExclusion = !exclude.isEmpty
            let firstSequence = listed
            listed += registrations.count
            // Copy the pieces the loop mutates out of `self`, so the closures below capture no `inout self`.
            var claims = self.claims
            var marks = self.marks
            var waitingForGrace = self.waitingForGrace
            self.claims = []
            defer {
                self.claims = claims
                self.marks = marks
                self.waitingForGrace = waitingForGrace
            }
            let (exclude, previousMarks) = (self.exclude, self.previousMarks)
            let (compiled, directory, now) = (explainer.rules, explainer.directory, explainer.now)

            // Through pointers, see `CompiledRule.selects`: this loop runs rules × registrations times.
            registrations.withUnsafeBufferPointer { registrationBuffer in
                compiled.withUnsafeBufferPointer { ruleBuffer in
                    guard let firstRegistration = registrationBuffer.baseAddress,
                        let firstRule = ruleBuffer.baseAddress
                    else { return }
                    for registrationIndex in 0..<registrationBuffer.count {
                        let registration = firstRegistration + registrationIndex
                        var version = ParsedVersion.notParsed
                        for ruleIndex in 0..<ruleBuffer.count {
                            let rule = firstRule + ruleIndex
                            guard CompiledRule.selects(registration, by: rule, version: &version, directory: directory)
                            else { continue }
                            if rule.pointee.hasExclusion && rule.pointee.rule.exclude.excludes(registration.pointee) {
                                continue
                            }
                            // Checked only once a rule selects: most registrations never get this far.
                            if hasExclusion && exclude.excludes(registration.pointee) { break }

                            if let graceCutoff = rule.pointee.graceCutoff {
                                let name = rule.pointee.rule.name
                                let key = GraceMarks.Key(rule: name, registrationID: registration.pointee.id)
                                let firstSelected = previousMarks.firstSelected[key] ?? now
                                marks[key] = firstSelected
                                guard firstSelected <= graceCutoff else {
                                    waitingForGrace[name, default: 0] += 1
                                    break
                                }
                            }
                            claims.append(
                                Claim(
                                    registration: registration.pointee,
                                    sequence: firstSequence + registrationIndex,
                                    rule: ruleIndex
                                )
                            )
                            break
                        }
                    }
                }
            }
        }

        /// Returns the plan for everything added: the claimed registrations sorted by ID, with their
        /// reasons, and the safety limits checked.
        public func plan() -> Plan {
            // Sort the few claimed, never the whole listing. The first eight bytes of the ID, as an
            // integer, settle nearly every comparison without touching the strings; the sequence
            // number breaks ties between duplicate IDs, so the order is total and deterministic.
            var order = claims.indices.map { SortKey(idPrefix: claims[$0].idPrefix, claim: $0) }
            order.sort { left, right in
                if left.idPrefix != right.idPrefix { return left.idPrefix < right.idPrefix }
                let (leftID, rightID) = (claims[left.claim].registration.id, claims[right.claim].registration.id)
                if leftID != rightID { return leftID.utf8.lexicographicallyPrecedes(rightID.utf8) }
                return claims[left.claim].sequence < claims[right.claim].sequence
            }
            var actions: [PlannedAction] = []
            actions.reserveCapacity(claims.count)
            for index in order.map(\.claim) {
                let registration = claims[index].registration
                if let previous = actions.last, previous.registration.id == registration.id { continue }
                actions.append(PlannedAction(ruleIndex: claims[index].rule, of: explainer, registration: registration))
            }

            let counted = actions.count { !$0.isDryRun }
            return Plan(
                actions: actions,
                waitingForGrace: waitingForGrace,
                graceMarks: GraceMarks(firstSelected: marks),
                listed: listed,
                abort: limits.abort(count: counted, listed: listed)
            )
        }
    }
}

/// A claim's place in the sort: small, so that sorting moves no registrations.
private struct SortKey {
    var idPrefix: UInt64
    var claim: Int
}

/// A rule's claim on a registration.
private struct Claim: Sendable {
    var registration: Registration
    /// The registration's position in the whole listing, to order duplicate IDs.
    var sequence: Int
    var rule: Int
    /// The first eight UTF-8 bytes of the registration ID, big-endian: orders like the ID's bytes.
    var idPrefix: UInt64

    init(registration: Registration, sequence: Int, rule: Int) {
        self.registration = registration
        self.sequence = sequence
        self.rule = rule
        self.idPrefix = registration.id.utf8PrefixKey
    }
}

extension String {
    /// The first eight UTF-8 bytes as a big-endian integer, zero-padded.
    fileprivate var utf8PrefixKey: UInt64 {
        var key: UInt64 = 0
        var count = 0
        for byte in utf8.prefix(8) {
            key = key << 8 | UInt64(byte)
            count += 1
        }
        return count == 8 ? key : key << (8 * UInt64(8 - count))
    }
}
