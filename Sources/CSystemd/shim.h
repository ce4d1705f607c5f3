#ifndef ZTGUARDD_CSYSTEMD_SHIM_H
#define ZTGUARDD_CSYSTEMD_SHIM_H
// Only the non-variadic entry points are used (sd_journal_sendv, sd_notify), so no wrappers are needed.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>
#endif
