/*
 * grow.h - the one grow-by-doubling of the core's arrays (shard topology,
 * chart series, ...): room for need elements, the capacity doubled from 16.
 */
#ifndef ESMSIM_GROW_H
#define ESMSIM_GROW_H

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

#endif
