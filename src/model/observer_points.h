/*
 * observer_points.h - plot's chart points, summed as the run goes
 * (observer.h's obs_point rows; the charts of obs_chart): a series of cells
 * a minute per (chart, series).  Only the observer's files use it.
 */
#ifndef ESMSIM_OBSERVER_POINTS_H
#define ESMSIM_OBSERVER_POINTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * plot's points: (chart, series, minute) -> the max, or the sum and count,
 * of the values.  A series (a chart's shard, or one of PS_*) keeps a cell a
 * minute from its first minute to its last, in a doubling array: charts
 * have a point nearly every minute, so 24 bytes a point, where a hash of
 * the points took 4 to 8 times that and grew by 1 MiB a simulated hour for
 * 16 shards (issue 15).  A series is found by a small hash on (chart,
 * series), the slot of its hash in a cache of the ones added to lately
 * first (issue 15: an invocation adds to six series in turn, which missed
 * a cache of the last one and cost 109 instructions a point).
 */
#define POINTS_RECENT 64           /* slots of the cache of series (a power of 2) */

struct pcell {
    double max, sum;
    uint64_t n;                /* 0: no point in this minute */
};
struct pseries {
    uint32_t chart, series;
    int64_t first;             /* the minute of cells[0] */
    struct pcell *cells;       /* [0, len) initialised */
    size_t len, cap;
};
struct points {
    struct pseries *s;         /* in the order they came */
    size_t n, cap;
    uint32_t *index;           /* open addressing: 1 + a series' place in s, 0: empty */
    size_t index_cap;
    uint32_t recent[POINTS_RECENT];   /* 1 + the place in s of a series of that hash, 0: none */
    size_t n_points, n_means;  /* cells with a point; of them PS_MAX's (two rows each) */
};

enum { PS_ALL = UINT32_MAX - 8, PS_MAX, PS_MEAN, PS_WRITTEN, PS_DELIVERED, PS_SUCCEEDED, PS_MARK };

int points_add(struct points *p, uint32_t chart, uint32_t series, int64_t ms, double v,
               uint64_t n);
size_t points_bytes(const struct points *p);
void points_free(struct points *p);

#endif
