import ArgumentParser
import Cloudflare
import FoundationEssentials
import Glibc
import Logging

/// What every command needs: the environment, the configuration, a logger and a client.
/// Errors become the exit statuses of ztguardd(8) here and nowhere else.
struct CommandContext {
    var environment: [String: String]
    var logger: Logger

    init(logger: Logger) {
        environment = ProcessInfo.processInfo.environment
        self.logger = logger
    }

    /// Reads and validates the configuration file at `path`.
    static func loadConfiguration(at path: String) throws(InvalidConfiguration) -> Configuration {
        guard let bytes = FileContents.read(path) else {
            let reason = String(cString: strerror(errno))
            throw InvalidConfiguration(path: path, issues: [
                .init(keyPath: "", line: nil, message: "cannot read the configuration file (\(reason)); create it "
                    + "from the example etc/ztguardd/ztguardd.toml, or pass --config PATH")
            ])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InvalidConfiguration(path: path, issues: [.init(keyPath: "", line: nil, message: "is not UTF-8 text")])
        }
        return try ConfigurationReader.read(text, path: path)
    }

    /// A client for the configured account over libcurl, with its own rate limiter.
    func makeClient(for configuration: Configuration) throws -> CloudflareClient {
        let credentials = try CredentialStore(environment: environment)
            .credentials(for: configuration.cloudflare, configPath: configuration.path)
        // The token stays in memory only; children (none today) must not inherit it.
        unsetenv("CLOUDFLARE_API_TOKEN")
        unsetenv("CLOUDFLARE_API_KEY")
        var options = CurlTransport.Options(userAgent: "ztguardd/\(ZTGuardCommand.version)")
        options.connections = 2
        let transport = try CurlTransport(options: options)
        return makeClient(for: configuration, credentials: credentials, transport: transport)
    }

    /// A client for the configured account over `transport`.
    func makeClient(for configuration: Configuration, credentials: Credentials, transport: any Transport) -> CloudflareClient {
        var settings = CloudflareClient.Configuration(
            apiBase: configuration.cloudflare.apiBase, accountID: configuration.cloudflare.accountID,
            credentials: credentials)
        settings.perPage = configuration.cloudflare.perPage
        let time = TimeSource.continuous
        return CloudflareClient(
            configuration: settings, transport: transport,
            limiter: RateLimiter(requestsPerMinute: configuration.pacing.requestsPerMinute, time: time),
            time: time, logger: logger)
    }

    /// The state directory: `$STATE_DIRECTORY` (systemd `StateDirectory=`) or the default.
    var stateDirectory: String {
        // systemd may pass several colon-separated directories; the first is ours.
        environment["STATE_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) }
            ?? StateStore.defaultDirectory
    }

    /// Runs `body`, turning its errors into a message on stderr and ztguardd(8)'s exit statuses.
    static func reportingErrors(_ body: () async throws -> Int32) async throws {
        let status: Int32
        do {
            status = try await body()
        } catch let error as InvalidConfiguration {
            printError("\(error)")
            status = 78
        } catch let error as CloudflareAPIError where error.isAuthenticationFailure {
            printError("authentication refused: \(error)")
            status = 77
        } catch let error as ExitCode {
            throw error
        } catch let error as CleanExit {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            printError("\(error)")
            status = 1
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Writes `ztguardd: message` on stderr; a message can quote the API, so it is made visible first.
    static func printError(_ message: String) {
        StandardStream.write("ztguardd: \(TerminalText.visible(message, keepingNewlines: true))\n".utf8, to: 2)
    }
}

/// Standard output, written through as it is produced (callers write a page or a table at a time).
enum StandardOutput {
    static func write(_ text: String) { StandardStream.write(text.utf8, to: 1) }

    static func write(_ bytes: some Collection<UInt8>) { StandardStream.write(bytes, to: 1) }

    /// Nothing is buffered; kept so callers state where output must be complete.
    static func flush() {}
}
