import Rules
import Testing

struct DirectoryTests {
    @Test("finds Access users by email, ignoring ASCII case")
    func caseInsensitiveLookup() {
        let user = AccessUser(id: "a", email: "JDoe@Example.com", lastSuccessfulLogin: nil)
        let directory = Directory(accessUsers: [user])
        #expect(directory.user(withEmail: "jdoe@example.com") == user)
        #expect(directory.user(withEmail: "JDOE@EXAMPLE.COM") == user)
        #expect(directory.user(withEmail: "jdoe@example.co") == nil)
    }

    @Test("leaves out users without an email")
    func skipsUsersWithoutEmail() {
        let directory = Directory(accessUsers: [
            AccessUser(id: "a", email: nil), AccessUser(id: "b", email: ""),
            AccessUser(id: "c", email: "c@example.com"),
        ])
        #expect(directory.count == 1)
    }

    @Test("keeps the most recent login when two users share an email")
    func duplicatesKeepLatestLogin() {
        let older = AccessUser(id: "old", email: "jdoe@example.com", lastSuccessfulLogin: ago(300 * day))
        let newer = AccessUser(id: "new", email: "JDOE@example.com", lastSuccessfulLogin: ago(1 * day))
        let never = AccessUser(id: "never", email: "jdoe@example.com", lastSuccessfulLogin: nil)
        #expect(Directory(accessUsers: [older, newer, never]).user(withEmail: "jdoe@example.com")?.id == "new")
        #expect(Directory(accessUsers: [never, newer, older]).user(withEmail: "jdoe@example.com")?.id == "new")
    }
}
