/*
 * metricdata.c - CloudWatch get-metric-data output: see metricdata.h.
 *
 * Pages of one Id are joined by time; a time given twice must carry the
 * same value (the same datapoint seen twice), else the file contradicts
 * itself.  The period of a series is the smallest step between its
 * datapoints: CloudWatch returns one datapoint per period with data, so
 * every step is a whole number of periods, and a gap is a missing multiple.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "array.h"
#include "awsjson.h"
#include "errmsg.h"
#include "fmt.h"
#include "metricdata.h"
#include "scenario.h"

static const char *const METRIC_NAMES[MD_METRIC_COUNT] = {
    [MD_INCOMING_RECORDS] = "IncomingRecords", [MD_INCOMING_BYTES] = "IncomingBytes",
    [MD_DURATION] = "Duration", [MD_ERRORS] = "Errors", [MD_INVOCATIONS] = "Invocations",
    [MD_THROTTLES] = "Throttles", [MD_ITERATOR_AGE] = "IteratorAge",
    [MD_CONCURRENT_EXECUTIONS] = "ConcurrentExecutions",
};

/* The statistic a result means when its Label and Id name none: how the
 * CloudWatch console shows each metric by default. */
static const char *const DEFAULT_STAT[MD_METRIC_COUNT] = {
    [MD_INCOMING_RECORDS] = "Sum", [MD_INCOMING_BYTES] = "Sum", [MD_DURATION] = "Average",
    [MD_ERRORS] = "Sum", [MD_INVOCATIONS] = "Sum", [MD_THROTTLES] = "Sum",
    [MD_ITERATOR_AGE] = "Maximum", [MD_CONCURRENT_EXECUTIONS] = "Maximum",
};

const char *mdata_metric_name(enum mdata_metric m)
{
    return m < MD_METRIC_COUNT ? METRIC_NAMES[m] : "?";
}

bool mdata_is(const cJSON *root)
{
    return cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "MetricDataResults");
}

/* ---- which metric a Label or Id names ----------------------------------- */

static const struct {
    const char *word;    /* normalised: lower case letters, digits */
    const char *stat;
} STAT_WORDS[] = {
    { "sum", "Sum" }, { "average", "Average" }, { "avg", "Average" }, { "mean", "Average" },
    { "maximum", "Maximum" }, { "max", "Maximum" }, { "minimum", "Minimum" }, { "min", "Minimum" },
    { "samplecount", "SampleCount" },
};

/* "p99", "p99.9", "p50": a percentile strictly between 0 and 100 in stat, in
 * CloudWatch's form, the pattern of its API's ExtendedStatistic,
 * p(\d{1,2}(\.\d{0,2})?|100): read by its text, in hundredths (strtod took
 * "p1e1" for p10 and "p0x1A" for p26). */
static bool percentile_word(const char *w, char stat[16], double *pct)
{
    if (w[0] != 'p')
        return false;
    size_t whole = strspn(w + 1, "0123456789"), frac = 0;
    const char *dot = w + 1 + whole;
    if (*dot == '.')
        frac = strspn(dot + 1, "0123456789");
    if (whole < 1 || whole > 2 || frac > 2 || dot[*dot == '.' ? 1 + frac : 0])
        return false;
    int hundredths = 0;
    for (size_t i = 0; i < whole; i++)
        hundredths = hundredths * 10 + (w[1 + i] - '0');
    for (size_t i = 0; i < 2; i++)
        hundredths = hundredths * 10 + (i < frac ? dot[1 + i] - '0' : 0);
    if (hundredths == 0)   /* p0: the Minimum */
        return false;
    snprintf(stat, 16, "%s", w);
    if (pct)
        *pct = hundredths / 100.0;
    return true;
}

static bool stat_word(const char *w, char stat[16], double *pct)
{
    if (pct)
        *pct = -1;
    for (size_t i = 0; i < sizeof STAT_WORDS / sizeof STAT_WORDS[0]; i++)
        if (!strcmp(w, STAT_WORDS[i].word)) {
            snprintf(stat, 16, "%s", STAT_WORDS[i].stat);
            return true;
        }
    return percentile_word(w, stat, pct);
}

/* The metric text starts with (its name in lower case, letters and digits
 * only), and in word what follows it: false when it names none. */
static bool metric_and_word(const char *text, enum mdata_metric *metric, char word[128])
{
    size_t n = 0;
    for (const char *p = text ? text : ""; *p && n + 1 < 128; p++)
        if (isalnum((unsigned char)*p) || *p == '.')
            word[n++] = (char)tolower((unsigned char)*p);
    word[n] = '\0';
    for (int m = 0; m < MD_METRIC_COUNT; m++) {
        char name[32];
        size_t k = 0;
        for (const char *p = METRIC_NAMES[m]; *p; p++)
            name[k++] = (char)tolower((unsigned char)*p);
        name[k] = '\0';
        if (strncmp(word, name, k) == 0) {   /* no name starts another */
            memmove(word, word + k, n - k + 1);
            *metric = (enum mdata_metric)m;
            return true;
        }
    }
    return false;
}

bool mdata_identify(const char *text, enum mdata_metric *metric, char stat[16])
{
    char word[128];
    stat[0] = '\0';
    return metric_and_word(text, metric, word) && (word[0] == '\0' || stat_word(word, stat, NULL));
}

const char *mdata_unread_stat(const struct mdata_unknown *u, char buf[MDATA_WHY_LEN])
{
    if (u->metric < 0 || u->metric >= MD_METRIC_COUNT)
        return NULL;
    snprintf(buf, MDATA_WHY_LEN, "not a statistic esmsim reads: %s %s; it reads Sum, Average, Maximum, "
             "Minimum, SampleCount and the percentiles strictly between p0 and p100, to two decimals as "
             "CloudWatch gives them (p50, p99.9; p0 is the Minimum, p100 the Maximum)", METRIC_NAMES[u->metric], u->stat);
    return buf;
}

/* ---- reading ------------------------------------------------------------ */

static char *dup_text(const char *s)
{
    char buf[FMT_TEXT_MAX];
    return strdup(fmt_text(s, buf, 256));
}

static const char *json_kind(const cJSON *v)
{
    return !v ? "nothing" : cJSON_IsNumber(v) ? "a number" : cJSON_IsString(v) ? "a string"
         : cJSON_IsArray(v) ? "an array" : cJSON_IsObject(v) ? "an object"
         : cJSON_IsBool(v) ? "a boolean" : "null";
}

/* A Timestamps element: an ISO-8601 time (what the CLI prints) or epoch seconds, as the loader reads
 * model.start_time. */
static bool timestamp_ms(const cJSON *t, int64_t *ms)
{
    int64_t us;
    if (!scn_time_value(t, &us))
        return false;
    *ms = us / 1000;
    return true;
}

static int add_message(struct mdata_set *set, const char *file, const cJSON *msgs)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(m, "Code");
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(m, "Value");
        char a[FMT_TEXT_MAX], b[FMT_TEXT_MAX], *line;
        size_t len = strlen(file) + 2 * 256 + 16;
        if (array_grow((void **)&set->messages, &set->cap_messages, set->n_messages, sizeof *set->messages) ||
            !(line = malloc(len)))
            return -1;
        snprintf(line, len, "%s: %s: %s", file,
                 fmt_text(cJSON_IsString(code) ? code->valuestring : "?", a, 256),
                 fmt_text(cJSON_IsString(value) ? value->valuestring : "?", b, 256));
        set->messages[set->n_messages++] = line;
    }
    return 0;
}

/* The series of id, or of the same metric and statistic under another Id. */
static struct mdata_series *series_for(struct mdata_set *set, const char *id,
                                       enum mdata_metric metric, const char *stat, bool *same_id)
{
    for (size_t i = 0; i < set->n; i++) {
        struct mdata_series *s = &set->s[i];
        if (s->metric == metric && !strcmp(s->stat, stat)) {
            char safe[FMT_TEXT_MAX];
            *same_id = !strcmp(s->id, fmt_text(id, safe, 256));
            return s;
        }
    }
    return NULL;
}

/* Append n datapoints of one page to s (sorted later). */
static int append_points(struct mdata_series *s, const cJSON *ts, const cJSON *vs, size_t n,
                         const char *file, const char *where, char *err, size_t errlen)
{
    int64_t *t = realloc(s->t_ms, (s->n + n + 1) * sizeof *t);
    if (t)
        s->t_ms = t;
    double *v = realloc(s->v, (s->n + n + 1) * sizeof *v);
    if (v)
        s->v = v;
    if (!t || !v) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    size_t i = 0;
    const cJSON *tv = ts ? ts->child : NULL, *vv = vs ? vs->child : NULL;
    for (; tv && vv; tv = tv->next, vv = vv->next, i++) {
        if (!timestamp_ms(tv, &s->t_ms[s->n])) {
            char got[64];
            errmsg_set(err, errlen, "%s: %s.Timestamps[%zu]: expected an ISO-8601 time such as "
                       "\"2026-11-20T00:00:00+00:00\" or epoch seconds, %s, got %s%s%s", file, where, i,
                       SCN_TIME_RANGE, cJSON_IsString(tv) ? "\"" : "",
                       cJSON_IsString(tv) ? fmt_text(tv->valuestring, got, sizeof got)
                       : cJSON_IsNumber(tv) ? fmt_number(tv->valuedouble, got) : json_kind(tv),
                       cJSON_IsString(tv) ? "\"" : "");
            return -1;
        }
        if (!cJSON_IsNumber(vv) || !isfinite(vv->valuedouble)) {
            errmsg_set(err, errlen, "%s: %s.Values[%zu]: expected a number, got %s", file, where, i,
                       json_kind(vv));
            return -1;
        }
        s->v[s->n++] = vv->valuedouble;
    }
    return 0;
}

int mdata_add(struct mdata_set *set, const char *file, const cJSON *root, char *err, size_t errlen)
{
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "MetricDataResults");
    if (!cJSON_IsArray(results)) {
        errmsg_set(err, errlen, "%s: $.MetricDataResults: expected an array (the output of aws "
                   "cloudwatch get-metric-data), got %s", file, json_kind(results));
        return -1;
    }
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "Messages");
    if (cJSON_IsArray(msgs) && add_message(set, file, msgs) < 0)
        goto nomem;
    size_t index = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, results) {
        char where[64];
        snprintf(where, sizeof where, "$.MetricDataResults[%zu]", index++);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "Id");
        const cJSON *label = cJSON_GetObjectItemCaseSensitive(r, "Label");
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(r, "Timestamps");
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(r, "Values");
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(r, "StatusCode");
        const cJSON *rmsgs = cJSON_GetObjectItemCaseSensitive(r, "Messages");
        if (!cJSON_IsObject(r)) {
            errmsg_set(err, errlen, "%s: %s: expected an object, got %s", file, where, json_kind(r));
            return -1;
        }
        if (!cJSON_IsString(id) || !id->valuestring[0]) {
            errmsg_set(err, errlen, "%s: %s.Id: expected the query's Id (a string), got %s", file,
                       where, json_kind(id));
            return -1;
        }
        if (label && !cJSON_IsString(label)) {
            errmsg_set(err, errlen, "%s: %s.Label: expected a string, got %s", file, where,
                       json_kind(label));
            return -1;
        }
        if ((ts && !cJSON_IsArray(ts)) || (vs && !cJSON_IsArray(vs))) {
            errmsg_set(err, errlen, "%s: %s.%s: expected an array, got %s", file, where,
                       ts && !cJSON_IsArray(ts) ? "Timestamps" : "Values",
                       json_kind(ts && !cJSON_IsArray(ts) ? ts : vs));
            return -1;
        }
        size_t nt = (size_t)cJSON_GetArraySize(ts), nv = (size_t)cJSON_GetArraySize(vs);
        if (nt != nv) {
            errmsg_set(err, errlen, "%s: %s: %zu Timestamps and %zu Values (get-metric-data gives "
                       "one value per timestamp)", file, where, nt, nv);
            return -1;
        }
        const char *code = cJSON_IsString(status) ? status->valuestring : "Complete";
        if (status && !cJSON_IsString(status)) {
            errmsg_set(err, errlen, "%s: %s.StatusCode: expected Complete, PartialData, "
                       "InternalError or Forbidden, got %s", file, where, json_kind(status));
            return -1;
        }
        if (strcmp(code, "Complete") && strcmp(code, "PartialData")) {
            char c[64];
            errmsg_set(err, errlen, "%s: %s.StatusCode: %s: CloudWatch returned no data for this "
                       "query (%s); run get-metric-data again", file, where,
                       fmt_text(code, c, sizeof c),
                       !strcmp(code, "Forbidden") ? "no permission to read it"
                       : !strcmp(code, "InternalError") ? "an error on its side" : "an unknown status");
            return -1;
        }
        if (cJSON_IsArray(rmsgs) && add_message(set, file, rmsgs) < 0)
            goto nomem;

        enum mdata_metric m1 = 0, m2 = 0;
        char s1[16] = "", s2[16] = "", stat[16];
        bool by_label = label && mdata_identify(label->valuestring, &m1, s1);
        bool by_id = mdata_identify(id->valuestring, &m2, s2);
        enum mdata_metric metric;
        if (by_label && (s1[0] || !by_id || m2 != m1 || !s2[0])) {
            metric = m1;
            snprintf(stat, sizeof stat, "%s", s1[0] ? s1 : by_id && m2 == m1 && s2[0] ? s2 : "");
        } else if (by_id) {
            metric = m2;
            snprintf(stat, sizeof stat, "%s", s2);
        } else {
            if (array_grow((void **)&set->unknown, &set->cap_unknown, set->n_unknown, sizeof *set->unknown))
                goto nomem;
            struct mdata_unknown *u = &set->unknown[set->n_unknown++];
            *u = (struct mdata_unknown){ strdup(file), strdup(where), dup_text(id->valuestring),
                                         dup_text(label ? label->valuestring : ""), .metric = -1 };
            char word[128];
            if ((label && metric_and_word(label->valuestring, &metric, word)) ||
                metric_and_word(id->valuestring, &metric, word)) {   /* "Duration p100" */
                u->metric = (int)metric;
                snprintf(u->stat, sizeof u->stat, "%.15s", word);
            }
            if (!u->file || !u->where || !u->id || !u->label)
                goto nomem;
            continue;
        }
        if (!stat[0])
            snprintf(stat, sizeof stat, "%s", DEFAULT_STAT[metric]);

        bool same_id = false;
        struct mdata_series *s = series_for(set, id->valuestring, metric, stat, &same_id);
        if (s && !same_id) {
            char a[FMT_TEXT_MAX];
            errmsg_set(err, errlen, "%s: %s: Id %s is %s %s again, which %s %s already holds "
                       "(give each metric and statistic once)", file, where,
                       fmt_text(id->valuestring, a, 256), METRIC_NAMES[metric], stat, s->file, s->where);
            return -1;
        }
        if (!s) {
            if (array_grow((void **)&set->s, &set->cap, set->n, sizeof *set->s))
                goto nomem;
            s = &set->s[set->n++];
            *s = (struct mdata_series){ .metric = metric, .pct = -1 };
            snprintf(s->stat, sizeof s->stat, "%s", stat);
            percentile_word(stat, s->stat, &s->pct);
            if (!(s->id = dup_text(id->valuestring)) || !(s->file = strdup(file)) ||
                !(s->where = strdup(where)))
                goto nomem;
        }
        s->pages++;
        s->partial = !strcmp(code, "PartialData");
        if (append_points(s, ts, vs, nt, file, where, err, errlen) < 0)
            return -1;
    }
    return 0;
nomem:
    errmsg_set(err, errlen, "out of memory");
    return -1;
}

/* ---- after the last file -------------------------------------------------- */

struct point {
    int64_t t;
    double v;
};

static int point_cmp(const void *a, const void *b)
{
    const struct point *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Sort s by time and drop the datapoints seen twice; -1 with a message
 * when one time has two values. */
static int series_sort(struct mdata_series *s, char *err, size_t errlen)
{
    struct point *p = malloc((s->n + 1) * sizeof *p);
    if (!p) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < s->n; i++)
        p[i] = (struct point){ s->t_ms[i], s->v[i] };
    qsort(p, s->n, sizeof *p, point_cmp);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (k && p[i].t == p[k - 1].t) {
            if (p[i].v != p[k - 1].v) {
                char when[32];
                awsjson_iso_time(p[i].t, 0, when);
                errmsg_set(err, errlen, "%s: %s (%s %s, Id %s): %s has two values, %.17g and %.17g",
                           s->file, s->where, METRIC_NAMES[s->metric], s->stat, s->id, when,
                           p[k - 1].v, p[i].v);
                free(p);
                return -1;
            }
            continue;
        }
        p[k++] = p[i];
    }
    for (size_t i = 0; i < k; i++) {
        s->t_ms[i] = p[i].t;
        s->v[i] = p[i].v;
    }
    s->n = k;
    free(p);
    return 0;
}

int mdata_finish(struct mdata_set *set, char *err, size_t errlen)
{
    int64_t common = 0;
    for (size_t i = 0; i < set->n; i++) {
        struct mdata_series *s = &set->s[i];
        if (series_sort(s, err, errlen) < 0)
            return -1;
        int64_t step = 0;
        for (size_t k = 1; k < s->n; k++)
            step = gcd64(s->t_ms[k] - s->t_ms[k - 1], step);
        if (s->n > 1 && (step % 1000 != 0)) {
            errmsg_set(err, errlen, "%s: %s (%s %s): the timestamps are not a whole number of "
                       "seconds apart (CloudWatch periods are whole seconds)", s->file, s->where,
                       METRIC_NAMES[s->metric], s->stat);
            return -1;
        }
        /* The smallest step must divide every step: the datapoints are on one grid. */
        int64_t smallest = 0;
        for (size_t k = 1; k < s->n; k++)
            if (!smallest || s->t_ms[k] - s->t_ms[k - 1] < smallest)
                smallest = s->t_ms[k] - s->t_ms[k - 1];
        if (smallest && step != smallest) {
            errmsg_set(err, errlen, "%s: %s (%s %s): the timestamps are not on one period: steps "
                       "of %lld s and of %lld s", s->file, s->where, METRIC_NAMES[s->metric],
                       s->stat, (long long)smallest / 1000, (long long)step / 1000);
            return -1;
        }
        s->period_ms = smallest;
        if (smallest && (!common || smallest < common))
            common = smallest;
    }
    set->start_ms = set->end_ms = 0;
    bool any = false;
    for (size_t i = 0; i < set->n; i++) {
        struct mdata_series *s = &set->s[i];
        if (!s->period_ms)
            s->period_ms = common;
        if (!s->n)
            continue;
        if (!s->period_ms) {
            errmsg_set(err, errlen, "%s: %s (%s %s): one datapoint, and no other series to tell the "
                       "period from", s->file, s->where, METRIC_NAMES[s->metric], s->stat);
            return -1;
        }
        int64_t end = s->t_ms[s->n - 1] + s->period_ms;
        if (!any || s->t_ms[0] < set->start_ms)
            set->start_ms = s->t_ms[0];
        if (!any || end > set->end_ms)
            set->end_ms = end;
        any = true;
    }
    return 0;
}

void mdata_free(struct mdata_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        free(set->s[i].id);
        free(set->s[i].file);
        free(set->s[i].where);
        free(set->s[i].t_ms);
        free(set->s[i].v);
    }
    free(set->s);
    for (size_t i = 0; i < set->n_unknown; i++) {
        free(set->unknown[i].file);
        free(set->unknown[i].where);
        free(set->unknown[i].id);
        free(set->unknown[i].label);
    }
    free(set->unknown);
    for (size_t i = 0; i < set->n_messages; i++)
        free(set->messages[i]);
    free(set->messages);
    *set = (struct mdata_set){ 0 };
}

const struct mdata_series *mdata_find(const struct mdata_set *set, enum mdata_metric metric,
                                      const char *stat)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->s[i].metric == metric && !strcmp(set->s[i].stat, stat))
            return &set->s[i];
    return NULL;
}

bool mdata_at(const struct mdata_series *s, int64_t t_ms, double *v)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->t_ms[mid] < t_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n && s->t_ms[lo] == t_ms) {
        *v = s->v[lo];
        return true;
    }
    *v = 0;
    return !strcmp(s->stat, "Sum") || !strcmp(s->stat, "SampleCount");
}

/* ---- writing ------------------------------------------------------------ */

/* A number written so that it reads back as the same double (cJSON writes
 * 15 digits when they come within an epsilon of it): the fewest digits, up
 * to 17, that give it exactly. */
static cJSON *exact_number(double v)
{
    char text[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            break;
    }
    return cJSON_CreateRaw(text);
}

char *mdata_export(const struct mdata_series *s, size_t n)
{
    cJSON *root = cJSON_CreateObject(), *results = cJSON_AddArrayToObject(root, "MetricDataResults");
    bool ok = root && results && cJSON_AddArrayToObject(root, "Messages");
    for (size_t i = 0; ok && i < n; i++) {
        cJSON *r = cJSON_CreateObject(), *ts, *vs;
        char label[64];
        snprintf(label, sizeof label, "%s %s", METRIC_NAMES[s[i].metric], s[i].stat);
        ok = r && cJSON_AddItemToArray(results, r) && cJSON_AddStringToObject(r, "Id", s[i].id) &&
             cJSON_AddStringToObject(r, "Label", label) &&
             (ts = cJSON_AddArrayToObject(r, "Timestamps")) &&
             (vs = cJSON_AddArrayToObject(r, "Values")) &&
             cJSON_AddStringToObject(r, "StatusCode", "Complete");
        for (size_t k = s[i].n; ok && k-- > 0;) {   /* newest first */
            char when[32];
            awsjson_iso_time(s[i].t_ms[k], 0, when);
            ok = cJSON_AddItemToArray(ts, cJSON_CreateString(when)) &&
                 cJSON_AddItemToArray(vs, exact_number(s[i].v[k]));
        }
    }
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    return text;
}
