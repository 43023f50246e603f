/*
 * observer_points.c - plot's chart points: a doubling array of cells a
 * minute per series, a small hash to find the series; see
 * observer_points.h.
 */
#include "observer_points.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "observer_inthash.h"

static uint64_t series_hash(uint32_t chart, uint32_t series)
{
    return int_hash((uint64_t)chart << 32 | series);
}

static size_t series_slot(const struct points *p, uint32_t chart, uint32_t series)
{
    return (size_t)(series_hash(chart, series) & (p->index_cap - 1));
}

/* The series of (chart, series), added when new; NULL when out of memory. */
static struct pseries *series_of(struct points *p, uint32_t chart, uint32_t series)
{
    if (2 * (p->n + 1) > p->index_cap) {
        size_t cap = p->index_cap ? 2 * p->index_cap : 64;
        uint32_t *index = calloc(cap, sizeof *index);
        if (!index)
            return NULL;
        free(p->index);
        p->index = index;
        p->index_cap = cap;
        for (size_t i = 0; i < p->n; i++) {
            size_t s = series_slot(p, p->s[i].chart, p->s[i].series);
            while (index[s])
                s = (s + 1) & (cap - 1);
            index[s] = (uint32_t)(i + 1);
        }
    }
    size_t s = series_slot(p, chart, series);
    for (; p->index[s]; s = (s + 1) & (p->index_cap - 1)) {
        struct pseries *e = &p->s[p->index[s] - 1];
        if (e->chart == chart && e->series == series)
            return e;
    }
    if (grow_array(&p->s, &p->cap, p->n + 1, sizeof *p->s) < 0)
        return NULL;
    p->s[p->n] = (struct pseries){ .chart = chart, .series = series };
    p->index[s] = (uint32_t)++p->n;
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

/* Add n values v at ms (a run of records of one millisecond: one call, the
 * sum as exact as n additions of 1, its values being integers). */
int points_add(struct points *p, uint32_t chart, uint32_t series, int64_t ms, double v,
               uint64_t n)
{
    uint32_t *recent = &p->recent[series_hash(chart, series) & (POINTS_RECENT - 1)];
    struct pseries *e = *recent ? &p->s[*recent - 1] : NULL;
    if ((!e || e->chart != chart || e->series != series) &&
        (e = series_of(p, chart, series)))
        *recent = (uint32_t)(e - p->s) + 1;
    /* the minute of ms, floored as SQLite's integer division does for ms >= 0 */
    struct pcell *c = e ? cell_of(e, ms >= 0 ? ms / 60000 : -((-ms) / 60000)) : NULL;
    if (!c)
        return -1;
    if (!c->n) {
        *c = (struct pcell){ .max = v };
        p->n_points++;
        p->n_means += series == PS_MAX;
    }
    c->max = v > c->max ? v : c->max;
    c->sum += v * (double)n;
    c->n += n;
    return 0;
}

/* Bytes the points hold (obs_points_bytes). */
size_t points_bytes(const struct points *p)
{
    size_t n = p->cap * sizeof *p->s + p->index_cap * sizeof *p->index;
    for (size_t i = 0; i < p->n; i++)
        n += p->s[i].cap * sizeof *p->s[i].cells;
    return n;
}

void points_free(struct points *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->s[i].cells);
    free(p->s);
    free(p->index);
    *p = (struct points){ 0 };
}
