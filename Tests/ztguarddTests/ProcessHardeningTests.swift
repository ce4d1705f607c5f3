import Testing

@testable import ztguardd

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ProcessHardeningTests {
    // That the binary calls it first thing in main is shown on the binary itself, release build included:
    // ProcessHardeningIntegrationTests.crashLeavesNoCore crashes it with core dumps allowed.
    @Test("ProcessHardening.apply makes the calling process non-dumpable, as PR_GET_DUMPABLE reads it back")
    func applyMakesTheProcessNotDumpable() {
        #expect(ProcessHardening.apply())
        #expect(!ProcessHardening.isDumpable)
    }
}
