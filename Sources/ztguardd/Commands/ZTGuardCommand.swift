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

extension ZTGuardCommand {
    /// What to say when the first argument names no command (`ztguardd frobnicate`), or nil.
    ///
    /// `run` is the default subcommand, so ArgumentParser would answer "Unexpected argument
    /// 'frobnicate'" with run's usage. As git and systemctl do, say it is not a command and list the
    /// commands; `ztguardd` alone, or with options only, still runs the daemon.
    static func unknownCommandMessage(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.compactMap { $0.configuration.commandName ?? Self.defaultName(of: $0) }
        guard !names.contains(first), first != "help" else { return nil }
        return "ztguardd: '\(TerminalText.visible(first))' is not a command. The commands are: "
            + names.joined(separator: ", ") + ". See 'ztguardd --help'."
    }

    /// ArgumentParser's name for a command type without an explicit one: its type name, lower-cased
    /// with dashes ("CheckConfig" → "check-config").
    private static func defaultName(of command: any ParsableCommand.Type) -> String {
        var name = ""
        for character in String(describing: command) {
            if character.isUppercase, !name.isEmpty { name += "-" }
            name += character.lowercased()
        }
        return name
    }
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
