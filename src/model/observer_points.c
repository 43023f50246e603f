/*
 * observer_points.c - plot's chart points: a doubling array of cells a
 * minute per series, a table of columns a chart to find the series; see
 * observer_points.h.
 */
#include "observer_points.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

/* The series of (chart, series), added when new; NULL when out of memory. */
static struct pseries *series_of(struct points *p, uint32_t chart, uint32_t series)
{
    const uint32_t col = points_col(series);
    if (col < p->cols[chart] && p->col[chart][col])
        return &p->s[p->col[chart][col] - 1];
    if (col >= p->cols[chart]) {
        size_t cols = p->cols[chart];
        if (grow_array_zeroed(&p->col[chart], &cols, (size_t)col + 1, sizeof *p->col[chart]) < 0)
            return NULL;
        p->cols[chart] = cols;
    }
    if (grow_array(&p->s, &p->cap, p->n + 1, sizeof *p->s) < 0)
        return NULL;
    p->s[p->n] = (struct pseries){ .chart = chart, .series = series };
    p->col[chart][col] = (uint32_t)++p->n;
    return &p->s[p->n - 1];
}

/* The cell of minute in e, its range grown to reach it (fresh cells: no
 * point); NULL when out of memory. */
static struct pcell *cell_of(struct pseries *e, int64_t minute)
{
    if (minute >= e->first && (uint64_t)(minute - e->first) < e->len)
        return &e->cells[minute - e->first];
    if (e->len == 0)
        e->first = minute;
    /* the new range [lo, lo + len): before the first cell, or past the last */
    int64_t lo = minute < e->first ? minute : e->first;
    size_t shift = (size_t)(e->first - lo);
    size_t len = minute < e->first ? shift + e->len : (size_t)(minute - e->first) + 1;
    if (len > e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 16;
        while (cap < len)
            cap *= 2;
        struct pcell *cells = realloc(e->cells, cap * sizeof *cells);
        if (!cells)
            return NULL;
        e->cells = cells;
        e->cap = cap;
    }
    if (shift) {
        memmove(e->cells + shift, e->cells, e->len * sizeof *e->cells);
        memset(e->cells, 0, shift * sizeof *e->cells);
    }
    memset(e->cells + shift + e->len, 0, (len - shift - e->len) * sizeof *e->cells);
    e->first = lo;
    e->len = len;
    return &e->cells[minute - lo];
}

/* points_add's every case but a cell of a series met before. */
int points_add_slow(struct points *p, uint32_t chart, uint32_t series, int64_t ms, double v,
                    uint64_t n)
{
    struct pseries *e = series_of(p, chart, series);
    struct pcell *c = e ? cell_of(e, points_minute(ms)) : NULL;
    if (!c)
        return -1;
    points_put(p, c, series, v, n);
    return 0;
}

/* Bytes the points hold (obs_points_bytes). */
size_t points_bytes(const struct points *p)
{
    size_t n = p->cap * sizeof *p->s;
    for (size_t c = 0; c < OBS_CHART_COUNT; c++)
        n += p->cols[c] * sizeof *p->col[c];
    for (size_t i = 0; i < p->n; i++)
        n += p->s[i].cap * sizeof *p->s[i].cells;
    return n;
}

void points_free(struct points *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->s[i].cells);
    free(p->s);
    for (size_t c = 0; c < OBS_CHART_COUNT; c++)
        free(p->col[c]);
    *p = (struct points){ 0 };
}
