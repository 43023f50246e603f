/*
 * observer_points.h - plot's chart points, summed as the run goes
 * (observer.h's obs_point rows; the charts of obs_chart): a series of cells
 * a minute per (chart, series).  Only the observer's files use it.
 */
#ifndef ESMSIM_OBSERVER_POINTS_H
#define ESMSIM_OBSERVER_POINTS_H

#include <stddef.h>
#include <stdint.h>

#include "observer.h"

/*
 * plot's points: (chart, series, minute) -> the max, or the sum and count,
 * of the values.  A series (a chart's shard, or one of PS_*) keeps a cell a
 * minute from its first minute to its last, in a doubling array: charts
 * have a point nearly every minute, so 24 bytes a point, where a hash of
 * the points took 4 to 8 times that and grew by 1 MiB a simulated hour for
 * 16 shards (issue 15).  A series is found by its column in its chart's
 * table (points_col): the charts are few and the series are PS_* or dense
 * shard numbers, so an add in a cell there is an index and a compare,
 * inline (issue 15: a hash of (chart, series) behind a cache of 64 slots
 * missed one add in four for the bench's 56 series, 92 instructions an add).
 */
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
    uint32_t *col[OBS_CHART_COUNT];    /* by points_col: 1 + a series' place in s, 0: none */
    size_t cols[OBS_CHART_COUNT];      /* col's entries, all initialised */
    size_t n_points, n_means;  /* cells with a point; of them PS_MAX's (two rows each) */
};

enum { PS_ALL = UINT32_MAX - 8, PS_MAX, PS_MEAN, PS_WRITTEN, PS_DELIVERED, PS_SUCCEEDED, PS_MARK };

/* A series' column in its chart's table: PS_* 0 to 6, shard s at s + 9
 * (the subtraction wraps). */
static inline uint32_t points_col(uint32_t series)
{
    return series - (uint32_t)PS_ALL;
}

/* The minute of ms, as SQLite's integer division truncates. */
static inline int64_t points_minute(int64_t ms)
{
    return ms / 60000;
}

/* Add n values v in cell c of series (a run of records of one
 * millisecond: one call, the sum as exact as n additions of 1, its values
 * being integers). */
static inline void points_put(struct points *p, struct pcell *c, uint32_t series, double v,
                              uint64_t n)
{
    if (!c->n) {
        *c = (struct pcell){ .max = v };
        p->n_points++;
        p->n_means += series == PS_MAX;
    }
    c->max = v > c->max ? v : c->max;
    c->sum += v * (double)n;
    c->n += n;
}

int points_add_slow(struct points *p, uint32_t chart, uint32_t series, int64_t ms, double v,
                    uint64_t n);

/* Add n values v at ms to (chart, series): chart an obs_chart, series a
 * shard's number or one of PS_*; -1 when out of memory. */
static inline int points_add(struct points *p, uint32_t chart, uint32_t series, int64_t ms,
                             double v, uint64_t n)
{
    const uint32_t col = points_col(series);
    const uint32_t at = col < p->cols[chart] ? p->col[chart][col] : 0;
    if (at) {
        struct pseries *e = &p->s[at - 1];
        const uint64_t i = (uint64_t)(points_minute(ms) - e->first);
        if (i < e->len) {
            points_put(p, &e->cells[i], series, v, n);
            return 0;
        }
    }
    return points_add_slow(p, chart, series, ms, v, n);
}

size_t points_bytes(const struct points *p);
void points_free(struct points *p);

#endif
