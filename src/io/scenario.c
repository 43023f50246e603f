/*
 * scenario.c - the scenario loader: a JSON file (SPEC section 2) into the
 * plain structs of scenario.h.
 *
 * The loader (this file and the scenario_*.c files beside it, see
 * scenario_int.h) is the only part that knows JSON.  It reads the file,
 * applies the --set overrides to the JSON tree, then walks the tree with a
 * few typed getters (scni_get_int, scni_get_number, scni_get_bool,
 * scni_get_enum, scni_get_string, scni_get_duration, scni_get_dist) and one
 * key-set check (scni_check_keys) per object.  Every value is checked
 * against its range and every default is filled in, so the core never sees
 * a value it has to doubt.  Every error is one line naming the file, the
 * JSON path and what was expected; an error at a path written by a --set
 * also names that override.
 *
 * This file holds the whole file (its top keys, seed, model, log, expect),
 * the checks made once every section is read, the text of every string, the
 * overrides and the entry points; each section is read in its own file.
 *
 * Features the core does not simulate yet are parsed and validated like the
 * rest (so a typo is still reported as a typo), then refused in one place,
 * reject_unsimulated(), which later issues shrink line by line.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awsjson.h"
#include "fmt.h"
#include "footprint.h"
#include "jsonexact.h"
#include "scenario.h"
#include "scenario_int.h"
#include "summary.h"

#define MAX_KEYS 4294967294.0    /* distinct keys in a run: the key table's ids are 32-bit */

static const struct text_rule REGION = {
    .min = 1, .max = 32, .chars = "abcdefghijklmnopqrstuvwxyz0123456789-",
    .what = "a region name such as \"us-east-1\"" };
static const struct text_rule ACCOUNT = {
    .min = 12, .max = 12, .chars = "0123456789", .what = "a string of 12 digits" };

/* ---- top keys, seed and model ------------------------------------------- */

static const char *const TOP_KEYS[] = {
    "name", "description", "seed", "duration", "stream", "producers", "records",
    "event_source_mapping", "function", "model", "log", "schedule", "expect", NULL };

/* seed: an integer, or a string of digits, exact, for one above 2^53 - 1
 * (a larger JSON number may have been rounded: refused, see MAX_EXACT_INT). */
static int get_seed(struct ctx *c, const cJSON *obj, uint64_t *out)
{
    static const char what[] = "an integer from 0 to 18446744073709551615 "
                               "(as a string of digits above 9007199254740991)";
    const cJSON *v = scni_item(obj, "seed");
    *out = 1;
    if (!v)
        return 0;
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= MAX_EXACT_INT &&
        v->valuedouble == floor(v->valuedouble)) {
        *out = (uint64_t)v->valuedouble;
        return 0;
    }
    if (cJSON_IsString(v) && scni_text_ok(v->valuestring, &DIGITS)) {
        errno = 0;
        unsigned long long x = strtoull(v->valuestring, NULL, 10);
        if (errno == 0) {
            *out = x;
            return 0;
        }
    }
    return scni_expected(c, "seed", what, v);
}

static const char *const MODEL_KEYS[] = {
    "poll_interval", "retry_delay", "reinvoke_delay", "throttle_backoff", "throttle_backoff_max",
    "latest_start_delay", "mapping_update_delay", "sample_interval", "start_time", "region",
    "account", "wait_for_parent_shards", "efo_push_latency", "memory_limit",
    "on_demand_peak_window", "on_demand_scale_window", "on_demand_scale_delay",
    "on_demand_split_threshold", "on_demand_max_write_bytes_per_sec",
    "on_demand_max_write_records_per_sec", NULL };

/* The run's end, start_time + duration, within SCN_TIME_RANGE as start_time is
 * (docs/scenario.md): its wall times are printed (Lambda events, compare). */
static int check_run_end(struct ctx *c, const cJSON *model, const struct cfg_model *m, int64_t duration_us)
{
    if (m->epoch_ms * US_PER_MS <= MAX_EPOCH_US - duration_us)
        return 0;
    char d[32], latest[32], got[80];
    awsjson_iso_time(0, MAX_EPOCH_US - duration_us, latest);
    return scni_fail(c, "start_time", "expected a start from which the run (duration %s) ends by "
                     SCN_TIME_LAST ": at or before %s, got %s", scni_fmt_us(duration_us, d),
                     latest, scni_describe(scni_item(model, "start_time"), got));
}

static int parse_model(struct ctx *c, const cJSON *root, int64_t duration_us, struct cfg_model *m,
                       struct cfg_on_demand *od)
{
    const cJSON *o;
    size_t mark;
    int64_t epoch_us = 0;
    if (scni_enter(c, root, "model", OPT, MODEL_KEYS, &o, &mark))
        return -1;
    int rc = scni_get_duration(c, o, "poll_interval", OPT, 1, MAX_DURATION_US, CFG_DEFAULT_POLL_INTERVAL_US,
                     &m->poll_interval_us) ||
        scni_get_duration(c, o, "retry_delay", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_RETRY_DELAY_US,
                          &m->retry_delay_us) ||
        scni_get_duration(c, o, "reinvoke_delay", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_REINVOKE_DELAY_US,
                          &m->reinvoke_delay_us) ||
        scni_get_duration(c, o, "throttle_backoff", OPT, 1, MAX_DURATION_US, CFG_DEFAULT_THROTTLE_BACKOFF_US,
                          &m->throttle_backoff_us) ||
        scni_get_duration(c, o, "throttle_backoff_max", OPT, 1, MAX_DURATION_US,
                          CFG_DEFAULT_THROTTLE_BACKOFF_MAX_US, &m->throttle_backoff_max_us) ||
        scni_get_duration(c, o, "latest_start_delay", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_LATEST_START_DELAY_US,
                          &m->latest_start_delay_us) ||
        scni_get_duration(c, o, "mapping_update_delay", OPT, 0, MAX_DURATION_US,
                          CFG_DEFAULT_MAPPING_UPDATE_DELAY_US, &m->mapping_update_delay_us) ||
        scni_get_duration(c, o, "sample_interval", OPT, 1, MAX_DURATION_US, CFG_DEFAULT_SAMPLE_INTERVAL_US,
                          &m->sample_interval_us) ||
        scni_get_time(c, o, "start_time", OPT, CFG_DEFAULT_START_TIME, &epoch_us) ||
        scni_get_string(c, o, "region", OPT, &REGION, CFG_DEFAULT_REGION, &m->region) ||
        scni_get_string(c, o, "account", OPT, &ACCOUNT, CFG_DEFAULT_ACCOUNT, &m->account) ||
        scni_get_bool(c, o, "wait_for_parent_shards", true, &m->wait_for_parent_shards) ||
        scni_get_duration(c, o, "efo_push_latency", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_EFO_PUSH_LATENCY_US,
                          &m->efo_push_latency_us) ||
        scni_parse_on_demand(c, o, od);
    if (!rc && scni_item(o, "memory_limit")) {
        rc = scni_get_size(c, o, "memory_limit", &m->memory_limit);
        m->memory_limit_from = "model.memory_limit";
    } else if (!rc) {
        m->memory_limit = fpt_available(&m->memory_limit_from);
    }
    m->epoch_ms = rc ? 0 : epoch_us / US_PER_MS;
    rc = rc || check_run_end(c, o, m, duration_us);
    scni_path_pop(c, mark);
    return rc ? -1 : 0;
}

/* ---- what is not simulated yet ----------------------------------------- */

/*
 * Features this version parses and validates but does not simulate: refused
 * here, never silently ignored.  An issue that implements one deletes its line.
 */
/* A schedule entry that changes the window width, or the lanes (and so
 * which state a key's records go to) while windows are on. */
static bool tumbling_changes(const struct scenario *s)
{
    for (size_t i = 0; i < s->cfg.n_schedule; i++) {
        const struct cfg_mapping *m = s->cfg.schedule[i].mapping;
        if (m && (m->tumbling_window_us != s->cfg.mapping.tumbling_window_us ||
                  (m->tumbling_window_us > 0 &&
                   m->parallelization_factor != s->cfg.mapping.parallelization_factor)))
            return true;
    }
    return false;
}

static int reject_unsimulated(struct ctx *c, const struct scenario *s)
{
    const struct { bool used; const char *path, *what; } features[] = {
        { tumbling_changes(s), "$.schedule", "a scheduled change of TumblingWindowInSeconds, or of "
          "ParallelizationFactor with tumbling windows, is" },
        { c->filters[0], c->filters, "event filtering (FilterCriteria.Filters) is" },
        { c->s3_destination[0], c->s3_destination, "an S3 OnFailure destination is" },
    };
    for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
        if (!features[i].used)
            continue;
        snprintf(c->path, sizeof c->path, "%s", features[i].path);
        c->plen = strlen(c->path);
        return scni_fail(c, NULL, "%s not simulated yet", features[i].what);
    }
    return 0;
}

/* ---- memory ------------------------------------------------------------- */

/* A count for people: "2,880,000", or "3.6e+15" past what an integer holds. */
static const char *fmt_amount(double n, char buf[32])
{
    if (n < 9e18)
        return fmt_count((int64_t)n, buf);
    snprintf(buf, 32, "%.2g", n);
    return buf;
}

/*
 * Refuse a scenario whose run needs more memory than model.memory_limit
 * (by default what fpt_available() finds) even when its mapping keeps up,
 * before it runs (issue 11 item 15): the estimate and its parts in the
 * message, at the path of the setting that weighs most.  A run that needs
 * more as it goes (its mapping stalls) is stopped by the limit then
 * (sim_set_memory_budget).
 */
static int check_footprint(struct ctx *c, const struct scenario *s)
{
    struct fpt_estimate est;
    scn_footprint(s, FPT_KEEPING_UP, &est);
    if (est.keys > MAX_KEYS) {
        snprintf(c->path, sizeof c->path, "$.producers");
        c->plen = strlen(c->path);
        char n[32];
        return scni_fail(c, NULL, "the run may meet %s distinct partition keys, more than the %.0f a run "
                         "can hold: use smaller key spaces", fmt_amount(est.keys, n), MAX_KEYS);
    }
    if (!s->cfg.model.memory_limit || est.total <= (double)s->cfg.model.memory_limit)
        return 0;
    int top = 0;
    for (int i = 1; i < FPT_PARTS; i++)
        if (est.bytes[i] > est.bytes[top])
            top = i;
    size_t p = est.top_producer;
    if ((top == FPT_MESSAGES || top == FPT_RECORDS || top == FPT_REQUESTS) && p != SIZE_MAX)
        snprintf(c->path, sizeof c->path, "$.producers[%zu].%s", p, top == FPT_REQUESTS ? "put" : "rate");
    else if (top == FPT_KEYS && p != SIZE_MAX)
        snprintf(c->path, sizeof c->path, "$.producers[%zu].keys", p);
    else if (top == FPT_SHARDS)
        snprintf(c->path, sizeof c->path, "$.stream");
    else if (top == FPT_SCENARIO && s->cfg.n_records)
        snprintf(c->path, sizeof c->path, "$.records");
    else   /* the program itself, or a scenario file: the limit is what is too small */
        snprintf(c->path, sizeof c->path, "$.model.memory_limit");
    c->plen = strlen(c->path);
    /* each part, with what it counts */
    char total[32], limit[32], parts[600] = "", n[32], b[32];
    size_t used = 0;
    for (int i = 0; i < FPT_PARTS && used < sizeof parts; i++) {
        int k = snprintf(parts + used, sizeof parts - used, "%s%s %s", i ? ", " : "",
                         fpt_part_name((enum fpt_part)i), fmt_bytes(est.bytes[i], b));
        used += k > 0 ? (size_t)k : 0;
        if (used >= sizeof parts)
            break;
        k = i == FPT_MESSAGES ? snprintf(parts + used, sizeof parts - used, " (%s held at once: those "
                                         "created within %.0f s)", fmt_amount(est.messages, n), est.window_s)
          : i == FPT_RECORDS ? snprintf(parts + used, sizeof parts - used, " (%s, written within %.0f s)",
                                        fmt_amount(est.records, n), est.hold_s)
          : i == FPT_KEYS ? snprintf(parts + used, sizeof parts - used, " (%s met, of key spaces of %s)",
                                     fmt_amount(est.keys, n), fmt_amount(est.key_space, b))
          : i == FPT_SHARDS ? snprintf(parts + used, sizeof parts - used, " (%s)", fmt_amount(est.shards, n))
          : 0;
        used += k > 0 ? (size_t)k : 0;
    }
    return scni_fail(c, NULL, "this run needs %s of memory even if the mapping keeps up, more "
                     "than the %s allowed (%s%s); by part: %s (docs/scenario.md, \"Memory\")",
                     fmt_bytes(est.total, total), fmt_bytes((double)s->cfg.model.memory_limit, limit),
                     s->cfg.model.memory_limit_from,
                     strcmp(s->cfg.model.memory_limit_from, "model.memory_limit") ? "; model.memory_limit sets it"
                                                                          : "",
                     parts);
}

/* ---- the whole file ---------------------------------------------------- */

/* One bound of metric: an integer for a count (1.5 messages would never
 * match), else a finite number >= 0. */
static int get_bound(struct ctx *c, const cJSON *obj, const char *key, bool req,
                     const char *metric, double def, double *out)
{
    if (!summary_is_count(metric))
        return scni_get_number(c, obj, key, req, 0, false, HUGE_VAL, def, out);
    int64_t n = 0;
    if (scni_get_int(c, obj, key, req, 0, (int64_t)MAX_EXACT_INT, 0, &n))
        return -1;
    *out = scni_item(obj, key) ? (double)n : def;
    return 0;
}

/*
 * "expect": { "messages_lost": 0, "redelivered_records": { "min": 1 } }: a
 * number is an exact count, an object gives bounds (at least one).
 */
static int parse_expect(struct ctx *c, const cJSON *root, struct scenario *s)
{
    static const char *const bound_keys[] = { "min", "max", NULL };
    const cJSON *ex;
    size_t mark;
    if (scni_enter(c, root, "expect", OPT, summary_names(), &ex, &mark))
        return -1;
    int rc = 0;
    size_t n = (size_t)cJSON_GetArraySize(ex);
    if (n > 0 && !(s->expect = calloc(n, sizeof *s->expect)))
        rc = scni_fail(c, NULL, "out of memory");
    for (const cJSON *v = ex ? ex->child : NULL; v && !rc; v = v->next) {
        struct scn_expect *e = &s->expect[s->n_expect];
        if (!(e->metric = strdup(v->string))) {
            rc = scni_fail(c, NULL, "out of memory");
            break;
        }
        s->n_expect++;
        if (cJSON_IsNumber(v)) {
            rc = get_bound(c, ex, v->string, REQ, e->metric, 0, &e->min);
            e->max = e->min;
            continue;
        }
        if (!cJSON_IsObject(v)) {
            rc = scni_expected(c, v->string, summary_is_count(e->metric)
                               ? "a count, or an object with min and/or max"
                               : "a number, or an object with min and/or max", v);
            break;
        }
        size_t inner = scni_path_key(c, v->string);
        rc = scni_check_keys(c, v, bound_keys, NULL) ||
             get_bound(c, v, "min", OPT, e->metric, 0, &e->min) ||
             get_bound(c, v, "max", OPT, e->metric, HUGE_VAL, &e->max);
        if (!rc && !scni_item(v, "min") && !scni_item(v, "max"))
            rc = scni_fail(c, NULL, "expected min and/or max");
        else if (!rc && e->min > e->max)
            rc = scni_fail(c, NULL, "expected min <= max");
        scni_path_pop(c, inner);
    }
    scni_path_pop(c, mark);
    return rc ? -1 : 0;
}

/* ---- text of every string ---------------------------------------------- */

/* Rewrite each \u0000 escape of text's strings to NUL_MARK "0000" (see
 * NUL_MARK), in place. */
static void mark_nul_escapes(char *text)
{
    bool in_string = false;
    for (char *p = text; *p; p++) {
        if (*p == '"') {
            in_string = !in_string;
        } else if (in_string && *p == '\\') {
            if (strncmp(p + 1, "u0000", 5) == 0)
                memcpy(p, NUL_MARK, 2);
            if (!*++p)       /* the escaped character is never a quote that ends the string */
                break;
        }
    }
}

/* cJSON_Parse of text, its \u0000 escapes marked (see NUL_MARK); end as
 * cJSON_ParseWithOpts gives it, in text. */
static cJSON *parse_marked(const char *text, const char **end)
{
    if (!strstr(text, "\\u0000"))
        return cJSON_ParseWithOpts(text, end, 1);
    char *copy = strdup(text);
    if (!copy)
        return NULL;
    mark_nul_escapes(copy);
    const char *stop = NULL;
    cJSON *root = cJSON_ParseWithOpts(copy, &stop, 1);
    if (end)
        *end = stop ? text + (stop - copy) : NULL;
    free(copy);
    return root;
}

/* Why s cannot be read as text: "" when it is UTF-8 without U+0000. */
static const char *not_text(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0, n; i < len; i += n) {
        uint32_t cp;
        if ((n = scni_utf8_next(u + i, len - i, &cp)) == 0)
            return IS_NUL_MARK(s + i)
                       ? "text without U+0000 (\\u0000 would cut it short)" : "UTF-8 text";
    }
    return "";
}

/*
 * Every key and string of the tree is UTF-8 without U+0000, whatever it is
 * used for: a run log stores the scenario as JSON, and messages, summaries
 * and charts print its names.  With finite, every number is too (1e309 is
 * infinity to cJSON, printed as null): for an input whose values are copied
 * before they are checked (import's); a scenario's getters say it in their
 * words.
 */
static int check_utf8(struct ctx *c, const cJSON *v, bool finite)
{
    const char *why;
    char buf[80];
    if (cJSON_IsString(v) && *(why = not_text(v->valuestring)))
        return scni_fail(c, NULL, "expected %s, got %s", why, scni_describe(v, buf));
    if (finite && cJSON_IsNumber(v) && !isfinite(v->valuedouble))
        return scni_expected(c, NULL, "a finite number", v);
    size_t i = 0;
    for (const cJSON *k = cJSON_IsArray(v) || cJSON_IsObject(v) ? v->child : NULL; k; k = k->next, i++) {
        if (cJSON_IsObject(v) && *(why = not_text(k->string)))
            return scni_fail(c, k->string, "expected a key in %s", why);
        size_t mark = cJSON_IsObject(v) ? scni_path_key(c, k->string) : scni_path_index(c, i);
        int rc = check_utf8(c, k, finite);
        scni_path_pop(c, mark);
        if (rc)
            return -1;
    }
    return 0;
}

static int parse_scenario(struct ctx *c, const cJSON *root, struct scenario *s)
{
    const cJSON *o;
    size_t mark;
    if (!cJSON_IsObject(root))
        return scni_expected(c, NULL, "an object", root);
    if (check_utf8(c, root, false) || scni_check_keys(c, root, TOP_KEYS, NULL) ||
        scni_get_string(c, root, "name", REQ, &NONEMPTY, NULL, &s->name) ||
        scni_get_string(c, root, "description", OPT, &ANY_TEXT, NULL, &s->description) ||
        get_seed(c, root, &s->cfg.seed) ||
        scni_get_duration(c, root, "duration", REQ, 1, MAX_DURATION_US, 0, &s->cfg.duration_us) ||
        parse_model(c, root, s->cfg.duration_us, &s->cfg.model, &s->cfg.stream.on_demand) ||
        scni_parse_stream(c, root, &s->cfg) ||
        scni_parse_function(c, root, &s->cfg.function) ||
        scni_get_object(c, root, "event_source_mapping", REQ, &o))
        return -1;
    mark = scni_path_key(c, "event_source_mapping");
    int rc = scni_parse_mapping(c, o, &s->cfg, &s->cfg.mapping, false);
    scni_path_pop(c, mark);
    if (rc || scni_get_list(c, root, "producers", sizeof *s->cfg.producers, &s->cfg.producers, &s->cfg.n_producers,
                            scni_parse_producer, &s->cfg) ||
        scni_check_producer_names(c, &s->cfg) ||
        scni_get_list(c, root, "records", sizeof *s->cfg.records, &s->cfg.records, &s->cfg.n_records,
                      scni_parse_record, &s->cfg))
        return -1;
    static const char *const log_keys[] = { "per_record", NULL };
    const cJSON *log;
    if (scni_enter(c, root, "log", OPT, log_keys, &log, &mark))
        return -1;
    rc = scni_get_bool(c, log, "per_record", true, &s->per_record_tables);
    scni_path_pop(c, mark);
    if (rc || scni_parse_schedule_list(c, root, &s->cfg) ||
        parse_expect(c, root, s) || reject_unsimulated(c, s))
        return -1;
    if (c->inlined) {   /* the effective scenario holds the rate files' series */
        free(s->json);
        if (!(s->json = jsonx_print(root, false)))
            return scni_nomem(c);
    }
    return check_footprint(c, s);
}

/* ---- overrides --------------------------------------------------------- */

static int bad_json(struct ctx *c, const char *text, const char *at, bool nul);
static const char *stopped_deep(const char *text, const char *at);

/*
 * The value of an override: JSON when it parses, else the text as a string
 * (so `duration=2h` works).  A bare integer too large for a double to hold
 * exactly stays a string, which `seed` accepts.  JSON nested deeper than cJSON
 * reads is refused as in a file, not taken as a string.  NULL with the error
 * said.
 */
static cJSON *override_value(struct ctx *c, const char *text)
{
    size_t n = strlen(text);
    if (n > 0 && n <= 20 && strspn(text, "0123456789") == n &&
        strtoull(text, NULL, 10) > (unsigned long long)MAX_EXACT_INT)
        return cJSON_CreateString(text);
    const char *end = NULL;
    cJSON *v = parse_marked(text, &end);
    if (!v && end && stopped_deep(text, end)) {
        bad_json(c, text, end, false);
        return NULL;
    }
    if (!v && !(v = cJSON_CreateString(text)))
        scni_nomem(c);
    return v;
}

static int bad_override(struct ctx *c)
{
    scni_path_pop(c, 0);
    return scni_fail(c, NULL, "expected path=value, the path made of keys separated by dots and [N] "
                     "indexes, such as producers[0].rate=2000");
}

/* Apply "a.b[2].c=value" to the tree: a missing object key on the way is
 * created empty, a missing array element is an error; the last step is
 * created (an object key, or an array index one past the end). */
static int apply_override(struct ctx *c, cJSON *root, const char *set, char **norm)
{
    const char *eq = strchr(set, '='), *p = set;
    c->setting = set;
    scni_path_pop(c, 1);   /* back to "$" */
    if (!eq || eq == set)
        return bad_override(c);
    if (strncmp(p, "$.", 2) == 0)
        p += 2;
    if (p == eq)   /* "$.=5": no key to set */
        return bad_override(c);
    cJSON *cur = root, *parent = NULL;
    char key[256];
    long index = -1;
    size_t made = 0;    /* path length of the first object created, or 0 */
    while (p < eq) {
        size_t n = strcspn(p, ".[=");
        if (cur == NULL)   /* the previous step, not the last, named nothing */
            return scni_fail(c, NULL, "no such key");
        parent = cur;
        if (*p == '[') {
            char *end;
            errno = 0;
            index = strtol(p + 1, &end, 10);
            if (!isdigit((unsigned char)p[1]) || *end != ']' || errno)
                return bad_override(c);
            if (!cJSON_IsArray(cur))
                return scni_fail(c, NULL, "is %s, not an array", cJSON_IsObject(cur) ? "an object" : "a value");
            int size = cJSON_GetArraySize(cur);
            scni_path_index(c, (size_t)index);
            if (index > size || (index == size && end[1] != '='))   /* == size appends, as the last step */
                return scni_fail(c, NULL, "no such element (the array has %d)", size);
            cur = cJSON_GetArrayItem(cur, (int)index);
            p = end + 1;
        } else {
            if (n == 0 || n >= sizeof key)
                return bad_override(c);
            memcpy(key, p, n);
            key[n] = '\0';
            if (!cJSON_IsObject(cur))
                return scni_fail(c, NULL, "is %s, not an object", cJSON_IsArray(cur) ? "an array" : "a value");
            scni_path_key(c, key);
            cur = cJSON_GetObjectItemCaseSensitive(cur, key);
            /* a missing object on the way is made empty: --set model.x=1
             * works without a "model" in the file, and x is validated */
            if (!cur && p[n] == '.') {
                if (!(cur = cJSON_AddObjectToObject(parent, key)))
                    return scni_nomem(c);
                if (made == 0)
                    made = c->plen;    /* errors inside it name the override */
            }
            index = -1;
            p += n;
        }
        if (*p == '.') {
            if (p + 1 >= eq || p[1] == '[' || p[1] == '.')
                return bad_override(c);
            p++;
        } else if (*p != '[' && *p != '=') {
            return bad_override(c);
        }
    }
    cJSON *v = override_value(c, eq + 1);
    if (!v)
        return -1;
    bool ok = index >= 0 ? (cur ? cJSON_ReplaceItemInArray(parent, (int)index, v)
                                : cJSON_AddItemToArray(parent, v))
                         : (cur ? cJSON_ReplaceItemInObjectCaseSensitive(parent, key, v)
                                : cJSON_AddItemToObject(parent, key, v));
    if (!ok) {
        cJSON_Delete(v);
        return scni_nomem(c);
    }
    *norm = strndup(c->path, made ? made : c->plen);
    return *norm ? 0 : scni_nomem(c);
}

/* ---- entry points ------------------------------------------------------ */

/* A UTF-8 byte that continues a character. */
static bool is_continuation(char ch)
{
    return ((unsigned char)ch & 0xC0) == 0x80;
}

/* The first array or object of text opened with CJSON_NESTING_LIMIT others
 * open, where cJSON gives up on valid JSON; NULL when there is none. */
static const char *too_deep(const char *text)
{
    int depth = 0;
    bool in_string = false;
    for (const char *p = text; *p; p++) {
        if (in_string) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == '[' || *p == '{') {
            if (depth++ == CJSON_NESTING_LIMIT)
                return p;
        } else if (*p == ']' || *p == '}') {
            depth--;
        }
    }
    return NULL;
}

/*
 * "invalid JSON at line 3, column 14 (near ...)".  cJSON stops just past the
 * character it could not take, so a stop at the end of a line is moved back
 * to that line's last character; the excerpt is a window of the line.  Past
 * CJSON_NESTING_LIMIT, cJSON refuses valid JSON: said so (too_deep).
 */
/* Where cJSON, stopped at at, gave up on text for its depth (too_deep), or
 * NULL when it stopped at an error before. */
static const char *stopped_deep(const char *text, const char *at)
{
    const char *deep = too_deep(text);
    return deep && deep <= at + 1 ? deep : NULL;
}

static int bad_json(struct ctx *c, const char *text, const char *at, bool nul)
{
    const char *deep = nul ? NULL : stopped_deep(text, at);
    if (deep)
        at = deep;
    if (*at == '\n' || *at == '\r')
        while (at > text && isspace((unsigned char)*at))
            at--;
    size_t line = 1, col = 1;
    const char *bol = text;
    for (const char *p = text; p < at; p++) {
        col += !is_continuation(*p);   /* characters, as an editor and the YAML reader count */
        if (*p == '\n') {
            line++;
            col = 1;
            bol = p + 1;
        }
    }
    const char *from = at;
    for (int back = 0; back < 12 && from > bol; back++)   /* 12 characters back */
        while (--from > bol && is_continuation(*from))
            ;
    size_t n = 0, len = strcspn(from, "\r\n");
    for (int chars = 0; n < len && chars < 25; chars++)   /* 25 characters on */
        while (++n < len && is_continuation(from[n]))
            ;
    char near[160] = " (unexpected end of input)", esc[128];
    if (nul)
        snprintf(near, sizeof near, " (a NUL byte)");
    else if (deep)
        snprintf(near, sizeof near, ": arrays and objects nested deeper than %d, the most esmsim reads",
                 CJSON_NESTING_LIMIT);
    else if (*at)
        snprintf(near, sizeof near, " (near `%s`)", scni_escape(esc, sizeof esc, from, n, false));
    if (c->setting)   /* an override's value: its line and column */
        return scni_fail(c, NULL, "invalid JSON at line %zu, column %zu%s", line, col, near);
    if (c->errlen)
        snprintf(c->err, c->errlen, "%s: invalid JSON at line %zu, column %zu%s", c->file, line, col, near);
    return -1;
}

/* The overrides and their paths, copied into s for scn_override_of. */
static int keep_overrides(struct ctx *c, struct scenario *s)
{
    if (c->n_set == 0)
        return 0;
    if (!(s->sets = calloc(c->n_set, sizeof *s->sets)) ||
        !(s->set_paths = calloc(c->n_set, sizeof *s->set_paths)))
        return scni_nomem(c);
    for (; s->n_sets < c->n_set; s->n_sets++) {
        size_t i = s->n_sets;
        s->sets[i] = strdup(c->overrides[i]);
        s->set_paths[i] = strdup(c->set_paths[i]);
        if (!s->sets[i] || !s->set_paths[i]) {
            s->n_sets++;   /* scn_free frees the pair made in part */
            return scni_nomem(c);
        }
    }
    return 0;
}

const char *scn_override_of(const struct scenario *s, const char *path, char *buf, size_t len)
{
    long i = scni_override_at(s->set_paths, s->n_sets, path);
    return i < 0 ? NULL : scni_escape(buf, len, s->sets[i], SIZE_MAX, false);
}

struct scenario *scn_parse(const char *name, const char *text,
                           const char *const *overrides, size_t n_overrides,
                           char *err, size_t errlen)
{
    struct ctx c = { .file = name, .err = err, .errlen = errlen, .path = "$", .plen = 1,
                     .overrides = overrides };
    struct scenario *s = NULL;
    const char *end = NULL;
    if (errlen)
        err[0] = '\0';
    cJSON *root = parse_marked(text, &end);
    if (!root) {
        bad_json(&c, text, end ? end : text, false);
        return NULL;
    }
    if (n_overrides && !(c.set_paths = calloc(n_overrides, sizeof *c.set_paths))) {
        scni_nomem(&c);
        goto out;
    }
    for (; c.n_set < n_overrides; c.n_set++)
        if (apply_override(&c, root, overrides[c.n_set], &c.set_paths[c.n_set]))
            goto out;
    c.setting = NULL;
    scni_path_pop(&c, 1);
    if (!(s = calloc(1, sizeof *s)) || !(s->path = strdup(name)) ||
        !(s->json = jsonx_print(root, false))) {
        scni_nomem(&c);
        scn_free(s);
        s = NULL;
        goto out;
    }
    if (parse_scenario(&c, root, s) || keep_overrides(&c, s)) {
        scn_free(s);
        s = NULL;
    }
out:
    for (size_t i = 0; c.set_paths && i < n_overrides; i++)
        free(c.set_paths[i]);
    free(c.set_paths);
    cJSON_Delete(root);
    return s;
}

struct scenario *scn_parse_bytes(const char *name, const char *text, size_t len,
                                 const char *const *overrides, size_t n_overrides,
                                 char *err, size_t errlen)
{
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        struct ctx c = { .file = name, .err = err, .errlen = errlen };
        bad_json(&c, text, nul, true);   /* cJSON would stop at the NUL and ignore the rest */
        return NULL;
    }
    return scn_parse(name, text, overrides, n_overrides, err, errlen);
}

int scn_parse_duration(const char *text, int64_t *out_us)
{
    return scni_parse_duration(text, out_us);
}

bool scn_time_value(const cJSON *v, int64_t *epoch_us)
{
    return scni_to_epoch_us(v, epoch_us);
}

char *scn_read_text(const char *path, size_t *len, char *err, size_t errlen)
{
    return scni_read_text_file(path, "file", len, err, errlen);
}

int scn_json_check(const char *file, const cJSON *root, char *err, size_t errlen)
{
    struct ctx c = { .file = file, .err = err, .errlen = errlen, .path = "$", .plen = 1 };
    return check_utf8(&c, root, true);
}

cJSON *scn_json_parse(const char *file, const char *text, size_t len, char *err, size_t errlen)
{
    struct ctx c = { .file = file, .err = err, .errlen = errlen };
    const char *nul = memchr(text, '\0', len), *end = NULL;
    cJSON *root = nul ? NULL : parse_marked(text, &end);
    if (!root)
        bad_json(&c, text, nul ? nul : end ? end : text, nul != NULL);
    else if (scn_json_check(file, root, err, errlen)) {
        cJSON_Delete(root);
        root = NULL;
    }
    return root;
}

struct scenario *scn_load(const char *path, const char *const *overrides,
                          size_t n_overrides, char *err, size_t errlen)
{
    size_t len;
    char *text = scni_read_text_file(path, "scenario file", &len, err, errlen);
    if (!text)
        return NULL;
    struct scenario *s = scn_parse_bytes(path, text, len, overrides, n_overrides, err, errlen);
    free(text);
    return s;
}

void scn_footprint(const struct scenario *s, enum fpt_case c, struct fpt_estimate *out)
{
    fpt_estimate(&s->cfg, s->json ? strlen(s->json) : 0, c, out);
}

void scn_free(struct scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_sets; i++) {
        free(s->sets[i]);
        free(s->set_paths[i]);
    }
    free(s->sets);
    free(s->set_paths);
    for (size_t i = 0; i < s->cfg.n_producers; i++) {
        struct cfg_producer *p = &s->cfg.producers[i];
        free(p->name);
        free(p->keys.prefix);
        for (size_t k = 0; k < p->keys.n_list; k++)
            free(p->keys.list[k]);
        free(p->keys.list);
        scni_free_dist(&p->record_bytes);
        free(p->bursts);
        free(p->series);
    }
    free(s->cfg.producers);
    for (size_t i = 0; i < s->cfg.n_records; i++) {
        free(s->cfg.records[i].partition_key);
        free(s->cfg.records[i].data);
    }
    free(s->cfg.records);
    scni_free_function(&s->cfg.function);
    scni_free_mapping(&s->cfg.mapping);
    for (size_t i = 0; i < s->cfg.n_schedule; i++) {
        if (s->cfg.schedule[i].function)
            scni_free_function(s->cfg.schedule[i].function);
        if (s->cfg.schedule[i].mapping)
            scni_free_mapping(s->cfg.schedule[i].mapping);
        free(s->cfg.schedule[i].function);
        free(s->cfg.schedule[i].mapping);
    }
    free(s->cfg.schedule);
    for (size_t i = 0; i < s->n_expect; i++)
        free(s->expect[i].metric);
    free(s->expect);
    for (size_t i = 0; i < s->cfg.stream.n_reshard; i++) {
        free(s->cfg.stream.reshard[i].shard);
        free(s->cfg.stream.reshard[i].adjacent);
        free(s->cfg.stream.reshard[i].hash_key);
    }
    free(s->cfg.stream.reshard);
    free(s->cfg.stream.name);
    free(s->cfg.model.region);
    free(s->cfg.model.account);
    free(s->path);
    free(s->name);
    free(s->description);
    free(s->json);
    free(s);
}
