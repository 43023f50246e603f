/*
 * bigmem.h - room for the core's big arrays (rings and tables of
 * megabytes): on transparent huge pages where the kernel has them, so that
 * their first touch costs a fault every 2 MiB, not every 4 KiB.
 */
#ifndef ESMSIM_BIGMEM_H
#define ESMSIM_BIGMEM_H

#include <stddef.h>

#define BIG_PAGE ((size_t)2 << 20)

/* Room for bytes, 64-byte aligned; from BIG_PAGE up, aligned to it and its
 * whole BIG_PAGEs asked for huge pages (a part of one at the end stays in
 * 4 KiB pages: a huge page is all in memory from its first touch).  Freed
 * with free(); NULL when out of memory. */
void *big_alloc(size_t bytes);

#endif
