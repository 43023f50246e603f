/*
 * array.c - see array.h.
 */
#include <stdlib.h>

#include "array.h"

int array_grow(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : 8;
    void *g = realloc(*items, c * size);
    if (!g)
        return -1;
    *items = g;
    *cap = c;
    return 0;
}
