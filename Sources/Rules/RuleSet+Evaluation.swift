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
        /// The actions planned so far, in listing order.
        private var claims: [PlannedAction] = []
        /// True while the claimed IDs strictly increase (the API lists by ID): then the claims are the plan's
        /// actions as they are, with no duplicate to drop.
        private var claimsAreInOrder = true
        /// ``utf8PrefixKey`` of the last claimed ID.
        private var lastClaimKey: UInt64 = 0
        /// The claims of rules without `dry_run`, which the limits count.
        private var countedClaims = 0
        private var marks: [GraceMarks.Key: Date] = [:]
        private var waitingForGrace: [String: Int] = [:]

        /// The claims `packClaims()` has packed: the first this many.
        private var packedClaims = 0

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

        /// Evaluates a page of registrations, keeping only those a rule claims. Each claim refers to its
        /// registration in `registrations`, so the page stays in memory until ``packClaims()`` or the plan
        /// is gone.
        public mutating func add(_ registrations: [Registration]) {
            let hasExclusion = !exclude.isEmpty
            listed += registrations.count
            // Copy the pieces the loop mutates out of `self`, so the closures below capture no `inout self`.
            var claims = self.claims
            var (claimsAreInOrder, lastClaimKey) = (self.claimsAreInOrder, self.lastClaimKey)
            var countedClaims = self.countedClaims
            var marks = self.marks
            var waitingForGrace = self.waitingForGrace
            self.claims = []
            defer {
                self.claims = claims
                (self.claimsAreInOrder, self.lastClaimKey) = (claimsAreInOrder, lastClaimKey)
                self.countedClaims = countedClaims
                self.marks = marks
                self.waitingForGrace = waitingForGrace
            }
            let (exclude, previousMarks, explainer) = (self.exclude, self.previousMarks, self.explainer)
            let (compiled, directory, now) = (explainer.rules, explainer.directory, explainer.now)

            var versions = VersionCache()

            // Through pointers, see `CompiledRule.selects`: this loop runs rules × registrations times.
            withUnsafePointer(to: exclude) { exclusion in
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
                                guard
                                    CompiledRule.selects(
                                        registration,
                                        by: rule,
                                        version: &version,
                                        versions: &versions,
                                        directory: directory
                                    )
                                else { continue }
                                if rule.pointee.hasExclusion,
                                    let ruleExclusion = rule.pointer(to: \.exclude),
                                    Exclusion.excludes(registration, by: ruleExclusion)
                                {
                                    continue
                                }
                                // Checked only once a rule selects: most registrations never get this far.
                                if hasExclusion && Exclusion.excludes(registration, by: exclusion) { break }

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
                                let key = registration.pointee.id.utf8PrefixKey
                                if claimsAreInOrder, let last = claims.indices.last {
                                    claimsAreInOrder =
                                        key > lastClaimKey
                                        || (key == lastClaimKey
                                            && claims[last].registrationID.utf8.lexicographicallyPrecedes(
                                                registration.pointee.id.utf8
                                            ))
                                }
                                lastClaimKey = key
                                if !rule.pointee.isDryRun { countedClaims += 1 }
                                claims.append(
                                    PlannedAction(
                                        rule: rule,
                                        ruleIndex: ruleIndex,
                                        of: explainer,
                                        listed: ListedRegistration(page: registrations, index: registrationIndex)
                                    )
                                )
                                break
                            }
                        }
                    }
                }
            }
        }

        /// Packs the registrations of the claims made since the last call (``PlannedAction/pack()``):
        /// what a listing of many pages calls after each, so that memory holds about 200 bytes per
        /// selected registration instead of the pages they were listed in. The plan is the same either way.
        public mutating func packClaims() {
            guard packedClaims < claims.count else { return }
            for index in packedClaims..<claims.count { claims[index].pack() }
            packedClaims = claims.count
        }

        /// Returns the plan for everything added: the claimed registrations sorted by ID, and the safety
        /// limits checked. Ends the evaluation.
        public consuming func plan() -> Plan {
            var actions = claims
            claims = []
            var counted = countedClaims
            if !claimsAreInOrder {
                actions = Self.sortedByID(actions)
                counted = actions.count { !$0.isDryRun }
            }
            return Plan(
                actions: actions,
                waitingForGrace: waitingForGrace,
                graceMarks: GraceMarks(firstSelected: marks),
                listed: listed,
                abort: limits.abort(count: counted, listed: listed)
            )
        }

        /// Sorts claims made in listing order by ID, keeping the first claim of each ID. Moves the claims
        /// instead of copying them when `claims` is the only reference to its storage.
        private static func sortedByID(_ claims: consuming [PlannedAction]) -> [PlannedAction] {
            // Sort small keys, never the claims themselves. The first eight bytes of the ID, as an integer,
            // settle nearly every comparison without touching the strings; the claim's index (its place in
            // the listing) breaks ties between duplicate IDs, so the order is total and deterministic.
            var claims = claims
            var order = claims.indices.map { SortKey(idPrefix: claims[$0].registrationID.utf8PrefixKey, claim: $0) }
            order.sort { left, right in
                if left.idPrefix != right.idPrefix { return left.idPrefix < right.idPrefix }
                let (leftID, rightID) = (claims[left.claim].registrationID, claims[right.claim].registrationID)
                if leftID != rightID { return leftID.utf8.lexicographicallyPrecedes(rightID.utf8) }
                return left.claim < right.claim
            }
            // Duplicate IDs are now adjacent, their first claim first: keep that one.
            var kept: [Int] = []
            kept.reserveCapacity(order.count)
            for position in order.indices {
                if position > 0, order[position].idPrefix == order[position - 1].idPrefix,
                    claims[order[position].claim].registrationID == claims[order[position - 1].claim].registrationID
                {
                    continue
                }
                kept.append(order[position].claim)
            }
            // Move the claims into slots, last first, then out of their slots in order.
            var slots: [PlannedAction?] = []
            slots.reserveCapacity(claims.count)
            while let claim = claims.popLast() { slots.append(claim) }
            var actions: [PlannedAction] = []
            actions.reserveCapacity(kept.count)
            for claim in kept {
                if let action = slots[slots.count - 1 - claim].take() { actions.append(action) }
            }
            return actions
        }
    }
}

/// A claim's place in the sort: small, so that sorting moves no registrations.
private struct SortKey {
    var idPrefix: UInt64
    var claim: Int
}

extension String {
    /// The first eight UTF-8 bytes as a big-endian integer, zero-padded.
    fileprivate var utf8PrefixKey: UInt64 {
        if let key = utf8.withContiguousStorageIfAvailable({ $0.prefixKey }) { return key }
        return Array(utf8.prefix(8)).withUnsafeBufferPointer { $0.prefixKey }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The first eight bytes as a big-endian integer, zero-padded.
    fileprivate var prefixKey: UInt64 {
        var key: UInt64 = 0
        for index in 0..<Swift.min(8, count) { key = key << 8 | UInt64(self[index]) }
        return count >= 8 ? key : key << (8 * UInt64(8 - count))
    }
}
