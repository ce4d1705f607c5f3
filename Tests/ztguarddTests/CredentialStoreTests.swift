import Cloudflare
import Foundation
import Testing

@testable import ztguardd

/// A credential file is read only when it is plainly the administrator's secret: a regular file, theirs
/// or root's, private, small, one token; anything else is exit 78 with the reason, never the token.
@Suite struct CredentialStoreTests {
    static let token = "Zt0ken-abcdefghijklmnopqrstuvwxyz_0123456"

    /// A fresh directory holding `token` written as `contents` with `mode`.
    static func tokenFile(_ contents: String = token + "\n", mode: Int = 0o600) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-cred-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("token").path
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// The credentials `token_file = path` gives, or the message of the refusal.
    static func load(tokenFile path: String, environment: [String: String] = [:]) -> Result<String, InvalidConfiguration> {
        var settings = Configuration.Cloudflare(accountID: String(repeating: "a", count: 32))
        settings.tokenFile = path
        do {
            let credentials = try CredentialStore(environment: environment).credentials(for: settings, configPath: "c.toml")
            guard case .apiToken(let token) = credentials else { return .success("") }
            return .success(token)
        } catch {
            return .failure(error)
        }
    }

    static func refusal(_ result: Result<String, InvalidConfiguration>) -> String? {
        if case .failure(let error) = result { return "\(error)" }
        return nil
    }

    @Test("a private file of the process's user with one token is read, its final newline dropped")
    func privateFileIsRead() throws {
        #expect(try Self.load(tokenFile: Self.tokenFile()).get() == Self.token)
    }

    @Test("a token file with a second line is refused: the line would travel as a request header")
    func secondLineIsRefused() throws {
        let message = try #require(Self.refusal(Self.load(tokenFile: Self.tokenFile(Self.token + "\nX-Evil: 1\n"))))
        #expect(message.contains("more than one token"))
        #expect(!message.contains(Self.token))
    }

    @Test("a token in the environment with a control character is refused too")
    func environmentTokenIsChecked() throws {
        var settings = Configuration.Cloudflare(accountID: String(repeating: "a", count: 32))
        settings.tokenFile = nil
        #expect(throws: InvalidConfiguration.self) {
            try CredentialStore(environment: ["CLOUDFLARE_API_TOKEN": Self.token + "\r\nX-Evil: 1"])
                .credentials(for: settings, configPath: "c.toml")
        }
    }

    @Test("a symbolic link to a token file is refused, not followed")
    func symbolicLinkIsRefused() throws {
        let target = try Self.tokenFile()
        let link = target + ".link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(try #require(Self.refusal(Self.load(tokenFile: link))).contains("symbolic link"))
    }

    @Test("a FIFO as token file is refused at once instead of hanging start-up", .timeLimit(.minutes(1)))
    func fifoIsRefused() throws {
        let path = try Self.tokenFile() + ".fifo"
        try #require(mkfifo(path, 0o600) == 0)
        #expect(try #require(Self.refusal(Self.load(tokenFile: path))).contains("not a regular file"))
    }

    @Test("a file readable by group or others is refused")
    func exposedFileIsRefused() throws {
        #expect(try #require(Self.refusal(Self.load(tokenFile: Self.tokenFile(mode: 0o640)))).contains("chmod 600"))
    }

    @Test("a file larger than a token could be is refused")
    func largeFileIsRefused() throws {
        let big = String(repeating: "a", count: CredentialStore.maximumSecretSize + 1)
        #expect(try #require(Self.refusal(Self.load(tokenFile: Self.tokenFile(big)))).contains("bytes"))
    }

    @Test("a private file owned by another user than the process's and root is refused", .enabled(if: geteuid() == 0))
    func otherOwnerIsRefused() throws {
        let path = try Self.tokenFile()
        try #require(chown(path, 65534, 65534) == 0)
        #expect(try #require(Self.refusal(Self.load(tokenFile: path))).contains("belongs to uid 65534"))
    }
}
