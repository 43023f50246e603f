/*
 * observer_inthash.h - the integer hash of the observer's small tables:
 * observer_counts.c's values, observer_points.c's series, observer_held.c's
 * messages written twice or more (open addressing, a power-of-2 table: its
 * low bits).
 */
#ifndef ESMSIM_OBSERVER_INTHASH_H
#define ESMSIM_OBSERVER_INTHASH_H

#include <stdint.h>

static inline uint64_t int_hash(uint64_t v)
{
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdULL;
    v ^= v >> 33;
    return v;
}

#endif
