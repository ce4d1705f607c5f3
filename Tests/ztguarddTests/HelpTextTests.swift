import ArgumentParser
import FoundationEssentials
import Testing

@testable import ztguardd

/// `--help` reads as prose at any width: the help wraps paragraphs itself, so a line break inside one
/// would break a sentence in the middle ("64 bad command line,\n77 token refused").
@Suite struct HelpTextTests {
    static let commands: [any ParsableCommand.Type] = [ZTGuardCommand.self] + ZTGuardCommand.configuration.subcommands

    @Test("no command's abstract or discussion breaks a line inside a paragraph")
    func paragraphsHaveNoHardBreaks() {
        for command in Self.commands {
            let configuration = command.configuration
            for text in [configuration.abstract, configuration.discussion] {
                for paragraph in text.components(separatedBy: "\n\n") {
                    #expect(!paragraph.contains("\n"), "\(configuration.commandName ?? "?"): \(paragraph)")
                }
            }
        }
    }

    @Test("help fits the width it is asked for", arguments: [80, 120])
    func helpFitsTheWidth(columns: Int) {
        for command in Self.commands {
            let help = ZTGuardCommand.helpMessage(for: command, columns: columns)
            // The usage line is the one ArgumentParser never wraps: it is a command, not prose.
            for line in help.split(separator: "\n") where !line.hasPrefix("USAGE:") {
                #expect(line.count <= columns, "\(line)")
            }
        }
    }

    @Test("a first argument that names no command is said to be one, with the list of commands", arguments: [
        (["frobnicate"], true), (["plann", "--format", "json"], true), (["plan"], false), (["check-config"], false),
        ([], false), (["--dry-run"], false), (["help", "plan"], false), (["--config", "x.toml", "run"], false),
    ])
    func unknownCommand(arguments: [String], refused: Bool) {
        let message = ZTGuardCommand.unknownCommandMessage(arguments)
        #expect((message != nil) == refused)
        if let message {
            #expect(message.contains("'\(arguments[0])' is not a command"))
            #expect(message.contains("run, plan, inventory, check-config, history, undo, demo"))
        }
    }
}
