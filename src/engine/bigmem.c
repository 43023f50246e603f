/*
 * bigmem.c - room for the core's big arrays on huge pages (bigmem.h).  In
 * this project's VM a first touch costs about 0.35 ms a MiB in 4 KiB pages,
 * 0.02-0.05 ms in 2 MiB ones (Linux's transparent huge pages, which its
 * `madvise` mode gives only to the ranges that ask).
 */
#define _DEFAULT_SOURCE   /* madvise */
#include "bigmem.h"

#include <stdlib.h>

#include <sys/mman.h>

void *big_alloc(size_t bytes)
{
    /* posix_memalign: aligned_alloc wants a multiple of the alignment
     * (ASan holds it to that), the key table's 100,000 x 64 bytes is not */
    void *p;
    if (posix_memalign(&p, bytes < BIG_PAGE ? 64 : BIG_PAGE, bytes))
        return NULL;
#ifdef MADV_HUGEPAGE
    if (bytes >= BIG_PAGE)
        madvise(p, bytes & ~(BIG_PAGE - 1), MADV_HUGEPAGE);
#endif
    return p;
}
