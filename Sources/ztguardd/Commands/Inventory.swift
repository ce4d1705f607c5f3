import ArgumentParser
import Cloudflare
import Logging
import Rules

/// `ztguardd inventory`: lists the account's registrations, page by page.
struct Inventory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the account's registrations.",
        discussion: "Output is written page by page, so memory does not grow with the fleet.")

    @OptionGroup var options: ConfigOption

    @Option(help: "Which registrations: active, revoked or all.")
    var status: InventoryStatus = .active

    @Option(help: "Output format: table, json (as the API returns them) or csv.")
    var format: OutputFormat = .table

    func run() async throws {
        try await CommandContext.reportingErrors {
            let context = CommandContext(logger: Logger(label: "ztguardd") { _ in ConsoleLogHandler(level: .warning) })
            let configuration = try CommandContext.loadConfiguration(at: options.path(environment: context.environment))
            let client = try context.makeClient(for: configuration)
            var query = RegistrationQuery(status: status.filter)
            query.includePolicy = true
            try await InventoryPrinter(format: format).print(client: client, query: query)
            return 0
        }
    }
}

enum InventoryStatus: String, ExpressibleByArgument, CaseIterable {
    case active, revoked, all

    var filter: StatusFilter {
        switch self {
        case .active: .active
        case .revoked: .revoked
        case .all: .any
        }
    }
}

/// Prints registrations as they arrive, in one of the inventory formats.
struct InventoryPrinter {
    var format: OutputFormat

    static let columns = ["registration_id", "device_id", "device_name", "user_email", "last_seen_at", "client_version", "status", "profile"]

    func print(client: CloudflareClient, query: RegistrationQuery) async throws {
        var first = true
        switch format {
        case .json: StandardOutput.write("[")
        case .csv: StandardOutput.write(Self.columns.joined(separator: ",") + "\n")
        case .table: StandardOutput.write(Self.tableHeader)
        }
        let listed = try await client.forEachRegistrationPage(query) { page in
            switch format {
            case .json:
                // Each registration exactly as the API returned it.
                for range in RawJSON.resultElements(in: page.body) {
                    StandardOutput.write(first ? "\n" : ",\n")
                    StandardOutput.write(page.body[range])
                    first = false
                }
            case .csv:
                var text = ""
                for registration in page.registrations {
                    text += Self.fields(registration).map(TerminalText.csvField).joined(separator: ",") + "\n"
                }
                StandardOutput.write(text)
            case .table:
                var text = ""
                for registration in page.registrations { text += Self.tableRow(registration) }
                StandardOutput.write(text)
            }
            StandardOutput.flush()
        }
        switch format {
        case .json: StandardOutput.write(first ? "]\n" : "\n]\n")
        case .csv: break
        case .table:
            StandardOutput.write(listed == 0
                ? "\nNo \(query.status == .any ? "" : query.status.rawValue + " ")registrations in this account.\n"
                : "\n\(listed) registration\(listed == 1 ? "" : "s")\n")
        }
        StandardOutput.flush()
    }

    static func fields(_ registration: Registration) -> [String] {
        [
            registration.id, registration.deviceID, registration.deviceName, registration.userEmail ?? "",
            registration.lastSeenAt.map(RFC3339.string(from:)) ?? "", registration.clientVersion ?? "",
            registration.isRevoked ? "revoked" : "active", registration.profileName ?? "",
        ]
    }


    static let tableHeader = TextTable.row(["DEVICE", "USER", "LAST SEEN", "VERSION", "STATUS"], widths: tableWidths) + "\n"
    static let tableWidths = [22, 28, 10, 14, 7]

    static func tableRow(_ registration: Registration) -> String {
        TextTable.row([
            registration.deviceName, registration.userEmail ?? "-",
            registration.lastSeenAt.map { String(RFC3339.string(from: $0).prefix(10)) } ?? "-",
            registration.clientVersion ?? "-", registration.isRevoked ? "revoked" : "active",
        ], widths: tableWidths) + "\n"
    }
}

/// Fixed-width columns that fit 80 characters, each cell made visible (``TerminalText/visible(_:)``).
enum TextTable {
    /// Pads or cuts each cell to its width (a cut cell ends in "…"); the last cell is not padded.
    static func row(_ cells: [String], widths: [Int]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            let width = index < widths.count ? widths[index] : cell.count
            let isLast = index == cells.count - 1
            // Cells hold names from the network: a terminal shows them, it does not obey them.
            var text = TerminalText.visible(cell)
            if text.count > width { text = String(text.prefix(width - 1)) + "…" }
            line += isLast ? text : text + String(repeating: " ", count: width - text.count + 1)
        }
        return line
    }
}
