import Logging
import Rules

/// The events of the audit trail (ztguardd(8), AUDIT RECORDS), each with its fixed journal `MESSAGE_ID`,
/// explained in `systemd/ztguardd.catalog`.
enum AuditEvent: String, CaseIterable, Sendable {
    case runStarted = "run-started"
    case action
    case runFinished = "run-finished"
    case runFailed = "run-failed"
    case runAborted = "run-aborted"
    case configLoaded = "config-loaded"
    case configRejected = "config-rejected"
    case tokenExpiring = "token-expiring"

    /// Fixed ids made once with `systemd-id128 new`; never change one, catalogs and queries use them.
    var messageID: String {
        switch self {
        case .runStarted: "8d72ffd14b824424a9be1f3cb35a4fec"
        case .action: "8e016ace040a43e9a9acdf17254e556e"
        case .runFinished: "cc941b7ee4dc44849cc3678d7fe62c48"
        case .runFailed: "9195eb2c51564ebcb7dc542f9b5c559a"
        case .runAborted: "c14c6aee634141359a356a2ae5a6ffc2"
        case .configLoaded: "64421561901f4211b9d1ac5d811240bf"
        case .configRejected: "00f4a5bbe1214970a008d2881f13c31a"
        case .tokenExpiring: "ae8ce7b2527b4fafa137f9e547d9c186"
        }
    }

    /// The journal PRIORITY: 6 for summaries, 5 for actions, 4 for an aborted run or an expiring token,
    /// 3 for a failed run.
    var level: Logger.Level {
        switch self {
        case .runStarted, .runFinished, .configLoaded: .info
        case .action: .notice
        case .runAborted, .tokenExpiring, .configRejected: .warning
        case .runFailed: .error
        }
    }
}

/// Metadata keys of audit records, and the journal field each becomes.
enum AuditKey: String, CaseIterable, Sendable {
    case event = "event"
    case runID = "run.id"
    case dryRun = "run.dry_run"
    case rule = "rule.name"
    case action = "action.type"
    case outcome = "action.outcome"
    case reason = "action.reason"
    case registrationID = "registration.id"
    case deviceID = "registration.device_id"
    case deviceName = "registration.device_name"
    case userEmail = "registration.user_email"
    case lastSeen = "registration.last_seen"
    case clientVersion = "registration.client_version"
    case listed = "run.listed"
    case selected = "run.selected"
    case done = "run.done"
    case failed = "run.failed"
    case apiRequests = "run.api_requests"
    case durationMS = "run.duration_ms"
    case error = "error"
    case configPath = "config.path"
    case tokenExpiresOn = "token.expires_on"
    case listingSeenBefore = "run.listing_seen_before"
    case apiBase = "config.api_base"

    /// The journal field, as ztguardd(8) documents it; journald accepts only `[A-Z0-9_]`, not starting with `_`.
    var journalField: String {
        switch self {
        case .event: "ZTG_EVENT"
        case .runID: "ZTG_RUN_ID"
        case .dryRun: "ZTG_DRY_RUN"
        case .rule: "ZTG_RULE"
        case .action: "ZTG_ACTION"
        case .outcome: "ZTG_OUTCOME"
        case .reason: "ZTG_REASON"
        case .registrationID: "ZTG_REGISTRATION_ID"
        case .deviceID: "ZTG_DEVICE_ID"
        case .deviceName: "ZTG_DEVICE_NAME"
        case .userEmail: "ZTG_USER_EMAIL"
        case .lastSeen: "ZTG_LAST_SEEN"
        case .clientVersion: "ZTG_CLIENT_VERSION"
        case .listed: "ZTG_LISTED"
        case .selected: "ZTG_SELECTED"
        case .done: "ZTG_DONE"
        case .failed: "ZTG_FAILED"
        case .apiRequests: "ZTG_API_REQUESTS"
        case .durationMS: "ZTG_DURATION_MS"
        case .error: "ZTG_ERROR"
        case .configPath: "ZTG_CONFIG_PATH"
        case .tokenExpiresOn: "ZTG_TOKEN_EXPIRES_ON"
        case .listingSeenBefore: "ZTG_LISTING_SEEN_BEFORE"
        case .apiBase: "ZTG_API_BASE"
        }
    }

    /// The key's place among ``allCases``: its slot in ``AuditFields``.
    var slot: Int {
        switch self {
        case .event: 0
        case .runID: 1
        case .dryRun: 2
        case .rule: 3
        case .action: 4
        case .outcome: 5
        case .reason: 6
        case .registrationID: 7
        case .deviceID: 8
        case .deviceName: 9
        case .userEmail: 10
        case .lastSeen: 11
        case .clientVersion: 12
        case .listed: 13
        case .selected: 14
        case .done: 15
        case .failed: 16
        case .apiRequests: 17
        case .durationMS: 18
        case .error: 19
        case .configPath: 20
        case .tokenExpiresOn: 21
        case .listingSeenBefore: 22
        case .apiBase: 23
        }
    }

    /// How many keys there are.
    static let count = allCases.count

    /// Every audit key, and nil for `message_id`, in the order of their metadata keys: the order in
    /// which ``JournalFields`` writes the fields of a record.
    static let recordOrder: [AuditKey?] = (allCases.map { Optional($0) } + [nil]).sorted {
        ($0?.rawValue ?? "message_id") < ($1?.rawValue ?? "message_id")
    }

    private static let fieldsByKey: [String: String] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.rawValue, $0.journalField) })

    /// The journal field for any metadata key: audit keys by table, others upper-cased with
    /// every character outside `[A-Z0-9]` turned into `_` and prefixed `ZTG_`.
    static func journalField(for key: String) -> String {
        if let field = fieldsByKey[key] { return field }
        var field = "ZTG_"
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": field.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            case "A"..."Z", "0"..."9": field.unicodeScalars.append(scalar)
            default: field.append("_")
            }
        }
        return field
    }
}

/// The fields of one audit record: a slot for each ``AuditKey``, where a dictionary would hash every
/// key's string twice per record (once to store it, once to write it), and a run writes a record for
/// each of its thousands of actions.
struct AuditFields: ExpressibleByDictionaryLiteral, Sendable {
    private var values = [String?](repeating: nil, count: AuditKey.count)

    init() {}

    init(dictionaryLiteral elements: (AuditKey, String)...) {
        for (key, value) in elements { values[key.slot] = Self.bounded(value) }
    }

    /// The most a value may hold: a device name or an email is whatever someone typed, and each run
    /// journals it again. Longer values keep their first bytes and say how long they were.
    static let maximumValueSize = 1024

    subscript(key: AuditKey) -> String? {
        get { values[key.slot] }
        set { values[key.slot] = newValue.map(Self.bounded) }
    }

    /// `value`, or its first bytes (whole characters) and "… (N bytes)" when it is longer than
    /// ``maximumValueSize``. The journal keeps the exact bytes otherwise: it stores any, and
    /// `journalctl` escapes them on display.
    static func bounded(_ value: String) -> String {
        TerminalText.bounded(value, toUTF8Bytes: maximumValueSize)
    }

    /// The keys that have a value, with it, in the order of ``AuditKey/allCases``.
    var given: [(key: AuditKey, value: String)] {
        AuditKey.allCases.compactMap { key in values[key.slot].map { (key, $0) } }
    }
}

/// Writes audit records through the one `Logger`, whose handler sends them to the journal.
struct AuditLog: Sendable {
    var logger: Logger

    /// The logger `run` and `undo` record through: the journal when its socket can be written to
    /// (unless `ZTGUARDD_AUDIT=stderr`), else JSON lines on standard error, from `level` up.
    static func logger(level: Logger.Level) -> Logger {
        let writesJournal = JournalWriter.auditGoesToJournal
        return Logger(label: "ztguardd") { _ -> any LogHandler in
            if writesJournal {
                JournalLogHandler(writer: JournalWriter(destination: .systemJournal), level: level)
            } else {
                JSONLinesLogHandler(level: level)
            }
        }
    }

    /// Records `event` with `message` (what `journalctl` shows) and `fields`.
    func record(_ event: AuditEvent, _ message: Logger.Message, _ fields: AuditFields) {
        // Our own handlers take the record as journal fields, the same fields in the same order as
        // they would make of the metadata below (tested byte for byte): a run's thousands of action
        // records then skip building a dictionary of strings and sorting its keys. Metadata of the
        // handler's own, or a provider's (ours have none), would have to be merged: the Logger does that.
        if let handler = logger.handler as? any JournalFieldsHandler, handler.metadata.isEmpty,
            handler.metadataProvider == nil
        {
            guard event.level >= handler.logLevel else { return }
            handler.write(JournalFields.fields(message: message.description, event: event, audit: fields))
            return
        }
        let given = fields.given
        var metadata = Logger.Metadata(minimumCapacity: given.count + 2)
        metadata[AuditKey.event.rawValue] = .string(event.rawValue)
        metadata["message_id"] = .string(event.messageID)
        for (key, value) in given { metadata[key.rawValue] = .string(value) }
        logger.log(level: event.level, message, metadata: metadata)
    }
}

extension RunReport.Action {
    /// What `journalctl -t ztguardd` shows of the action's record (``RunReport/Action/Record/journalMessage(skipCause:)``).
    var journalMessage: Logger.Message { record.journalMessage(skipCause: skipCause) }
}

extension RunReport.Action.Record {
    /// What `journalctl -t ztguardd` shows of the action's record: what happened to which registration,
    /// and why. The outcome decides the words: a dry run's record must not read as if it had acted.
    ///
    /// - Parameter skipCause: why a skipped action was skipped. Not part of the record, which is what
    ///   the report shows.
    func journalMessage(skipCause: RunReport.Action.SkipCause?) -> Logger.Message {
        // Appended into one string rather than interpolated: every action of a run has one.
        var text = ""
        text.reserveCapacity(96 + registrationID.utf8.count + deviceName.utf8.count + (userEmail?.utf8.count ?? 0)
            + max(reason.utf8.count, error?.utf8.count ?? 0))
        func subject() {
            text += "registration "
            text += registrationID
            text += " ("
            text += deviceName.isEmpty ? "unnamed device" : deviceName
            if let userEmail {
                text += ", "
                text += userEmail
            }
            text += ")"
        }
        let verb = action.rawValue
        switch outcome {
        case .done:
            let done = action.pastTense
            text += done.prefix(1).uppercased()
            text += done.dropFirst()
            text += " "
            subject()
            text += ": "
            text += reason
        case .planned:
            text += "Would "
            text += verb
            text += " "
            subject()
            text += " (dry run): "
            text += reason
        case .skipped, .pending:
            text += "Did not "
            text += verb
            text += " "
            subject()
            switch skipCause {
            case .presentInAccess, .leftAlone:
                text += ": "
                text += reason
            case .limit, .shutdown, nil:
                text += ": a safety limit or a shutdown stopped the run first"
            }
        case .failed:
            text += "Could not "
            text += verb
            text += " "
            subject()
            text += ": "
            text += error ?? "the API refused it"
        }
        return Logger.Message(stringLiteral: text)
    }
}
