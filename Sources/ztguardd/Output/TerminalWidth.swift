#if canImport(Glibc)
import CMalloc
import Glibc
#endif

/// How wide the tables are: `$COLUMNS` when set, else the terminal's width when standard output is one,
/// else 80 (a pipe, a file, a CI log).
enum TerminalWidth {
    /// The width tables are laid out for, from 40 to 500 columns.
    static func current() -> Int {
        if let text = getenv("COLUMNS").map({ String(cString: $0) }), let columns = Int(text), columns > 0 {
            return clamped(columns)
        }
        #if canImport(Glibc)
        let columns = Int(ztg_terminal_columns(1))
        if isatty(1) == 1, columns > 0 { return clamped(columns) }
        #endif
        return 80
    }

    private static func clamped(_ columns: Int) -> Int { min(500, max(40, columns)) }
}
