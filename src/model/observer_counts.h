/*
 * observer_counts.h - a multiset of integers with its nearest-rank
 * percentiles: the observer's IteratorAge values in ms (R14), per shard and
 * in all, whose percentiles are those of report's SQL.  Only the observer's
 * files use it: counts_age fills the observer's figure of them directly
 * (observer.h's struct obs_age), hence observer_counts.c's include of it.
 */
#ifndef ESMSIM_OBSERVER_COUNTS_H
#define ESMSIM_OBSERVER_COUNTS_H

#include <stddef.h>
#include <stdint.h>

struct obs_age;

/* A multiset of integers (IteratorAge in ms): value -> count, open
 * addressing; its size follows the distinct values, not the invocations. */
struct counts {
    int64_t *value;
    uint64_t *count;       /* 0: empty slot */
    size_t n, cap;
    uint64_t total;
};

/* One more v; -1 when out of memory. */
int counts_add(struct counts *c, int64_t v);
int counts_age(const struct counts *c, struct obs_age *out);
void counts_free(struct counts *c);

#endif
