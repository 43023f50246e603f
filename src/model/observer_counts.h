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

/* Values below this are counted by value (struct counts' dense). */
#define COUNTS_DENSE_MAX 4096

/*
 * A multiset of integers (IteratorAge in ms).  The values in [0, dense_cap)
 * are counted in an array by value, which grows to the greatest one seen
 * below COUNTS_DENSE_MAX: ages cluster, so a count's line is mostly in the
 * cache, where the hash put each value on a line of its own, two lines
 * (value and count) a call that mostly missed (issue 15: 58 cpu-clock
 * samples of the observer's thread for its 47,800 calls in 5 minutes of
 * the bench).  The others: value -> count, open addressing; its size
 * follows their distinct values, not the invocations.
 */
struct counts {
    uint64_t *dense;       /* dense[v]: the count of v, for v in [0, dense_cap) */
    size_t dense_cap;
    int64_t *value;
    uint64_t *count;       /* 0: empty slot */
    size_t hashed, cap;    /* distinct values in the hash; its slots */
    size_t n;              /* distinct values in all */
    uint64_t total;
};

/* One more v; -1 when out of memory. */
int counts_add(struct counts *c, int64_t v);
int counts_age(const struct counts *c, struct obs_age *out);
void counts_free(struct counts *c);

#endif
