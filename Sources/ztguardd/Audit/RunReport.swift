import FoundationEssentials
import Rules

/// One evaluation as ztguardd(8), RUN REPORTS, describes it (`plan --format json`) and keeps it (`runs/RUN_ID.json`).
struct RunReport: Decodable, Sendable, Equatable {
    /// One action of the run. While a run decides it, it keeps the planned action (the registration as
    /// the run packed it, the reason rendered once, here) rather than copies of the fields the report
    /// shows: a run holds one per selected registration until it is recorded. Each read of a field of a
    /// packed registration builds its string; code that reads several reads ``record`` once.
    ///
    /// Read from a saved report (`history`, `undo`), it keeps the fields the report recorded, as they are:
    /// a report is not a plan, and nothing is made up to look like one.
    struct Action: Decodable, Sendable, Equatable {
        enum Outcome: String, Decodable, Sendable {
            case planned, done, failed, skipped
            /// Not sent yet: the act step has still to send it. A run ends with none (``RunReport/Action/settle(aborted:)``),
            /// so no report or record says it.
            case pending
        }

        /// Why a skipped action was not carried out. Kept with the action, not in its reason: the
        /// journal's wording follows it. The report's JSON does not carry it.
        enum SkipCause: Sendable, Equatable {
            /// A safety limit aborted the run before anything was sent.
            case limit
            /// A graceful shutdown stopped the run before this action was sent.
            case shutdown
            /// The user the rule took for absent from Access was found there by a direct lookup.
            case presentInAccess
            /// `undo` left the registration as it is; the reason says why.
            case leftAlone
        }

        /// What the action is about: the planned action while a run decides and records it, or the
        /// fields a saved report recorded, as `history` and `undo` read them.
        private enum Source: Sendable {
            case planned(PlannedAction)
            case recorded(Record)
        }

        private var source: Source
        var outcome: Outcome
        /// Why a `failed` action failed.
        var error: String?
        /// Why a `skipped` action was skipped.
        var skipCause: SkipCause?

        /// Marks the action skipped for `cause`.
        mutating func skip(_ cause: SkipCause) {
            outcome = .skipped
            skipCause = cause
        }

        /// An action still pending when its run ends was not sent: skipped because a limit aborted the
        /// run, or else because a shutdown stopped it.
        mutating func settle(aborted: Bool) {
            if outcome == .pending { skip(aborted ? .limit : .shutdown) }
        }

        var rule: String {
            switch source {
            case .planned(let planned): planned.rule
            case .recorded(let record): record.rule
            }
        }
        var action: RuleAction {
            switch source {
            case .planned(let planned): planned.action
            case .recorded(let record): record.action
            }
        }
        var reason: String {
            switch source {
            case .planned(let planned): planned.reason
            case .recorded(let record): record.reason
            }
        }
        var registrationID: String {
            switch source {
            case .planned(let planned): planned.registrationID
            case .recorded(let record): record.registrationID
            }
        }
        var deviceName: String {
            switch source {
            case .planned(let planned): planned.deviceName
            case .recorded(let record): record.deviceName
            }
        }
        var userEmail: String? {
            switch source {
            case .planned(let planned): planned.userEmail
            case .recorded(let record): record.userEmail
            }
        }

        /// The fields the report and the journal show, each built once.
        struct Record: Equatable {
            var rule: String
            var action: RuleAction
            var registrationID: String
            var deviceID: String
            var deviceName: String
            var userEmail: String?
            var lastSeenAt: Date?
            var clientVersion: String?
            var reason: String
            var outcome: Outcome
            var error: String?
        }

        var record: Record {
            switch source {
            case .planned(let planned):
                let subject = planned.subject
                return Record(
                    rule: planned.rule, action: planned.action, registrationID: subject.registrationID,
                    deviceID: subject.deviceID, deviceName: subject.deviceName, userEmail: subject.userEmail,
                    lastSeenAt: subject.lastSeenAt, clientVersion: subject.clientVersion, reason: planned.reason,
                    outcome: outcome, error: error)
            case .recorded(var record):
                record.outcome = outcome
                record.error = error
                return record
            }
        }

        enum CodingKeys: String, CodingKey {
            case rule, action, reason, outcome, error
            case registrationID = "registration_id"
            case deviceID = "device_id"
            case deviceName = "device_name"
            case userEmail = "user_email"
            case lastSeenAt = "last_seen_at"
            case clientVersion = "client_version"
        }

        /// The reason is rendered here, once: the journal and the report's JSON both read it, and
        /// rendering it builds the whole registration again.
        init(_ planned: PlannedAction, outcome: Outcome) {
            var planned = planned
            planned.keepReasonText()
            source = .planned(planned)
            self.outcome = outcome
        }

        /// Actions are equal when what the report shows of them is.
        static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.record == rhs.record
        }

        /// An action as a saved report recorded it.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let record = Record(
                rule: try container.decode(String.self, forKey: .rule),
                action: try container.decode(RuleAction.self, forKey: .action),
                registrationID: try container.decode(String.self, forKey: .registrationID),
                deviceID: try container.decodeIfPresent(String.self, forKey: .deviceID) ?? "",
                deviceName: try container.decodeIfPresent(String.self, forKey: .deviceName) ?? "",
                userEmail: try container.decodeIfPresent(String.self, forKey: .userEmail),
                lastSeenAt: try container.decodeIfPresent(String.self, forKey: .lastSeenAt).flatMap(RFC3339.date(from:)),
                clientVersion: try container.decodeIfPresent(String.self, forKey: .clientVersion),
                reason: try container.decode(String.self, forKey: .reason),
                outcome: try container.decode(Outcome.self, forKey: .outcome),
                error: try container.decodeIfPresent(String.self, forKey: .error))
            source = .recorded(record)
            outcome = try container.decode(Outcome.self, forKey: .outcome)
            error = try container.decodeIfPresent(String.self, forKey: .error)
        }
    }

    /// Why a safety limit stopped the run.
    struct Abort: Codable, Sendable, Equatable {
        var limit: String
        var detail: String
    }

    var runID: String
    var startedAt: Date
    var dryRun: Bool
    var listed: Int
    var actions: [Action]
    var aborted: Abort?
    // Beyond the report's first fields: for history and the journal.
    var finishedAt: Date?
    /// Set when the run failed before acting (listing, token): nothing was acted on.
    var failure: String?
    var apiRequests: Int?
    var durationMS: Int?

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case startedAt = "started_at"
        case dryRun = "dry_run"
        case listed, actions, aborted, failure
        case finishedAt = "finished_at"
        case apiRequests = "api_requests"
        case durationMS = "duration_ms"
    }

    init(runID: String, startedAt: Date, dryRun: Bool, listed: Int, actions: [Action], aborted: Abort?) {
        self.runID = runID
        self.startedAt = startedAt
        self.dryRun = dryRun
        self.listed = listed
        self.actions = actions
        self.aborted = aborted
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        runID = try container.decode(String.self, forKey: .runID)
        guard let started = RFC3339.date(from: try container.decode(String.self, forKey: .startedAt)) else {
            throw DecodingError.dataCorruptedError(forKey: .startedAt, in: container, debugDescription: "not an RFC 3339 date")
        }
        startedAt = started
        dryRun = try container.decode(Bool.self, forKey: .dryRun)
        listed = try container.decode(Int.self, forKey: .listed)
        actions = try container.decode([Action].self, forKey: .actions)
        aborted = try container.decodeIfPresent(Abort.self, forKey: .aborted)
        finishedAt = try container.decodeIfPresent(String.self, forKey: .finishedAt).flatMap(RFC3339.date(from:))
        failure = try container.decodeIfPresent(String.self, forKey: .failure)
        apiRequests = try container.decodeIfPresent(Int.self, forKey: .apiRequests)
        durationMS = try container.decodeIfPresent(Int.self, forKey: .durationMS)
    }

    var selected: Int { actions.count }
    var doneCount: Int { actions.lazy.filter { $0.outcome == .done }.count }
    var failedCount: Int { actions.lazy.filter { $0.outcome == .failed }.count }
}

extension RunReport.Abort {
    init(_ abort: Plan.Abort) {
        self.init(limit: abort.limitName, detail: abort.detail)
    }
}
