/*
 * import_metrics.c - CloudWatch metric data into a scenario, for `esmsim
 * import` (import_metrics.h, issue 14 item 1; metricdata.h reads the
 * files).
 *
 *   IncomingRecords Sum      a producer whose rate follows the series: each
 *                            period's records / the period's seconds, from
 *                            its start to the next (a piecewise-constant
 *                            rate series), the run starting at the first
 *                            datapoint (model.start_time) and lasting to the
 *                            end of the last period
 *   IncomingBytes Sum        the records' size: bytes / records over the day
 *   Duration Average, pNN    a lognormal per-invocation duration, fitted to
 *                            the statistics (each a mean over the periods,
 *                            weighted by Invocations)
 *   Errors, Invocations Sum  periods where every invocation failed become an
 *                            outage (a from/to failure rule); the others a
 *                            failure probability per record
 *   Throttles Sum            the reserved concurrency: where the function was
 *                            throttled, its concurrency was at its limit (the
 *                            highest ConcurrentExecutions), unless an input
 *                            gives it
 *   IteratorAge, ConcurrentExecutions   kept for esmsim compare
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_multifit_nlinear.h>

#include "awsjson.h"
#include "fmt.h"
#include "import_metrics.h"
#include "metricdata.h"

#define KEY_COUNT 10000          /* partition keys of the imported producer: a choice */
#define FIT_MAX_POINTS 32
#define MAX_PERIODS 1000000      /* the most pieces a producer's rate series may hold */

/* ---- the lognormal fit -------------------------------------------------------------- */

struct fit_data {
    const double *z;        /* the normal quantile of each percentile; NAN for the mean */
    const double *y;        /* ln of each statistic */
    size_t n;
};

/* Residuals: mu + sigma z - ln x for a percentile, mu + sigma^2/2 - ln m for the mean. */
static int fit_f(const gsl_vector *p, void *arg, gsl_vector *r)
{
    const struct fit_data *d = arg;
    double mu = gsl_vector_get(p, 0), sigma = gsl_vector_get(p, 1);
    for (size_t i = 0; i < d->n; i++)
        gsl_vector_set(r, i, (isnan(d->z[i]) ? mu + sigma * sigma / 2 : mu + sigma * d->z[i]) - d->y[i]);
    return GSL_SUCCESS;
}

static int fit_df(const gsl_vector *p, void *arg, gsl_matrix *j)
{
    const struct fit_data *d = arg;
    double sigma = gsl_vector_get(p, 1);
    for (size_t i = 0; i < d->n; i++) {
        gsl_matrix_set(j, i, 0, 1.0);
        gsl_matrix_set(j, i, 1, isnan(d->z[i]) ? sigma : d->z[i]);
    }
    return GSL_SUCCESS;
}

int imp_fit_lognormal(const double *pct, const double *x, size_t n, double *median,
                      double *sigma, double *worst, size_t *worst_i)
{
    double z[FIT_MAX_POINTS], y[FIT_MAX_POINTS], zp[FIT_MAX_POINTS], yp[FIT_MAX_POINTS];
    size_t np = 0, nm = 0;
    double ym = 0;
    if (n < 2 || n > FIT_MAX_POINTS)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0))
            return -1;
        y[i] = log(x[i]);
        z[i] = pct[i] < 0 ? NAN : gsl_cdf_ugaussian_Pinv(pct[i] / 100);
        if (pct[i] < 0) {
            nm++;
            ym = y[i];
        } else {
            zp[np] = z[i];
            yp[np++] = y[i];
        }
    }
    double mu, s;
    bool distinct = false;
    for (size_t i = 1; i < np; i++)
        distinct |= zp[i] != zp[0];
    if (np >= 2 && distinct) {
        /* Percentiles alone: ln x = mu + sigma z is a straight line, fitted by least squares. */
        double c0, c1, cov00, cov01, cov11, sumsq;
        gsl_fit_linear(zp, 1, yp, 1, np, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
        mu = c0;
        s = c1;
    } else if (np >= 1 && nm == 1) {
        /* One percentile and the mean: exact, ln m - ln x = sigma^2/2 - sigma z, the smaller
         * of its roots sigma > 0.  A mean below an upper percentile has two: the larger put
         * the median far below both (p99 200 ms, mean 100 ms: median 8 us, sigma 4.33). */
        double dz = zp[0], dd = ym - yp[0], disc = dz * dz + 2 * dd;
        s = disc > 0 ? (dz - sqrt(disc) > 0 ? dz - sqrt(disc) : dz + sqrt(disc)) : 0;
        mu = yp[0] - s * dz;
    } else {
        return -1;   /* the mean alone, or one percentile given twice */
    }
    if (nm && np >= 2) {
        /* The mean too: nonlinear least squares over all, from the line's fit. */
        struct fit_data d = { z, y, n };
        gsl_multifit_nlinear_fdf fdf = { .f = fit_f, .df = fit_df, .n = n, .p = 2, .params = &d };
        gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        gsl_multifit_nlinear_workspace *w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust,
                                                                        &params, n, 2);
        double start[2] = { mu, s > 0 ? s : 0.1 };
        gsl_vector_view x0 = gsl_vector_view_array(start, 2);
        int info = 0;
        if (w && gsl_multifit_nlinear_init(&x0.vector, &fdf, w) == GSL_SUCCESS) {
            gsl_multifit_nlinear_driver(200, 1e-12, 1e-12, 1e-12, NULL, NULL, &info, w);
            mu = gsl_vector_get(gsl_multifit_nlinear_position(w), 0);
            s = gsl_vector_get(gsl_multifit_nlinear_position(w), 1);
        }
        gsl_multifit_nlinear_free(w);
        gsl_set_error_handler(old);
    }
    s = fabs(s);   /* sigma and -sigma fit the mean alike; percentiles rise with sigma > 0 */
    if (!isfinite(mu) || !isfinite(s))
        return -1;
    *median = exp(mu);
    *sigma = s;
    *worst = 0;
    *worst_i = 0;
    for (size_t i = 0; i < n; i++) {
        double fitted = exp(isnan(z[i]) ? mu + s * s / 2 : mu + s * z[i]);
        double e = fabs(fitted - x[i]) / x[i];
        if (e > *worst) {
            *worst = e;
            *worst_i = i;
        }
    }
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------ */

/* A duration in seconds as the scenario writes it: "0s", "90m", "3600s" -> "1h", "1.5s". */
static void duration_text(double seconds, char *buf, size_t len)
{
    static const struct { double s; const char *unit; } U[] = { { 86400, "d" }, { 3600, "h" },
                                                                { 60, "m" }, { 1, "s" } };
    for (size_t i = 0; i < sizeof U / sizeof U[0]; i++)
        if (seconds >= U[i].s && fmod(seconds, U[i].s) == 0) {
            snprintf(buf, len, "%.0f%s", seconds / U[i].s, U[i].unit);
            return;
        }
    if (seconds == 0)
        snprintf(buf, len, "0s");
    else
        snprintf(buf, len, "%.6gs", seconds);
}

/* "Duration p99 of metrics.json (Id duration_p99)" */
static const char *series_words(const struct mdata_series *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s of %s %s (Id %s)", mdata_metric_name(s->metric), s->stat, s->file,
             s->where, s->id);
    return buf;
}

static double series_total(const struct mdata_series *s)
{
    double t = 0;
    for (size_t i = 0; s && i < s->n; i++)
        t += s->v[i];
    return t;
}

/* The periods of s's span without a datapoint (gaps). */
static size_t gaps(const struct mdata_series *s)
{
    if (!s->n || !s->period_ms)
        return 0;
    int64_t periods = (s->t_ms[s->n - 1] - s->t_ms[0]) / s->period_ms + 1;
    return (size_t)periods - s->n;
}

/* ---- traffic -------------------------------------------------------------------------- */

static int traffic(struct imp *im, const struct mdata_set *set)
{
    const struct mdata_series *rec = mdata_find(set, MD_INCOMING_RECORDS, "Sum");
    const struct mdata_series *bytes = mdata_find(set, MD_INCOMING_BYTES, "Sum");
    char words[600], at[32];
    if (!rec) {
        if (bytes && imp_unmapped(im, bytes->file, "IncomingBytes without IncomingRecords: no "
                                  "record size can be told", bytes->where) < 0)
            return -1;
        return imp_note(im, "no IncomingRecords (Sum) among the metric data: the scenario has no "
                        "producer; add one, or give the stream's IncomingRecords");
    }
    if (!rec->n)
        return imp_note(im, "%s: no datapoint: the scenario has no producer", series_words(rec, words,
                                                                                         sizeof words));
    double period_s = (double)rec->period_ms / 1000;
    int64_t periods = (rec->t_ms[rec->n - 1] - rec->t_ms[0]) / rec->period_ms + 1;
    if (periods > MAX_PERIODS)
        return imp_fail(im, "%s: %s: %lld periods of %.0f s from the first datapoint to the last: more "
                        "than %d, the most a rate series may hold", rec->file, rec->where,
                        (long long)periods, period_s, MAX_PERIODS);
    cJSON *series = cJSON_CreateArray();
    double last = -1;
    size_t pieces = 0;
    if (!series)
        return imp_nomem(im);
    if (rec->t_ms[0] > set->start_ms) {   /* before its first datapoint: nothing written */
        cJSON *pt = cJSON_CreateObject();
        cJSON_AddItemToArray(series, pt);
        cJSON_AddStringToObject(pt, "at", "0s");
        cJSON_AddNumberToObject(pt, "rate", 0);
        last = 0;
        pieces++;
    }
    for (int64_t t = rec->t_ms[0]; t <= rec->t_ms[rec->n - 1]; t += rec->period_ms) {
        double v;
        mdata_at(rec, t, &v);   /* a Sum: 0 where no datapoint */
        double rate = round(v / period_s * 1e4) / 1e4;   /* records a second, to 1e-4 */
        if (rate == last)
            continue;
        cJSON *pt = cJSON_CreateObject();
        cJSON_AddItemToArray(series, pt);
        duration_text((double)(t - set->start_ms) / 1000, at, sizeof at);
        cJSON_AddStringToObject(pt, "at", at);
        cJSON_AddNumberToObject(pt, "rate", rate);
        last = rate;
        pieces++;
    }
    if (rec->t_ms[rec->n - 1] + rec->period_ms < set->end_ms && last != 0) {   /* after its last */
        cJSON *pt = cJSON_CreateObject();
        cJSON_AddItemToArray(series, pt);
        duration_text((double)(rec->t_ms[rec->n - 1] + rec->period_ms - set->start_ms) / 1000, at,
                      sizeof at);
        cJSON_AddStringToObject(pt, "at", at);
        cJSON_AddNumberToObject(pt, "rate", 0);
    }
    double total = series_total(rec), total_bytes = series_total(bytes);
    double size = bytes && total > 0 ? round(total_bytes / total) : 0;
    cJSON *p = cJSON_CreateObject(), *rate = cJSON_CreateObject(), *keys = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "name", "traffic");
    cJSON_AddItemToObject(p, "rate", rate);
    cJSON_AddItemToObject(rate, "series", series);
    cJSON_AddItemToObject(p, "keys", keys);
    cJSON_AddNumberToObject(keys, "count", KEY_COUNT);
    if (size >= 1)
        cJSON_AddNumberToObject(p, "record_bytes", size);
    cJSON *list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, p);
    size_t g = gaps(rec);
    char start[32], keys_text[32];
    awsjson_iso_time(rec->t_ms[0], 0, start);
    if (imp_set_derived(im, "producers", list, "one producer") < 0 ||
        imp_set_derived_at(im, "producers[0].rate", NULL, rec->file, rec->where, "%s: %zu periods "
                           "of %.0f s from %s, each a rate of its records / %.0f s (%zu steps; %zu "
                           "periods without a datapoint, taken as periods without records)",
                           series_words(rec, words, sizeof words),
                           (size_t)((rec->t_ms[rec->n - 1] - rec->t_ms[0]) / rec->period_ms + 1),
                           period_s, start, period_s, pieces, g) < 0 ||
        imp_set_derived(im, "producers[0].keys", NULL, "a choice: CloudWatch has no partition keys, "
                        "so %s keys, drawn uniformly", fmt_count(KEY_COUNT, keys_text)) < 0)
        return -1;
    if (g) {
        if (imp_note(im, "%s: %zu periods without a datapoint within the series: taken as periods "
                     "without records (rate 0)", series_words(rec, words, sizeof words), g) < 0)
            return -1;
    }
    if (size >= 1) {
        char bw[600];
        if (imp_set_derived(im, "producers[0].record_bytes", NULL, "%s / the IncomingRecords: %.0f "
                            "bytes a record on average", series_words(bytes, bw, sizeof bw),
                            total_bytes / total) < 0)
            return -1;
    } else if (bytes ? imp_note(im, "%s / the IncomingRecords: under a byte a record: the records are "
                                "esmsim's default size", series_words(bytes, words, sizeof words)) < 0
                     : imp_note(im, "no IncomingBytes (Sum): the records are esmsim's default size") < 0) {
        return -1;
    }
    if (rec->partial && imp_note(im, "%s: its last page is PartialData: the data after it is "
                                 "missing (get-metric-data was run with --no-paginate or "
                                 "--max-items)", series_words(rec, words, sizeof words)) < 0)
        return -1;
    return 0;
}

/* ---- durations ------------------------------------------------------------------------- */

/* The mean of s over its periods, weighted by the invocations of each period. */
static double weighted_mean(const struct mdata_series *s, const struct mdata_series *inv)
{
    double sum = 0, w = 0;
    for (size_t i = 0; i < s->n; i++) {
        double k = 1;
        if (inv && (!mdata_at(inv, s->t_ms[i], &k) || k <= 0))
            k = 0;
        sum += k * s->v[i];
        w += k;
    }
    if (w == 0)   /* no invocation counts: every period alike */
        for (size_t i = 0; i < s->n; i++)
            sum += s->v[i], w += 1;
    return w > 0 ? sum / w : NAN;
}

/*
 * No period where a higher Duration percentile is below a lower one:
 * CloudWatch computes both from the same invocations, so such data
 * contradicts itself (and the fit would take |sigma| of a falling line).
 */
static int percentiles_rise(struct imp *im, const struct mdata_series *const *used, const double *pct,
                            size_t n)
{
    for (size_t lo = 0; lo < n; lo++) {
        for (size_t hi = 0; hi < n; hi++) {
            const struct mdata_series *h = used[hi], *l = used[lo];
            if (pct[lo] < 0 || pct[hi] <= pct[lo])
                continue;
            for (size_t i = 0; i < h->n; i++) {
                double v;
                char when[32], a[32], b[32];
                if (!mdata_at(l, h->t_ms[i], &v) || h->v[i] >= v)
                    continue;
                awsjson_iso_time(h->t_ms[i], 0, when);
                return imp_fail(im, "%s: %s (Duration %s): %s at %s is below the %s of Duration %s (%s %s) "
                                "for the same period: a higher percentile cannot be lower (the metric data "
                                "contradicts itself)", h->file, h->where, h->stat, fmt_number(h->v[i], a), when,
                                fmt_number(v, b), l->stat, l->file, l->where);
            }
        }
    }
    return 0;
}

static int durations(struct imp *im, const struct mdata_set *set)
{
    const struct mdata_series *inv = mdata_find(set, MD_INVOCATIONS, "Sum");
    const struct mdata_series *used[FIT_MAX_POINTS];
    double pct[FIT_MAX_POINTS], x[FIT_MAX_POINTS];
    size_t n = 0;
    char words[2400] = "", one[600];
    for (size_t i = 0; i < set->n && n < FIT_MAX_POINTS; i++) {
        const struct mdata_series *s = &set->s[i];
        if (s->metric != MD_DURATION)
            continue;
        bool mean = !strcmp(s->stat, "Average");
        if (!mean && s->pct < 0) {
            if (imp_unmapped(im, s->file, "a Duration statistic that is not a percentile or the "
                             "Average (an extreme): not used for the fit", s->where) < 0)
                return -1;
            continue;
        }
        double m = s->n ? weighted_mean(s, inv) : NAN;
        if (!(m > 0)) {
            if (imp_unmapped(im, s->file, "no positive datapoint", s->where) < 0)
                return -1;
            continue;
        }
        used[n] = s;
        pct[n] = mean ? -1 : s->pct;
        x[n++] = m;
        size_t len = strlen(words);
        snprintf(words + len, sizeof words - len, "%s%s %s", len ? ", " : "", s->stat,
                 s->where);
    }
    if (n == 0)
        return 0;
    if (percentiles_rise(im, used, pct, n) < 0)
        return -1;
    cJSON *dur = cJSON_CreateObject(), *inv_d = NULL;
    char median[64];
    if (!dur)
        return imp_nomem(im);
    double med, sigma, worst;
    size_t wi;
    if (n == 1 || imp_fit_lognormal(pct, x, n, &med, &sigma, &worst, &wi) < 0) {
        snprintf(median, sizeof median, "%.3fms", x[0]);
        inv_d = cJSON_CreateString(median);
        cJSON_AddItemToObject(dur, "per_invoke", inv_d);
        cJSON_AddStringToObject(dur, "per_record", "0ms");
        return imp_set_derived_at(im, "function.duration", dur, used[0]->file, used[0]->where,
                                  "%s: %s, so a constant %s per "
                               "invocation (per_record 0: CloudWatch gives durations per invocation)",
                               series_words(used[0], one, sizeof one),
                               n == 1 ? "the only Duration statistic, no spread to fit"
                                      : "no lognormal fits the Duration statistics", median);
    }
    snprintf(median, sizeof median, "%.3fms", med);
    inv_d = cJSON_CreateObject();
    cJSON_AddItemToObject(dur, "per_invoke", inv_d);
    cJSON_AddStringToObject(inv_d, "distribution", "lognormal");
    cJSON_AddStringToObject(inv_d, "median", median);
    cJSON_AddNumberToObject(inv_d, "sigma", round(sigma * 1e4) / 1e4);
    cJSON_AddStringToObject(dur, "per_record", "0ms");
    /* refused (a median past the longest duration), it is said at the first series fitted */
    return imp_set_derived_at(im, "function.duration", dur, used[0]->file, used[0]->where,
                              "a lognormal fitted by least squares to "
                           "Duration %s of %s (each the mean over its periods, weighted by "
                           "Invocations): median %s, sigma %.4f; the fitted statistics are within "
                           "%.2f %% of the observed (the largest error at %s); per_record 0, as "
                           "CloudWatch gives durations per invocation", words, used[0]->file, median,
                           sigma, 100 * worst, used[wi]->stat);
}

/* ---- failures --------------------------------------------------------------------------- */

static int failures(struct imp *im, const struct mdata_set *set)
{
    const struct mdata_series *err = mdata_find(set, MD_ERRORS, "Sum");
    const struct mdata_series *inv = mdata_find(set, MD_INVOCATIONS, "Sum");
    const struct mdata_series *rec = mdata_find(set, MD_INCOMING_RECORDS, "Sum");
    char w1[600], w2[600];
    if (!err)
        return 0;
    if (!inv)
        return imp_unmapped(im, err->file, "Errors without Invocations: no failure probability "
                            "can be told", err->where);
    /* an error is an invocation's outcome (unless Invocations lacks a page: its periods unknown) */
    for (size_t k = 0; k < err->n && !inv->partial; k++) {
        double i = 0;
        char when[32], a[32], b[32];
        mdata_at(inv, err->t_ms[k], &i);
        if (err->v[k] <= i)
            continue;
        awsjson_iso_time(err->t_ms[k], 0, when);
        return imp_fail(im, "%s: %s (Errors Sum): %s errors at %s, more than the %s invocations of the "
                        "period (Invocations Sum, %s %s): the metric data contradicts itself", err->file,
                        err->where, fmt_number(err->v[k], a), when, fmt_number(i, b), inv->file, inv->where);
    }
    cJSON *rules = cJSON_CreateArray();
    if (!rules)
        return imp_nomem(im);
    double e_rest = 0, i_rest = 0, outage_s = 0;
    size_t outages = 0;
    int64_t from = -1, to = -1;   /* the outage being gathered: [from, to) */
    for (size_t k = 0; k <= inv->n; k++) {
        double e = 0, i = k < inv->n ? inv->v[k] : 0;
        int64_t t = k < inv->n ? inv->t_ms[k] : -1;
        if (k < inv->n)
            mdata_at(err, t, &e);
        bool down = k < inv->n && i > 0 && e >= i;   /* every invocation of the period failed */
        if (down && from >= 0 && t == to) {
            to += inv->period_ms;
            continue;
        }
        if (from >= 0) {   /* the outage ends: a from/to rule */
            char a1[32], b1[32];
            duration_text((double)(from - set->start_ms) / 1000, a1, sizeof a1);
            duration_text((double)(to - set->start_ms) / 1000, b1, sizeof b1);
            cJSON *r = cJSON_CreateObject(), *m = cJSON_CreateObject();
            cJSON_AddItemToObject(r, "match", m);
            cJSON_AddStringToObject(m, "from", a1);
            cJSON_AddStringToObject(m, "to", b1);
            cJSON_AddItemToArray(rules, r);
            outages++;
            outage_s += (double)(to - from) / 1000;
            from = -1;
        }
        if (down) {
            from = t;
            to = t + inv->period_ms;
        } else {
            e_rest += e;
            i_rest += i;
        }
    }
    double records = series_total(rec), calls = series_total(inv);
    double per_call = rec && calls > 0 && records > calls ? records / calls : 1;
    double q = i_rest > 0 ? e_rest / i_rest : 0;
    double p = q >= 1 ? 1 : 1 - pow(1 - q, 1 / per_call);
    char pt[32];
    snprintf(pt, sizeof pt, "%.4g", p);
    if (p > 0) {
        cJSON *r = cJSON_CreateObject(), *m = cJSON_CreateObject();
        cJSON_AddItemToObject(r, "match", m);
        cJSON_AddNumberToObject(m, "probability", atof(pt));
        cJSON_AddItemToArray(rules, r);
    }
    if (!rules->child) {
        cJSON_Delete(rules);
        return imp_note(im, "%s: no errors: the function never fails in the scenario",
                        series_words(err, w1, sizeof w1));
    }
    return imp_set_derived(im, "function.failures", rules, "%s and %s: outages (periods where every "
                           "invocation failed, each a from/to rule): %zu, %.0f s in all; elsewhere "
                           "%.0f errors in %.0f invocations (%.4g %%), with %.1f records an "
                           "invocation%s, a chance of %s that a record fails (1 - (1 - errors / "
                           "invocations)^(1 / records an invocation))",
                           series_words(err, w1, sizeof w1), series_words(inv, w2, sizeof w2),
                           outages, outage_s, e_rest, i_rest, 100 * q, per_call,
                           rec ? " (IncomingRecords / Invocations)" : " (taken as 1: no IncomingRecords)",
                           pt);
}

/* ---- throttles --------------------------------------------------------------------------- */

static int throttles(struct imp *im, const struct mdata_set *set)
{
    const struct mdata_series *thr = mdata_find(set, MD_THROTTLES, "Sum");
    const struct mdata_series *conc = mdata_find(set, MD_CONCURRENT_EXECUTIONS, "Maximum");
    char w1[600], w2[600];
    double total = series_total(thr);
    if (!thr || total <= 0)
        return 0;
    const cJSON *given = imp_get(im, "function.reserved_concurrency");
    if (given)
        return imp_note(im, "%s: %.0f throttled invocations: the reserved concurrency the inputs "
                        "give is kept", series_words(thr, w1, sizeof w1), total);
    double top = 0;
    for (size_t i = 0; conc && i < conc->n; i++)
        top = conc->v[i] > top ? conc->v[i] : top;
    if (top < 1)
        return imp_note(im, "%s: %.0f throttled invocations: the function's concurrency was limited, "
                        "but nothing says at what (give get-function-concurrency, or "
                        "ConcurrentExecutions Maximum)", series_words(thr, w1, sizeof w1), total);
    return imp_set_derived(im, "function.reserved_concurrency", cJSON_CreateNumber(top),
                           "%s: %.0f throttled invocations, so the function ran at its limit: the "
                           "highest %s, %.0f", series_words(thr, w1, sizeof w1), total,
                           series_words(conc, w2, sizeof w2), top);
}

/* ---- all of it ------------------------------------------------------------------------- */

int imp_metrics_read(struct imp *im, const struct mdata_set *set)
{
    char words[600], why[200], stat_why[MDATA_WHY_LEN];
    for (size_t i = 0; i < set->n_unknown; i++) {
        const struct mdata_unknown *u = &set->unknown[i];
        char where[1200];
        snprintf(where, sizeof where, "%s (Id %s, Label \"%s\")", u->where, u->id, u->label);
        const char *unread = mdata_unread_stat(u, stat_why);
        if (imp_unmapped(im, u->file, unread ? unread : "not a metric esmsim reads: its Label or Id "
                         "should name IncomingRecords, IncomingBytes, Duration, Errors, Invocations, "
                         "Throttles, IteratorAge or ConcurrentExecutions, then the statistic", where) < 0)
            return -1;
    }
    for (size_t i = 0; i < set->n_messages; i++)
        if (imp_note(im, "CloudWatch says: %s", set->messages[i]) < 0)
            return -1;
    for (size_t i = 0; i < set->n; i++) {
        const struct mdata_series *s = &set->s[i];
        bool count = s->metric == MD_INCOMING_RECORDS || s->metric == MD_INCOMING_BYTES ||
                     s->metric == MD_ERRORS || s->metric == MD_INVOCATIONS ||
                     s->metric == MD_THROTTLES;
        const struct mdata_series *thr = mdata_find(set, MD_THROTTLES, "Sum");
        bool hint = s->metric == MD_CONCURRENT_EXECUTIONS && !strcmp(s->stat, "Maximum") &&
                    series_total(thr) > 0;   /* read by throttles() */
        if (s->metric == MD_ITERATOR_AGE || (s->metric == MD_CONCURRENT_EXECUTIONS && !hint)) {
            if (imp_unmapped(im, s->file, "kept for esmsim compare", s->where) < 0)
                return -1;
        } else if (count && strcmp(s->stat, "Sum")) {
            snprintf(why, sizeof why, "%s is read as its Sum, not its %s", mdata_metric_name(s->metric),
                     s->stat);
            if (imp_unmapped(im, s->file, why, s->where) < 0)
                return -1;
        } else if (s->partial && s->metric != MD_INCOMING_RECORDS &&
                   imp_note(im, "%s: its last page is PartialData: the data after it is missing",
                            series_words(s, words, sizeof words)) < 0) {
            return -1;
        }
    }
    if (set->end_ms <= set->start_ms)
        return imp_note(im, "the metric data holds no datapoint of a metric esmsim reads: nothing taken "
                        "from it");
    /* the series that start and end the span: a span the loader refuses is said at them */
    const struct mdata_series *first = NULL, *last = NULL;
    for (size_t i = 0; i < set->n; i++) {
        const struct mdata_series *s = &set->s[i];
        if (s->n && (!first || s->t_ms[0] < first->t_ms[0]))
            first = s;
        if (s->n && (!last || s->t_ms[s->n - 1] + s->period_ms >
                                  last->t_ms[last->n - 1] + last->period_ms))
            last = s;
    }
    char start[32], span[32];
    awsjson_iso_time(set->start_ms, 0, start);
    duration_text((double)(set->end_ms - set->start_ms) / 1000, span, sizeof span);
    if (imp_set_derived_at(im, "model.start_time", cJSON_CreateString(start), first->file,
                           first->where, "the first datapoint of the metric data: CloudWatch's time = "
                           "model.start_time + the run's time") < 0 ||
        imp_set_derived_at(im, "duration", cJSON_CreateString(span), last->file, last->where,
                           "the metric data's span, to the end of its last period") < 0)
        return -1;
    return traffic(im, set) || durations(im, set) || failures(im, set) || throttles(im, set) ? -1 : 0;
}
