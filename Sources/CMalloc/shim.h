#ifndef ZTGUARDD_CMALLOC_SHIM_H
#define ZTGUARDD_CMALLOC_SHIM_H
// glibc's <malloc.h>, which Swift's Glibc module does not export: malloc_trim(3) hands the memory a
// run freed back to the system before the daemon idles. Part of glibc, so nothing more is linked.
#include <malloc.h>
#endif
