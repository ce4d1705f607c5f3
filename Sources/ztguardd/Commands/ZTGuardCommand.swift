import ArgumentParser

/// `ztguardd`: keeps a Cloudflare Zero Trust account's WARP registrations in line with a rule set.
/// Started by ``Entry``.
struct ZTGuardCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "ztguardd",
        abstract: "Keeps a Cloudflare Zero Trust account's WARP device registrations clean and safe.",
        // One line per paragraph: the help wraps each to the terminal's width.
        discussion: """
            Configuration: /etc/ztguardd/ztguardd.toml (or --config, or $ZTGUARDD_CONFIG).

            Exit status: 0 success, 1 run failed, 3 a safety limit aborted the run, 64 bad command line, \
            77 token refused, 78 invalid configuration.

            Reference: man ztguardd, man ztguardd.toml.
            """,
        version: version,
        subcommands: [Run.self, PlanCommand.self, Inventory.self, CheckConfig.self, History.self, Undo.self, Demo.self],
        defaultSubcommand: Run.self
    )
}

/// `--config PATH`, accepted by every subcommand.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "path"))
    var config: String?

    /// The file to read: `--config`, else `$ZTGUARDD_CONFIG`, else the default.
    func path(environment: [String: String]) -> String {
        if let config { return config }
        if let fromEnvironment = environment["ZTGUARDD_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return Configuration.defaultPath
    }
}

/// Output formats.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}
