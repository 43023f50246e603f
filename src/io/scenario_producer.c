/*
 * scenario_producer.c - the producers of a scenario (SPEC 1.3 and section
 * 2): name, rate (a number, a series, or a CSV file of one), arrivals,
 * partition keys, record sizes, how they write (PutRecords and its retries
 * on Kinesis, items on a DynamoDB table), start, stop and bursts; and the
 * explicit records.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda_event.h"
#include "scenario.h"
#include "scenario_int.h"

/* ---- producers and records --------------------------------------------- */

#define EXPLICIT_PRODUCER "records"  /* the producer name of the explicit records */

static const struct text_rule PRODUCER_NAME = {
    .min = 1, .max = 64, .chars = ALNUM "-_.",
    .what = "a producer name (1 to 64 letters, digits, -, _ or .)" };

static const char *const PRODUCER_KEYS[] = {
    "name", "rate", "arrival", "keys", "record_bytes", "put", "table", "start", "stop", "bursts",
    NULL };
static const char *const TABLE_KEYS[] = { "remove_share", NULL };
static const char *const EVENT_NAMES[] = { "INSERT", "MODIFY", "REMOVE", NULL };   /* by enum lev_ddb_event */
static const char *const KEYS_KEYS[] = { "count", "distribution", "s", "prefix", "list", NULL };
static const char *const PUT_KEYS[] = { "api", "max_records", "linger", "retry", NULL };
static const char *const RETRY_KEYS[] = { "mode", "max_attempts", "backoff", "base", "max", "jitter", NULL };
static const char *const BURST_KEYS[] = { "at", "for", "multiplier", NULL };
static const char *const ARRIVALS[] = { "constant", "poisson", NULL };
static const char *const KEY_DISTS[] = { "uniform", "zipf", NULL };
static const char *const PUT_APIS[] = { "PutRecords", "PutRecord", NULL };
static const char *const RETRY_MODES[] = { "failed-only", "all", "none", NULL };
static const char *const BACKOFFS[] = { "constant", "linear", "exponential", NULL };

static int parse_key_list(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    char **key = elem;
    if (scni_check_printable(c, NULL, v))
        return -1;
    if (!cJSON_IsString(v) || !scni_text_ok(v->valuestring, &PARTITION_KEY))
        return scni_expected(c, NULL, PARTITION_KEY.what, v);
    return (*key = strdup(v->valuestring)) ? 0 : scni_nomem(c);
}

/* keys: {count, prefix} or {list}, drawn uniformly or by Zipf. */
static int parse_keys(struct ctx *c, const cJSON *p, struct cfg_keys *k)
{
    const cJSON *o;
    size_t mark;
    int dist = 0;
    int64_t count = 0;
    if (scni_enter(c, p, "keys", REQ, KEYS_KEYS, &o, &mark))
        return -1;
    int rc = scni_get_enum(c, o, "distribution", OPT, KEY_DISTS, 0, &dist) ||
        scni_get_number(c, o, "s", OPT, 0, true, HUGE_VAL, 1.0, &k->zipf_s) ||
        scni_get_list(c, o, "list", sizeof *k->list, &k->list, &k->n_list, parse_key_list, NULL) ||
        scni_get_int(c, o, "count", OPT, 1, UINT32_MAX - 1, 0, &count) ||
        (!!scni_item(o, "count") == !!scni_item(o, "list")
             ? scni_fail(c, NULL, "expected exactly one of: count, list") : 0) ||
        (scni_item(o, "list") && scni_item(o, "prefix") ? scni_fail(c, "prefix", "only with count") : 0) ||
        (scni_item(o, "list") && !k->n_list ? scni_fail(c, "list", "expected at least one key") : 0) ||
        scni_get_string(c, o, "prefix", OPT, &ANY_TEXT, scni_item(o, "list") ? NULL : "key-", &k->prefix);
    /* the longest generated key, prefix + "count-1", must be a valid partition key */
    char last[24];
    snprintf(last, sizeof last, "%lld", (long long)(rc ? 0 : count - 1));
    if (!rc && k->prefix && scni_text_length(k->prefix, true) + strlen(last) > MAX_KEY_CHARS)
        rc = scni_fail(c, "prefix", "too long: prefix + key number must be at most %d characters",
                       MAX_KEY_CHARS);
    scni_path_pop(c, mark);
    k->distribution = (enum cfg_key_dist)dist;
    k->count = k->list ? 0 : (uint32_t)count;
    return rc ? -1 : 0;
}

static int parse_retry(struct ctx *c, const cJSON *put, struct cfg_retry *r)
{
    const cJSON *o;
    size_t mark;
    int mode = 0, backoff = 0;
    int64_t attempts = 1;
    if (scni_enter(c, put, "retry", OPT, RETRY_KEYS, &o, &mark))
        return -1;
    int rc = scni_get_enum(c, o, "mode", OPT, RETRY_MODES, 0, &mode) ||
        scni_get_int(c, o, "max_attempts", OPT, 1, 1000000, 3, &attempts) ||
        scni_get_enum(c, o, "backoff", OPT, BACKOFFS, 2, &backoff) ||
        scni_get_duration(c, o, "base", OPT, 0, MAX_DURATION_US, 100 * US_PER_MS, &r->base_us) ||
        scni_get_duration(c, o, "max", OPT, 0, MAX_DURATION_US, 10 * US_PER_S, &r->max_us) ||
        scni_get_bool(c, o, "jitter", true, &r->jitter);
    scni_path_pop(c, mark);
    r->mode = (enum cfg_retry_mode)mode;
    r->max_attempts = (uint32_t)attempts;
    r->backoff = (enum cfg_backoff)backoff;
    return rc ? -1 : 0;
}

static int parse_put(struct ctx *c, const cJSON *p, const struct cfg_stream *st,
                     struct cfg_producer *pr)
{
    const cJSON *o;
    size_t mark;
    int api = 0;
    int64_t max_records = 1;
    if (scni_enter(c, p, "put", OPT, PUT_KEYS, &o, &mark))
        return -1;
    int rc = scni_get_enum(c, o, "api", OPT, PUT_APIS, 0, &api) ||
        (api == CFG_PUT_RECORD && scni_item(o, "max_records")
             ? scni_fail(c, "max_records", "only with api \"PutRecords\": PutRecord sends one record a request")
             : 0) ||
        scni_get_int(c, o, "max_records", OPT, 1, 500, st->max_request_records, &max_records) ||
        (max_records > st->max_request_records
             ? scni_fail(c, "max_records", "expected at most stream.limits.max_request_records (%u)",
                         st->max_request_records) : 0) ||
        scni_get_duration(c, o, "linger", OPT, 0, MAX_DURATION_US, 100 * US_PER_MS, &pr->linger_us) ||
        parse_retry(c, o, &pr->retry);
    scni_path_pop(c, mark);
    pr->api = (enum cfg_put_api)api;
    pr->max_records = api == CFG_PUT_RECORD ? 1 : (uint32_t)max_records;   /* one record per PutRecord */
    return rc ? -1 : 0;
}

/*
 * How a producer writes: PutRecords (put) on Kinesis; on a DynamoDB table,
 * each item at once, alone, never refused so never retried, and a delete
 * with the chance table.remove_share (SPEC 1.2).
 */
static int parse_writes(struct ctx *c, const cJSON *v, const struct cfg_sim *cfg,
                        struct cfg_producer *p)
{
    const cJSON *o;
    size_t mark;
    if (scni_stream_type_only(c, v, "put", cfg, CFG_STREAM_KINESIS, "a DynamoDB table's items are written one at a "
                         "time, at once (PutItem, UpdateItem, DeleteItem)") ||
        scni_stream_type_only(c, v, "table", cfg, CFG_STREAM_DYNAMODB, "a Kinesis stream has no items to remove"))
        return -1;
    if (!scni_is_dynamodb(cfg))
        return parse_put(c, v, &cfg->stream, p);
    if (scni_enter(c, v, "table", OPT, TABLE_KEYS, &o, &mark))
        return -1;
    int rc = scni_get_number(c, o, "remove_share", OPT, 0, false, 1, 0, &p->remove_share);
    scni_path_pop(c, mark);
    p->api = CFG_PUT_RECORD;
    p->max_records = 1;
    p->linger_us = 0;
    p->retry = (struct cfg_retry){ .mode = CFG_RETRY_NONE, .max_attempts = 1 };
    return rc ? -1 : 0;
}

static int parse_burst(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct cfg_burst *b = elem;
    int rc = scni_elem_object(c, v, BURST_KEYS) ||
        scni_get_duration(c, v, "at", REQ, 0, MAX_DURATION_US, 0, &b->at_us) ||
        scni_get_duration(c, v, "for", REQ, 1, MAX_DURATION_US, 0, &b->for_us) ||
        scni_get_number(c, v, "multiplier", REQ, 0, false, HUGE_VAL, 0, &b->multiplier);
    return rc ? -1 : 0;
}

/* ---- rates: a number, a series, or a file of one (issue 14 item 1) ------- */

static const char *const RATE_KEYS[] = { "series", "file", NULL };
static const char *const RATE_POINT_KEYS[] = { "at", "rate", NULL };
#define MAX_RATE_POINTS 1000000   /* a day of seconds, or two years of minutes, ten times over */

/* One piece of rate.series; *arg counts the pieces read before it. */
static int parse_rate_point(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct cfg_rate_point *pt = elem;
    size_t *n = arg;
    char a[32], buf[80];
    if (scni_elem_object(c, v, RATE_POINT_KEYS) ||
        scni_get_duration(c, v, "at", REQ, 0, MAX_DURATION_US, 0, &pt->at_us) ||
        scni_get_number(c, v, "rate", REQ, 0, false, HUGE_VAL, 0, &pt->rate))
        return -1;
    if (*n == 0 && pt->at_us != 0)
        return scni_fail(c, "at", "expected 0 (\"0s\": the first piece starts the run), got %s",
                         scni_describe(scni_item(v, "at"), buf));
    if (*n > 0 && pt->at_us <= pt[-1].at_us)
        return scni_fail(c, "at", "expected a time after the previous piece's %s (times strictly "
                         "increasing), got %s", scni_fmt_us(pt[-1].at_us, a),
                         scni_describe(scni_item(v, "at"), buf));
    (*n)++;
    return 0;
}

/* The path of a file named in the scenario: as given when absolute, else
 * beside the scenario file (NULL when out of memory). */
static char *beside_scenario(const struct ctx *c, const char *name)
{
    const char *slash = strrchr(c->file, '/');
    if (name[0] == '/' || !slash)
        return strdup(name);
    return scni_fmt_dup("%.*s/%s", (int)(slash - c->file), c->file, name);
}

/* Spaces and tabs off both ends of [*b, *e). */
static void trim(const char **b, const char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t'))
        (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

/* A decimal number that is all of [b, e) (digits with an optional fraction;
 * what follows e is not a digit): 0, -1 when it is not one, 1 when its
 * whole part is above max. */
static int decimal_field(const char *b, const char *e, uint64_t max, double *out)
{
    uint64_t whole;
    double frac;
    const char *p = b;
    bool fits = scni_read_decimal(&p, max, &whole, &frac);
    if (p == b || p != e)
        return -1;
    *out = (double)whole + frac;
    return fits ? 0 : 1;
}

/*
 * A rate file's text (NUL-terminated, len bytes) into *out: lines
 * "seconds,rate", in time order from 0; blank lines and lines starting with
 * '#' are skipped; the first other line may be a header (it starts with a
 * letter or a quote).  Errors name the file and the line.
 */
static int parse_rate_csv(struct ctx *c, const char *path, const char *text, size_t len,
                          struct cfg_rate_point **out, size_t *n)
{
    size_t cap = 0, line = 0;
    bool content = false;
    char esc[120];
    if (memchr(text, '\0', len))
        return scni_fail(c, "file", "%s: expected text lines \"seconds,rate\", got a NUL byte", path);
    for (const char *p = text; *p;) {
        const char *eol = p + strcspn(p, "\n"), *b = p, *e = eol;
        p = *eol ? eol + 1 : eol;
        line++;
        trim(&b, &e);
        if (b == e || *b == '#')
            continue;
        const char *comma = memchr(b, ',', (size_t)(e - b));
        if (!content && (isalpha((unsigned char)*b) || *b == '"')) {   /* a header: "seconds,rate" */
            content = true;
            continue;
        }
        content = true;
        const char *sb = b, *se = comma ? comma : e, *rb = comma ? comma + 1 : e, *re = e;
        trim(&sb, &se);
        trim(&rb, &re);
        double secs, rate;
        int64_t at = 0;
        int shown = e - b > 60 ? 60 : (int)(e - b);
        int secs_ok = comma ? decimal_field(sb, se, (uint64_t)(MAX_DURATION_US / US_PER_S), &secs) : -1;
        int rate_ok = comma ? decimal_field(rb, re, (uint64_t)MAX_EXACT_INT, &rate) : -1;
        if (secs_ok < 0 || rate_ok < 0)
            return scni_fail(c, "file", "%s, line %zu: expected \"seconds,rate\" (two decimal numbers "
                             "such as 300,1250.5), got \"%s\"", path, line,
                             scni_escape(esc, sizeof esc, b, (size_t)shown, false));
        if (secs_ok > 0 || !scni_to_us(secs, &at))
            return scni_fail(c, "file", "%s, line %zu: expected a time from 0 to %lld s (100000d, the longest "
                             "duration), got %.*s", path, line, (long long)(MAX_DURATION_US / US_PER_S),
                             (int)(se - sb), sb);
        if (rate_ok > 0)
            return scni_fail(c, "file", "%s, line %zu: expected a rate from 0 to 9007199254740991 (2^53 - 1) "
                             "records a second, got %.*s", path, line, (int)(re - rb), rb);
        if (*n == 0 && at != 0)
            return scni_fail(c, "file", "%s, line %zu: expected the first time to be 0 (the first "
                             "piece starts the run), got %.*s", path, line, (int)(se - sb), sb);
        if (*n > 0 && at <= (*out)[*n - 1].at_us)
            return scni_fail(c, "file", "%s, line %zu: expected a time after the previous line's %.6g s "
                             "(times strictly increasing), got %.*s", path, line,
                             (double)(*out)[*n - 1].at_us / US_PER_S, (int)(se - sb), sb);
        if (*n == MAX_RATE_POINTS)
            return scni_fail(c, "file", "%s, line %zu: more than %d pieces, the most a rate series may "
                             "hold", path, line, MAX_RATE_POINTS);
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            struct cfg_rate_point *grown = realloc(*out, cap * sizeof *grown);
            if (!grown)
                return scni_nomem(c);
            *out = grown;
        }
        (*out)[(*n)++] = (struct cfg_rate_point){ .at_us = at, .rate = rate };
    }
    if (*n == 0)
        return scni_fail(c, "file", "%s: expected lines \"seconds,rate\", got no data line", path);
    return 0;
}

/* The series as {"series": [...]}, or NULL when out of memory. */
static cJSON *series_json(const struct cfg_rate_point *pts, size_t n)
{
    cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "series");
    char at[32];
    for (size_t i = 0; a && i < n; i++) {
        cJSON *pt = cJSON_CreateObject();
        if (!cJSON_AddItemToArray(a, pt) || !cJSON_AddStringToObject(pt, "at", scni_fmt_us(pts[i].at_us, at)) ||
            !cJSON_AddNumberToObject(pt, "rate", pts[i].rate))
            a = NULL;
    }
    if (!a) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/*
 * rate.file: read the file (beside the scenario) into p's series, and put
 * the series in its place in the tree, so that the effective scenario
 * (runs.scenario_json, which report and plot read again) holds the traffic
 * itself: it runs alone, and a changed file is a changed scenario.
 */
static int read_rate_file(struct ctx *c, const cJSON *producer, const cJSON *rate,
                          struct cfg_producer *p)
{
    char *name = NULL, *path = NULL, *text = NULL, msg[600];
    size_t len = 0;
    int rc = -1;
    if (scni_get_string(c, rate, "file", REQ, &NONEMPTY, NULL, &name))
        return -1;
    if (!(path = beside_scenario(c, name))) {
        rc = scni_nomem(c);
    } else if (!(text = scni_read_text_file(path, "rate file", &len, msg, sizeof msg))) {
        rc = scni_fail(c, "file", "%s", msg);
    } else if (parse_rate_csv(c, path, text, len, &p->series, &p->n_series) == 0) {
        /* the loader's own tree: the rate object gives way to the series */
        cJSON *inline_rate = series_json(p->series, p->n_series);
        if (!inline_rate || !cJSON_ReplaceItemInObjectCaseSensitive((cJSON *)producer, "rate", inline_rate)) {
            cJSON_Delete(inline_rate);
            rc = scni_nomem(c);
        } else {
            c->inlined = true;
            rc = 0;
        }
    }
    free(name);
    free(path);
    free(text);
    return rc;
}

/* rate: records per second, a number > 0 or a piecewise-constant series,
 * {"series": [{"at", "rate"}, ...]} or {"file": "NAME.csv"}. */
static int parse_rate(struct ctx *c, const cJSON *producer, struct cfg_producer *p)
{
    static const char what[] = "records per second: a number > 0, or an object with series or file";
    const cJSON *v = scni_item(producer, "rate"), *o, *list;
    size_t mark;
    if (!v)
        return scni_fail(c, "rate", "missing required key (expected %s)", what);
    if (cJSON_IsNumber(v))
        return scni_get_number(c, producer, "rate", REQ, 0, true, HUGE_VAL, 0, &p->rate);
    if (!cJSON_IsObject(v))
        return scni_expected(c, "rate", what, v);
    if (scni_enter(c, producer, "rate", REQ, RATE_KEYS, &o, &mark))
        return -1;
    int rc = 0;
    size_t n = 0;
    p->rate = 0;
    if (!!scni_item(o, "series") == !!scni_item(o, "file"))
        rc = scni_fail(c, NULL, "expected exactly one of: series, file");
    else if (scni_item(o, "file"))
        rc = read_rate_file(c, producer, o, p);
    else if (scni_get_array(c, o, "series", REQ, &list))
        rc = -1;
    else if (cJSON_GetArraySize(list) == 0 || cJSON_GetArraySize(list) > MAX_RATE_POINTS)
        rc = scni_fail(c, "series", "expected 1 to %d pieces {\"at\": duration, \"rate\": number >= 0}, "
                       "got %d", MAX_RATE_POINTS, cJSON_GetArraySize(list));
    else
        rc = scni_get_list(c, o, "series", sizeof *p->series, &p->series, &p->n_series,
                           parse_rate_point, &n);
    scni_path_pop(c, mark);
    return rc ? -1 : 0;
}

int scni_check_producer_names(struct ctx *c, const struct cfg_sim *cfg)
{
    size_t n = cfg->n_producers, at = n;
    const char **names = n > 1 ? malloc(n * sizeof *names) : NULL;
    bool nomem = n > 1 && !names;
    for (size_t i = 0; i < n && names; i++)
        names[i] = cfg->producers[i].name;
    if (names)   /* sorted, not each name against those before it: 100,000 took 25 s */
        at = scn_first_repeat(names, n, &nomem);
    free(names);
    if (nomem)
        return scni_nomem(c);
    if (at == n)
        return 0;
    size_t mark = scni_path_key(c, "producers");
    scni_path_index(c, at);
    scni_fail(c, "name", "a producer named \"%s\" comes before: names must be unique",
              cfg->producers[at].name);
    scni_path_pop(c, mark);
    return -1;
}

int scni_parse_producer(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct cfg_sim *cfg = arg;
    struct cfg_producer *p = elem;
    int arrival = 0;
    if (scni_elem_object(c, v, PRODUCER_KEYS) ||
        scni_get_string(c, v, "name", REQ, &PRODUCER_NAME, NULL, &p->name))
        return -1;
    if (strcmp(p->name, EXPLICIT_PRODUCER) == 0)
        return scni_fail(c, "name", "\"%s\" is reserved for the explicit records", EXPLICIT_PRODUCER);
    int rc = parse_rate(c, v, p) ||
        scni_get_enum(c, v, "arrival", OPT, ARRIVALS, 1, &arrival) ||
        parse_keys(c, v, &p->keys) ||
        scni_get_dist(c, v, "record_bytes", OPT, QTY_BYTES, 100, &p->record_bytes) ||
        parse_writes(c, v, cfg, p) ||
        scni_get_duration(c, v, "start", OPT, 0, MAX_DURATION_US, 0, &p->start_us) ||
        scni_get_duration(c, v, "stop", OPT, p->start_us, MAX_DURATION_US,
                          cfg->duration_us > p->start_us ? cfg->duration_us : p->start_us, &p->stop_us) ||
        scni_get_list(c, v, "bursts", sizeof *p->bursts, &p->bursts, &p->n_bursts, parse_burst, NULL);
    p->arrival = (enum cfg_arrival)arrival;
    return rc ? -1 : 0;
}

static const char *const RECORD_KEYS[] = { "at", "partition_key", "data", "event", NULL };

/* An explicit record; on a DynamoDB table, a write of the item partition_key,
 * with the stream record's eventName when event is given. */
int scni_parse_record(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct cfg_sim *cfg = arg;
    struct cfg_record *r = elem;
    int event = 0;
    if (scni_elem_object(c, v, RECORD_KEYS) ||
        scni_get_duration(c, v, "at", REQ, 0, cfg->duration_us, 0, &r->at_us) ||
        scni_get_string(c, v, "partition_key", REQ, &PARTITION_KEY, NULL, &r->partition_key) ||
        scni_get_string(c, v, "data", OPT, &DATA, "", &r->data) ||
        scni_stream_type_only(c, v, "event", cfg, CFG_STREAM_DYNAMODB, "a Kinesis record has no event name") ||
        scni_get_enum(c, v, "event", OPT, EVENT_NAMES, 0, &event))
        return -1;
    r->has_event = scni_item(v, "event") != NULL;
    r->event = (enum lev_ddb_event)event;
    size_t bytes = strlen(r->data) + strlen(r->partition_key);
    if (bytes > cfg->stream.max_record_bytes && scni_is_dynamodb(cfg))
        return scni_fail(c, "data", "%zu bytes with the item's key, over DynamoDB's 400 KB item limit "
                         "(%u bytes with the attribute names \"%s\" and \"%s\")", bytes,
                         LEV_DDB_MAX_ITEM_BYTES, LEV_DDB_KEY_ATTRIBUTE, LEV_DDB_DATA_ATTRIBUTE);
    if (bytes > cfg->stream.max_record_bytes)
        return scni_fail(c, "data", "%zu bytes with the partition key, over stream.limits.max_record_bytes "
                         "(%llu)", bytes, (unsigned long long)cfg->stream.max_record_bytes);
    return 0;
}
