/*
 * grow.h - the one grow-by-doubling of the core's arrays (shard topology,
 * chart series, ...): room for need elements, the capacity doubled from 16;
 * and the one doubling of a ring addressed by index & (cap - 1) in place.
 */
#ifndef ESMSIM_GROW_H
#define ESMSIM_GROW_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Room for need elements of size in the array *arr points to (arr is the
 * address of a `T *`; capacity *cap, doubled); -1 when out of memory, the
 * array and *cap untouched. */
static inline int grow_array(void *arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *old, *p;
    memcpy(&old, arr, sizeof old);   /* arr points to a `T *`: no type punning */
    if (!(p = realloc(old, n * size)))
        return -1;
    memcpy(arr, &p, sizeof p);
    *cap = n;
    return 0;
}

/* grow_array, the new elements' bytes zeroed (counts, indexes: 0 is none). */
static inline int grow_array_zeroed(void *arr, size_t *cap, size_t need, size_t size)
{
    size_t old = *cap;
    if (grow_array(arr, cap, need, size) < 0)
        return -1;
    char *a;
    memcpy(&a, arr, sizeof a);
    memset(a + old * size, 0, (*cap - old) * size);
    return 0;
}

/* The ring at ring (cap elements of size, cap a power of two, the indexes
 * [begin, end) at index & (cap - 1), end - begin <= cap) doubled in place,
 * its room holding 2 * cap elements: each index keeps index & (2 * cap - 1).
 * Those with bit cap set move up by cap; they are one run (a window of at
 * most cap indexes meets one of the runs with that bit, cap long and cap
 * apart), so one copy, and no other page of the room is touched. */
static inline void ring_double(void *ring, size_t size, uint64_t cap, uint64_t begin, uint64_t end)
{
    uint64_t set = begin & cap ? begin & ~(cap - 1) : (begin & ~(2 * cap - 1)) + cap;
    uint64_t lo = begin > set ? begin : set, hi = end < set + cap ? end : set + cap;
    if (lo < hi)
        memcpy((char *)ring + (lo - set + cap) * size, (char *)ring + (lo - set) * size,
               (hi - lo) * size);
}

#endif
