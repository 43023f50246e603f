/*
 * scenario_function.c - the function section of a scenario (SPEC 1.5 and
 * section 2): its limits, duration model (R11), cold start, failure rules
 * (what fails or is slow), report (R7) and state (R15), or a real handler
 * (SPEC section 4); and what a function config owns, freed.
 */
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"

/* ---- the function ------------------------------------------------------ */

static const struct text_rule NONEMPTY_DATA = {
    .min = 1, .max = SIZE_MAX, .data = true, .what = "a non-empty string" };
static const struct text_rule FUNCTION_NAME = {
    .min = 1, .max = 64, .chars = ALNUM "-_", .what = "a function name (1 to 64 letters, digits, - or _)" };

static const char *const MATCH_KEYS[] = {
    "key", "data_contains", "message_id", "probability", "from", "to", "all", NULL };

/* match: exactly one of key, data_contains, message_id, probability, from+to, all. */
static int parse_match(struct ctx *c, const cJSON *m, struct cfg_failure *f)
{
    int64_t id = 0;
    bool all = false;
    int kinds = !!scni_item(m, "key") + !!scni_item(m, "data_contains") + !!scni_item(m, "message_id") +
                !!scni_item(m, "probability") + !!(scni_item(m, "from") || scni_item(m, "to")) +
                !!scni_item(m, "all");
    if (kinds != 1)
        return scni_fail(c, NULL, "expected exactly one of: key, data_contains, message_id, probability, "
                         "from and to, all");
    if (scni_item(m, "key")) {
        f->match = CFG_MATCH_KEY;
        return scni_get_string(c, m, "key", REQ, &PARTITION_KEY, NULL, &f->text);
    }
    if (scni_item(m, "data_contains")) {
        f->match = CFG_MATCH_DATA_CONTAINS;
        return scni_get_string(c, m, "data_contains", REQ, &NONEMPTY_DATA, NULL, &f->text);
    }
    if (scni_item(m, "message_id")) {
        f->match = CFG_MATCH_MESSAGE_ID;
        if (scni_get_int(c, m, "message_id", REQ, 1, (int64_t)MAX_EXACT_INT, 0, &id))
            return -1;
        f->message_id = (uint64_t)id;
        return 0;
    }
    if (scni_item(m, "probability")) {
        f->match = CFG_MATCH_PROBABILITY;
        return scni_get_number(c, m, "probability", REQ, 0, false, 1, 0, &f->probability);
    }
    if (scni_item(m, "all")) {
        f->match = CFG_MATCH_ALL;
        if (scni_get_bool(c, m, "all", true, &all))
            return -1;
        return all ? 0 : scni_expected(c, "all", "true", scni_item(m, "all"));
    }
    f->match = CFG_MATCH_INTERVAL;
    if (scni_get_duration(c, m, "from", REQ, 0, MAX_DURATION_US, 0, &f->from_us) ||
        scni_get_duration(c, m, "to", REQ, 0, MAX_DURATION_US, 0, &f->to_us))
        return -1;
    if (f->to_us <= f->from_us)
        return scni_fail(c, "to", "expected a time after from");
    return 0;
}

static const char *const FAILURE_KEYS[] = { "match", "effect", "extra", NULL };
static const char *const EFFECTS[] = { "fail", "slow", NULL };

static int parse_failure(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct cfg_failure *f = elem;
    const cJSON *m;
    size_t mark;
    int effect = 0;
    if (scni_elem_object(c, v, FAILURE_KEYS) || scni_get_enum(c, v, "effect", OPT, EFFECTS, 0, &effect))
        return -1;
    f->effect = (enum cfg_effect)effect;
    if (scni_enter(c, v, "match", REQ, MATCH_KEYS, &m, &mark))
        return -1;
    int rc = parse_match(c, m, f);
    scni_path_pop(c, mark);
    if (rc)
        return -1;
    if (f->effect == CFG_EFFECT_FAIL && scni_item(v, "extra"))
        return scni_fail(c, "extra", "only with effect \"slow\"");
    return f->effect == CFG_EFFECT_SLOW ? scni_get_dist(c, v, "extra", REQ, QTY_US, 0, &f->extra) : 0;
}

static const char *const FUNCTION_KEYS[] = {
    "name", "timeout", "reserved_concurrency", "account_concurrency", "duration", "cold_start",
    "idle_timeout", "failures", "report", "returns_state", "handler", "memory_mb", NULL };
static const char *const FUNCTION_DURATION_KEYS[] = { "per_invoke", "per_record", NULL };
static const char *const HANDLER_KEYS[] = {
    "command", "instances", "env", "cwd", "wall_timeout", "init_timeout", "duration", NULL };
static const char *const HANDLER_DURATIONS[] = { "model", "measured", NULL };
#define MAX_HANDLER_INSTANCES 256   /* handler_pool.c's limit on a pool */
static const char *const REPORTS[] = {   /* by enum cfg_report */
    "throw", "first-failure", "all-failures", "all-failures-no-raise", "empty-identifier", "wrong-key",
    "wrong-list-key", "unknown-sequence", NULL };

/* A NULL-terminated array of n + 1 pointers, zeroed (so it frees cleanly
 * half filled); NULL when out of memory. */
static char **strv_new(size_t n)
{
    return calloc(n + 1, sizeof(char *));
}

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* path as is when absolute, else joined to the folder of the scenario file
 * (file as given: "dir/s.json" gives "dir/path", "s.json" gives "path"). */
static char *from_scenario_folder(const char *file, const char *path)
{
    const char *slash = strrchr(file, '/');
    if (path[0] == '/' || !slash)
        return strdup(path);
    return scni_fmt_dup("%.*s/%s", (int)(slash - file), file, path);
}

/*
 * handler: {"command": ["python3", "bootstrap", "app.handler"], "instances": 4,
 * "env": {"NAME": "value"}, "cwd": "src", "wall_timeout": "30s",
 * "init_timeout": "10s", "duration": "model"} (SPEC section 4), into f->handler.  cwd defaults to
 * the scenario file's folder, and a relative one is taken from there.
 */
static int parse_handler(struct ctx *c, const cJSON *fn, struct cfg_function *f)
{
    static const char what[] = "a non-empty array of non-empty strings, such as [\"node\", \"handler.mjs\"]";
    const cJSON *h, *cmd = NULL, *arg, *env = NULL;
    size_t mark;
    int64_t instances = 1;
    int duration = 0;
    char *cwd = NULL;
    if (scni_enter(c, fn, "handler", OPT, HANDLER_KEYS, &h, &mark))
        return -1;
    if (!h) {
        scni_path_pop(c, mark);
        return 0;
    }
    struct cfg_handler *hd = f->handler = calloc(1, sizeof *f->handler);
    int rc = hd ? scni_lookup(c, h, "command", REQ, what, &cmd) : scni_nomem(c);
    if (!rc) {
        bool ok = cJSON_IsArray(cmd) && cJSON_GetArraySize(cmd) > 0;
        cJSON_ArrayForEach(arg, cmd)
            ok = ok && cJSON_IsString(arg) && arg->valuestring[0];
        rc = ok ? 0 : scni_expected(c, "command", what, cmd);
    }
    if (!rc && !(hd->command = strv_new((size_t)cJSON_GetArraySize(cmd))))
        rc = scni_nomem(c);
    size_t i = 0;
    const cJSON *words = rc ? NULL : cmd;
    cJSON_ArrayForEach(arg, words)
        if (!rc && !(hd->command[i++] = strdup(arg->valuestring)))
            rc = scni_nomem(c);
    rc = rc || scni_get_int(c, h, "instances", OPT, 1, MAX_HANDLER_INSTANCES, 1, &instances) ||
         scni_get_duration(c, h, "wall_timeout", OPT, US_PER_MS, MAX_DURATION_US, 0,
                           &hd->wall_timeout_us) ||
         scni_get_duration(c, h, "init_timeout", OPT, US_PER_MS, MAX_DURATION_US, 0,
                           &hd->init_timeout_us) ||
         scni_get_enum(c, h, "duration", OPT, HANDLER_DURATIONS, 0, &duration) ||
         scni_get_string(c, h, "cwd", OPT, &NONEMPTY, ".", &cwd) ||
         scni_get_object(c, h, "env", OPT, &env);
    if (!rc && !(hd->cwd = from_scenario_folder(c->file, cwd)))
        rc = scni_nomem(c);
    free(cwd);
    if (!rc && !(hd->env = strv_new(env ? (size_t)cJSON_GetArraySize(env) : 0)))
        rc = scni_nomem(c);
    size_t m2 = scni_path_key(c, "env");
    i = 0;
    if (!rc && env)   /* the environment would get both, and the program see the first */
        rc = scni_check_unique(c, env);
    for (const cJSON *v = env && !rc ? env->child : NULL; v && !rc; v = v->next) {
        if (!v->string[0] || strchr(v->string, '='))
            rc = scni_fail(c, v->string, "expected a variable name (not empty, without '=')");
        else if (!cJSON_IsString(v))
            rc = scni_expected(c, v->string, "a string", v);
        else if (!(hd->env[i++] = scni_fmt_dup("%s=%s", v->string, v->valuestring)))
            rc = scni_nomem(c);
    }
    scni_path_pop(c, m2);
    if (hd) {
        hd->instances = (uint32_t)instances;
        hd->measured = duration == 1;
    }
    scni_path_pop(c, mark);
    return rc ? -1 : 0;
}

/*
 * With a handler the program decides what fails (R7) and what state it
 * returns (R15): the model's keys for that are refused rather than ignored.
 * Failure rules of effect "slow" still lengthen the modelled duration (so a
 * slow record still times out); with "measured" durations the handler's wall
 * time is the duration, and nothing of the duration model applies.
 */
static int check_handler_model(struct ctx *c, const cJSON *o, const struct cfg_function *f)
{
    static const char *const duration_keys[] = { "duration", "cold_start", "failures", NULL };
    if (!f->handler)
        return 0;
    if (scni_item(o, "report"))
        return scni_fail(c, "report", "not with a handler: the handler's own response says what "
                         "failed (R7)");
    if (scni_item(o, "returns_state"))
        return scni_fail(c, "returns_state", "not with a handler: its response says whether it has "
                         "a state (R15)");
    for (size_t i = 0; i < f->n_failures; i++) {
        if (f->failures[i].effect != CFG_EFFECT_FAIL)
            continue;
        size_t mark = scni_path_key(c, "failures");
        scni_path_index(c, i);
        scni_fail(c, NULL, "a rule of effect \"fail\" with a handler: the handler decides what fails; "
                  "only \"slow\" rules apply (they lengthen the modelled duration)");
        scni_path_pop(c, mark);
        return -1;
    }
    for (const char *const *k = duration_keys; f->handler->measured && *k; k++)
        if (scni_item(o, *k))
            return scni_fail(c, *k, "not with handler.duration \"measured\": the handler's wall "
                             "time is the duration");
    return 0;
}

/* The keys of a function object o (checked by the caller), or the defaults. */
int scni_parse_function_fields(struct ctx *c, const cJSON *o, struct cfg_function *f)
{
    const cJSON *dur;
    size_t m2;
    int64_t reserved = -1, account = 1000, memory = 128;
    int report = 0;
    int rc = scni_get_string(c, o, "name", OPT, &FUNCTION_NAME, "function", &f->name) ||
        scni_get_duration(c, o, "timeout", OPT, US_PER_S, 900 * US_PER_S, CFG_DEFAULT_TIMEOUT_US,
                          &f->timeout_us) ||
        scni_get_int(c, o, "account_concurrency", OPT, 1, 1000000, CFG_DEFAULT_ACCOUNT_CONCURRENCY, &account) ||
        scni_get_int(c, o, "memory_mb", OPT, 128, 10240, CFG_DEFAULT_MEMORY_MB, &memory) ||
        scni_get_int_or(c, o, "reserved_concurrency", OPT, -1, 0, 10000, -1, &reserved) ||
        (reserved > account ? scni_fail(c, "reserved_concurrency", "expected at most account_concurrency "
                                        "(%lld)", (long long)account) : 0) ||
        scni_get_dist(c, o, "cold_start", OPT, QTY_US, CFG_DEFAULT_COLD_START_US, &f->cold_start) ||
        scni_get_duration(c, o, "idle_timeout", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_IDLE_TIMEOUT_US,
                          &f->idle_timeout_us) ||
        scni_get_list(c, o, "failures", sizeof *f->failures, &f->failures, &f->n_failures, parse_failure, NULL) ||
        scni_get_enum(c, o, "report", OPT, REPORTS, 0, &report) ||
        scni_get_bool(c, o, "returns_state", true, &f->returns_state) ||
        parse_handler(c, o, f) || check_handler_model(c, o, f);
    if (!rc && !(rc = scni_enter(c, o, "duration", OPT, FUNCTION_DURATION_KEYS, &dur, &m2))) {
        rc = scni_get_dist(c, dur, "per_invoke", OPT, QTY_US, CFG_DEFAULT_PER_INVOKE_US, &f->per_invoke) ||
             scni_get_dist(c, dur, "per_record", OPT, QTY_US, CFG_DEFAULT_PER_RECORD_US, &f->per_record);
        scni_path_pop(c, m2);
    }
    f->reserved_concurrency = reserved;
    f->account_concurrency = (uint32_t)account;
    f->memory_mb = (uint32_t)memory;
    f->report = (enum cfg_report)report;
    return rc ? -1 : 0;
}

int scni_parse_function(struct ctx *c, const cJSON *root, struct cfg_function *f)
{
    const cJSON *o;
    size_t mark;
    if (scni_enter(c, root, "function", OPT, FUNCTION_KEYS, &o, &mark))
        return -1;
    int rc = scni_parse_function_fields(c, o, f);
    scni_path_pop(c, mark);
    return rc;
}

/* What a function config owns (not f itself). */
void scni_free_function(struct cfg_function *f)
{
    for (size_t i = 0; i < f->n_failures; i++) {
        free(f->failures[i].text);
        scni_free_dist(&f->failures[i].extra);
    }
    free(f->failures);
    free(f->name);
    if (f->handler) {
        strv_free(f->handler->command);
        strv_free(f->handler->env);
        free(f->handler->cwd);
        free(f->handler);
    }
    scni_free_dist(&f->per_invoke);
    scni_free_dist(&f->per_record);
    scni_free_dist(&f->cold_start);
}
