import ArgumentParser
import Cloudflare
import FoundationEssentials
import Logging
import Rules

/// `ztguardd check-config`: validates the configuration, like `nginx -t`.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print every problem.",
        discussion: "Exits 0 when the file is valid, 78 when it is not, 77 when --online finds the token refused.")

    @OptionGroup var options: ConfigOption

    @Flag(help: "Also verify the token, its expiry, and that the account's registrations can be listed.")
    var online = false

    func run() async throws {
        try await CommandContext.reportingErrors {
            let context = CommandContext(logger: Logger(label: "ztguardd") { _ in ConsoleLogHandler(level: .warning) })
            let path = options.path(environment: context.environment)
            let configuration = try CommandContext.loadConfiguration(at: path)
            // Credentials are part of a usable configuration: a missing or exposed token file is exit 78 too.
            let client = try context.makeClient(for: configuration)
            let rules = configuration.ruleSet.rules
            // Rule names are whatever the file's strings hold, escapes included.
            StandardOutput.write(TerminalText.visible("\(path): configuration OK (\(rules.count) rule\(rules.count == 1 ? "" : "s"): "
                + rules.map { "\($0.name) → \($0.action.rawValue)" }.joined(separator: ", ") + ")") + "\n")
            guard online else { return 0 }

            if let token = try await client.verifyToken() {
                var line = "token: \(token.status)"
                if let expiry = token.expiresOn {
                    let days = Int(expiry.timeIntervalSince(Date()) / 86_400)
                    line += ", expires \(RFC3339.string(from: expiry)) (in \(days) days)"
                    if days < 14 { line += " — WARNING: create a new token before it expires" }
                } else {
                    line += ", no expiry"
                }
                // The status is the API's word.
                StandardOutput.write(TerminalText.visible(line) + "\n")
            } else {
                StandardOutput.write("token: legacy global API key (not verifiable; prefer an API token)\n")
            }
            _ = try await client.probeRegistrations()
            StandardOutput.write("account \(configuration.cloudflare.accountID): registrations can be listed\n")
            if configuration.ruleSet.needsAccessUsers {
                try await client.probeAccessUsers()
                StandardOutput.write("access users: can be listed\n")
            }
            return 0
        }
    }
}
