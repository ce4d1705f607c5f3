import Cloudflare
import Glibc

/// Finds the API credentials in SPEC §4's order; the first that exists wins:
/// `$CREDENTIALS_DIRECTORY/cloudflare-api-token` (systemd `LoadCredential=`), `token_file`,
/// `$CLOUDFLARE_API_TOKEN`; legacy: `email` with `$CREDENTIALS_DIRECTORY/cloudflare-api-key`,
/// `key_file` or `$CLOUDFLARE_API_KEY`.
struct CredentialStore {
    var environment: [String: String]

    /// Loads the credentials `settings` point at.
    ///
    /// - Throws: ``InvalidConfiguration`` (exit 78) when none is found, a file cannot be read, or a
    ///   file is readable by group or others.
    func credentials(for settings: Configuration.Cloudflare, configPath: String) throws(InvalidConfiguration) -> Credentials {
        let directory = environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
        if let directory, let token = try secret(atPath: directory + "/cloudflare-api-token", key: "", configPath: configPath) {
            return .apiToken(token)
        }
        if let file = settings.tokenFile,
            let token = try secret(atPath: file, key: "cloudflare.token_file", configPath: configPath, mustExist: true)
        {
            return .apiToken(token)
        }
        if let token = environment["CLOUDFLARE_API_TOKEN"], !token.isEmpty {
            return .apiToken(token.trimmingWhitespace)
        }
        if let email = settings.email {
            if let directory, let key = try secret(atPath: directory + "/cloudflare-api-key", key: "", configPath: configPath) {
                return .globalKey(email: email, key: key)
            }
            if let file = settings.keyFile,
                let key = try secret(atPath: file, key: "cloudflare.key_file", configPath: configPath, mustExist: true)
            {
                return .globalKey(email: email, key: key)
            }
            if let key = environment["CLOUDFLARE_API_KEY"], !key.isEmpty {
                return .globalKey(email: email, key: key.trimmingWhitespace)
            }
        }
        throw InvalidConfiguration(path: configPath, issues: [
            .init(keyPath: "cloudflare", line: nil, message:
                "no API token found; install it as the systemd credential cloudflare-api-token "
                + "(LoadCredential=cloudflare-api-token:/etc/ztguardd/token), set token_file under [cloudflare], "
                + "or export CLOUDFLARE_API_TOKEN")
        ])
    }

    /// Reads a secret file, refusing one that group or others can read.
    private func secret(
        atPath path: String, key: String, configPath: String, mustExist: Bool = false
    ) throws(InvalidConfiguration) -> String? {
        func refuse(_ message: String) -> InvalidConfiguration {
            InvalidConfiguration(path: configPath, issues: [.init(keyPath: key, line: nil, message: message)])
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            if !mustExist, errno == ENOENT { return nil }
            throw refuse("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & (S_IRWXG | S_IRWXO) == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw refuse("\(path) is readable by group or others (mode \(mode)); run: chmod 600 \(path)")
        }
        guard let contents = FileContents.read(path) else {
            throw refuse("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let secret = String(decoding: contents, as: UTF8.self).trimmingWhitespace
        guard !secret.isEmpty else { throw refuse("\(path) is empty; write the API token into it") }
        return secret
    }
}

extension String {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
