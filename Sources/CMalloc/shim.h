#ifndef ZTGUARDD_CMALLOC_SHIM_H
#define ZTGUARDD_CMALLOC_SHIM_H
// glibc's process-level headers that Swift's Glibc module does not export, all part of glibc, so
// nothing more is linked:
// - <malloc.h>: malloc_trim(3) hands the memory a run freed back to the system before the daemon
//   idles; mallopt(3) sets the number of arenas;
// - <sys/prctl.h>, <sys/ioctl.h>: prctl(2) and ioctl(2) are variadic, which Swift cannot call; one
//   typed wrapper for each use.
#include <malloc.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

// PR_SET_DUMPABLE 0: no core dump of the process (it holds the API token), and other processes of
// the same user cannot ptrace it or read its /proc memory. Returns prctl's result (0 on success).
static inline int ztg_prctl_set_not_dumpable(void) {
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static inline int ztg_prctl_get_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}
// The width of the terminal on `fd` (TIOCGWINSZ), or 0 when `fd` is not a terminal or does not say.
static inline int ztg_terminal_columns(int fd) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0) return 0;
    return size.ws_col;
}
#endif
