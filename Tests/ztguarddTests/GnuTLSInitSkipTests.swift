#if canImport(Glibc)
import Glibc
import Testing

@testable import ztguardd

@Suite struct GnuTLSInitSkipTests {
    /// GnuTLS's constructor looks `_gnutls_global_init_skip` up through the dynamic symbol table, where
    /// GnuTLS's own answer (0: initialise) is found unless the executable exports ours. The test binary is
    /// linked with ztguardd's linker settings, so it is the same lookup.
    @Test("the executable exports _gnutls_global_init_skip, answering 1, ahead of GnuTLS's own")
    func exported() throws {
        typealias Skip = @convention(c) () -> Int32
        let found = try #require(dlsym(nil, "_gnutls_global_init_skip"), "not in the dynamic symbol table")
        #expect(unsafeBitCast(found, to: Skip.self)() == 1)
    }
}
#endif
