/*
 * observer_counts.c - a multiset of integers (IteratorAge in ms, R14) and its
 * nearest-rank percentiles: see observer_counts.h.
 */
#include "observer_counts.h"

#include <stdlib.h>

#include "grow.h"
#include "observer_inthash.h"
#include "observer.h"   /* struct obs_age */

/* The dense counts grown to reach v (< COUNTS_DENSE_MAX), the new ones 0;
 * -1 when out of memory. */
static int dense_grow(struct counts *c, uint64_t v)
{
    return grow_array_zeroed(&c->dense, &c->dense_cap, v + 1, sizeof *c->dense);
}

/* One more v, counted in the hash. */
static int hashed_add(struct counts *c, int64_t v)
{
    if (2 * (c->hashed + 1) > c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        int64_t *value = malloc(cap * sizeof *value);
        uint64_t *count = calloc(cap, sizeof *count);
        if (!value || !count) {
            free(value);
            free(count);
            return -1;
        }
        for (size_t i = 0; i < c->cap; i++)
            if (c->count[i]) {
                size_t s = int_hash((uint64_t)c->value[i]) & (cap - 1);
                while (count[s])
                    s = (s + 1) & (cap - 1);
                value[s] = c->value[i];
                count[s] = c->count[i];
            }
        free(c->value);
        free(c->count);
        c->value = value;
        c->count = count;
        c->cap = cap;
    }
    size_t s = int_hash((uint64_t)v) & (c->cap - 1);
    while (c->count[s] && c->value[s] != v)
        s = (s + 1) & (c->cap - 1);
    if (!c->count[s]) {
        c->value[s] = v;
        c->hashed++;
        c->n++;
    }
    c->count[s]++;
    return 0;
}

int counts_add(struct counts *c, int64_t v)
{
    const uint64_t u = (uint64_t)v;   /* a negative v: past every dense count */
    if (u < c->dense_cap || (u < COUNTS_DENSE_MAX && dense_grow(c, u) == 0)) {
        c->n += !c->dense[u];
        c->dense[u]++;
    } else if (u < COUNTS_DENSE_MAX || hashed_add(c, v) < 0) {
        return -1;
    }
    c->total++;
    return 0;
}

static int cmp_pair(const void *a, const void *b)
{
    int64_t x = ((const int64_t *)a)[0], y = ((const int64_t *)b)[0];
    return (x > y) - (x < y);
}

/* Nearest-rank percentiles of c (the ceil(p * n / 100)-th smallest). */
int counts_age(const struct counts *c, struct obs_age *out)
{
    *out = (struct obs_age){ .count = c->total };
    if (!c->total)
        return 0;
    int64_t (*pairs)[2] = malloc(c->n * sizeof *pairs);
    if (!pairs)
        return -1;
    size_t k = 0;
    for (size_t v = 0; v < c->dense_cap; v++)
        if (c->dense[v]) {
            pairs[k][0] = (int64_t)v;
            pairs[k++][1] = (int64_t)c->dense[v];
        }
    for (size_t i = 0; i < c->cap; i++)
        if (c->count[i]) {
            pairs[k][0] = c->value[i];
            pairs[k++][1] = (int64_t)c->count[i];
        }
    qsort(pairs, k, sizeof *pairs, cmp_pair);
    const int pct[3] = { 50, 90, 99 };
    int64_t *dst[3] = { &out->p50, &out->p90, &out->p99 };
    for (int p = 0; p < 3; p++) {
        uint64_t rank = (pct[p] * c->total + 99) / 100, seen = 0;
        for (size_t i = 0; i < k; i++) {
            seen += (uint64_t)pairs[i][1];
            if (seen >= rank) {
                *dst[p] = pairs[i][0];
                break;
            }
        }
    }
    out->max = pairs[k - 1][0];
    free(pairs);
    return 0;
}

void counts_free(struct counts *c)
{
    free(c->dense);
    free(c->value);
    free(c->count);
}
