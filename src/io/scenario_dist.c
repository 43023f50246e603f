/*
 * scenario_dist.c - a distribution of the scenario (SPEC section 2: a
 * function's durations and cold start, a failure's extra time, a producer's
 * record size) read into a struct dist: a constant (a plain number or
 * duration), uniform, normal, lognormal, gamma, exponential, or empirical
 * percentiles.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"

/* ---- distributions ----------------------------------------------------- */

/* A quantity: a duration (us) or a number of bytes; >= 0, or > 0 when positive. */
static int get_qty(struct ctx *c, const cJSON *obj, const char *key, bool req, enum qty q,
                   bool positive, double def, double *out)
{
    if (q == QTY_BYTES)
        return scni_get_number(c, obj, key, req, 0, positive, HUGE_VAL, def, out);
    int64_t us;
    if (scni_get_duration(c, obj, key, req, positive ? 1 : 0, MAX_DURATION_US, (int64_t)def, &us))
        return -1;
    *out = (double)us;
    return 0;
}

static const char *const DIST_NAMES[] = {
    "constant", "uniform", "normal", "lognormal", "gamma", "exponential", "empirical", NULL };
static const char *const DIST_CONSTANT_KEYS[] = { "distribution", "value", NULL };
static const char *const DIST_UNIFORM_KEYS[] = { "distribution", "min", "max", NULL };
static const char *const DIST_NORMAL_KEYS[] = { "distribution", "mean", "stddev", "min", NULL };
static const char *const DIST_LOGNORMAL_KEYS[] = { "distribution", "median", "sigma", NULL };
static const char *const DIST_GAMMA_KEYS[] = { "distribution", "shape", "scale", NULL };
static const char *const DIST_EXPONENTIAL_KEYS[] = { "distribution", "mean", NULL };
static const char *const DIST_EMPIRICAL_KEYS[] = { "distribution", "percentiles", NULL };
static const char *const DIST_ANY_KEYS[] = {
    "distribution", "value", "min", "max", "mean", "stddev", "median", "sigma", "shape", "scale",
    "percentiles", NULL };
static const char *const *const DIST_KEYS[] = {   /* by enum dist_kind */
    DIST_CONSTANT_KEYS, DIST_UNIFORM_KEYS, DIST_NORMAL_KEYS, DIST_LOGNORMAL_KEYS,
    DIST_GAMMA_KEYS, DIST_EXPONENTIAL_KEYS, DIST_EMPIRICAL_KEYS,
};

/* "p99.9" -> 99.9; false unless "p" then a number from 0 to 100, by its text:
 * p100.0000000000000001's fraction is below what a double of 100 holds. */
static bool percentile_name(const char *s, double *pct)
{
    const char *p = s + 1, *dot = strchr(s, '.');
    uint64_t whole;
    double frac;
    if (s[0] != 'p' || !scni_read_decimal(&p, 100, &whole, &frac) || *p ||
        (whole == 100 && dot && dot[1 + strspn(dot + 1, "0")]))
        return false;
    *pct = (double)whole + frac;
    return true;
}

/* A point of an empirical distribution as read: at is its place in the file. */
struct pct_point {
    double pct, val;
    size_t at;
    const char *key;
};

static int pct_point_cmp(const void *a, const void *b)
{
    const struct pct_point *x = a, *y = b;
    return x->pct != y->pct ? (x->pct > y->pct) - (x->pct < y->pct)
                            : (x->at > y->at) - (x->at < y->at);
}

/*
 * {"p0": v, "p50": v, ...}: at least 2 points, stored by percentile, values
 * not decreasing.  Read in one pass and sorted once: n log n, since a
 * scenario may give thousands of points (issue 11 item 17: sorting them as
 * they came was quadratic).
 */
static int parse_percentiles(struct ctx *c, const cJSON *pts, enum qty q, struct dist *d)
{
    size_t n = (size_t)cJSON_GetArraySize(pts);
    if (n < 2)
        return scni_fail(c, NULL, "expected at least 2 points such as \"p50\": ..., \"p99\": ...");
    d->pct = malloc(n * sizeof *d->pct);
    d->val = malloc(n * sizeof *d->val);
    struct pct_point *p = malloc(n * sizeof *p);
    if (!d->pct || !d->val || !p) {
        free(p);
        return scni_nomem(c);
    }
    const cJSON *k;
    size_t i = 0;
    int rc = 0;
    cJSON_ArrayForEach(k, pts) {
        double pct, val;
        if (!percentile_name(k->string, &pct)) {
            rc = scni_fail(c, k->string, "unknown key (expected a percentile \"pN\", N from 0 to 100, "
                           "such as \"p50\" or \"p99.9\")");
            break;
        }
        /* The getters look a key up from an object's first item: from k, k is
         * found at once (a walk over the points before it is what made this
         * loop quadratic too), and not an earlier point of the same key. */
        cJSON from = { .type = cJSON_Object, .child = (cJSON *)k };
        if ((rc = get_qty(c, &from, k->string, REQ, q, false, 0, &val)) != 0)
            break;
        p[i] = (struct pct_point){ pct, val, i, k->string };
        i++;
    }
    if (rc == 0) {
        qsort(p, n, sizeof *p, pct_point_cmp);
        /* a percentile given twice: named at its first repeat in the file */
        size_t dup = n;
        for (i = 1; i < n; i++)
            if (p[i].pct == p[i - 1].pct && (dup == n || p[i].at < p[dup].at))
                dup = i;
        if (dup < n)
            rc = scni_fail(c, p[dup].key, "percentile %g given twice", p[dup].pct);
    }
    for (i = 0; rc == 0 && i < n; i++) {
        d->pct[i] = p[i].pct;
        d->val[i] = p[i].val;
    }
    d->n_points = rc == 0 ? n : 0;
    free(p);
    if (rc != 0)
        return rc;
    for (i = 1; i < n; i++)
        if (d->val[i] < d->val[i - 1])
            return scni_fail(c, NULL, "expected values that do not decrease with the percentile "
                             "(p%g is below p%g)", d->pct[i], d->pct[i - 1]);
    return 0;
}

/*
 * A distribution object, or a plain number (a duration string for durations)
 * meaning a constant.  Values are in us (QTY_US) or bytes (QTY_BYTES).
 */
int scni_get_dist(struct ctx *c, const cJSON *obj, const char *key, bool req, enum qty q,
                  double def, struct dist *d)
{
    const char *what = q == QTY_US ? "a distribution object, or a duration meaning a constant"
                                   : "a distribution object, or a number of bytes meaning a constant";
    const cJSON *v;
    *d = (struct dist){ .kind = DIST_CONSTANT, .value = def };
    if (scni_lookup(c, obj, key, req, what, &v))
        return -1;
    if (!v)
        return 0;
    if (!cJSON_IsObject(v)) {
        if (!cJSON_IsNumber(v) && !(q == QTY_US && cJSON_IsString(v)))
            return scni_expected(c, key, what, v);
        return get_qty(c, obj, key, REQ, q, q == QTY_BYTES, def, &d->value);
    }
    size_t mark = scni_path_key(c, key);
    int kind = 0, rc = -1;
    /* a typo in "distribution" itself is reported as an unknown key, not as a missing one */
    if ((!scni_item(v, "distribution") && scni_check_keys(c, v, DIST_ANY_KEYS, NULL)) ||
        scni_get_enum(c, v, "distribution", REQ, DIST_NAMES, 0, &kind) ||
        scni_check_keys(c, v, DIST_KEYS[kind], NULL))
        goto out;
    d->kind = (enum dist_kind)kind;
    switch (d->kind) {
    case DIST_CONSTANT:
        rc = get_qty(c, v, "value", REQ, q, q == QTY_BYTES, 0, &d->value);
        break;
    case DIST_UNIFORM:
        rc = get_qty(c, v, "min", REQ, q, false, 0, &d->min) ||
             get_qty(c, v, "max", REQ, q, false, 0, &d->max) ||
             (d->max < d->min ? scni_fail(c, "max", "expected a value >= min") : 0);
        break;
    case DIST_NORMAL:
        rc = get_qty(c, v, "mean", REQ, q, false, 0, &d->mean) ||
             get_qty(c, v, "stddev", REQ, q, false, 0, &d->stddev) ||
             get_qty(c, v, "min", OPT, q, false, 0, &d->min);
        break;
    case DIST_LOGNORMAL:
        rc = get_qty(c, v, "median", REQ, q, true, 0, &d->median) ||
             scni_get_number(c, v, "sigma", REQ, 0, false, HUGE_VAL, 0, &d->sigma);
        break;
    case DIST_GAMMA:
        rc = scni_get_number(c, v, "shape", REQ, 0, true, HUGE_VAL, 0, &d->shape) ||
             get_qty(c, v, "scale", REQ, q, true, 0, &d->scale);
        break;
    case DIST_EXPONENTIAL:
        rc = get_qty(c, v, "mean", REQ, q, true, 0, &d->mean);
        break;
    case DIST_EMPIRICAL: {
        const cJSON *pts;
        if (scni_get_object(c, v, "percentiles", REQ, &pts))
            break;
        size_t m2 = scni_path_key(c, "percentiles");
        rc = parse_percentiles(c, pts, q, d);
        scni_path_pop(c, m2);
        break;
    }
    }
out:
    scni_path_pop(c, mark);
    return rc ? -1 : 0;
}

void scni_free_dist(struct dist *d)
{
    free(d->pct);
    free(d->val);
}
