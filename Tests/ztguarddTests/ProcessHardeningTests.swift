import Testing

@testable import ztguardd

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ProcessHardeningTests {
    @Test("after start-up the process is not dumpable: a crash writes no core holding the token")
    func processIsNotDumpable() {
        // The daemon does this first thing in main; the test process gets the same treatment.
        #expect(ProcessHardening.apply())
        #expect(!ProcessHardening.isDumpable)
    }
}
