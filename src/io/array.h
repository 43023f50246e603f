/*
 * array.h - room for one more element in a malloc'd array that doubles when
 * full: the lists the edge modules gather (import's origins and notes, the
 * metric data's series).
 */
#ifndef ESMSIM_ARRAY_H
#define ESMSIM_ARRAY_H

#include <stddef.h>

/* With n elements of size bytes in *items (room for *cap), make room for
 * n + 1: the array doubles (from 8) when full.  0, or -1 when out of memory
 * (*items unchanged). */
int array_grow(void **items, size_t *cap, size_t n, size_t size);

#endif
