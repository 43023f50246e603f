/*
 * function.c - the Lambda function as a model (SPEC 1.5, R11).
 *
 * An invocation handles its records in order: a fixed part, then each
 * record's part, plus the extra time of "slow" failure rules.  A record a
 * "fail" rule matches is not handled; the report style says what follows:
 * throw stops there and throws (the records before it were handled, their
 * side effects happened), first-failure and the buggy single-item styles stop
 * there and return it, all-failures and wrong-list-key go on to the end and
 * return every failure.  all-failures is Powertools' batch processor: when
 * every record failed it throws (BatchProcessingError, FullBatchFailureError)
 * unless that is turned off (all-failures-no-raise).  Past the timeout the
 * invocation ends as "Task timed out": the records finished by then were
 * handled.
 *
 * A cold start's Init phase runs before the handler and outside its timeout,
 * up to FN_INIT_LIMIT_US; an init that needs longer is cut there and run
 * again inside the invocation, where it counts against the timeout (AWS's
 * execution environment lifecycle, "suppressed init").
 *
 * Execution environments: an invocation takes an idle one (warm) or starts a
 * new one (cold start).  Idle environments are reclaimed after idle_timeout.
 * Concurrency is capped by the reserved concurrency, or the account limit.
 *
 * A real handler (SPEC section 4): the model still runs, for the duration and
 * the timeout alone (only "slow" rules are allowed then), and the backend's
 * answer replaces the outcome.  The environments stay the model's, so cold
 * starts never depend on which real process answered; an environment whose
 * process ended (exit, crash, init error, wall timeout) ends too, so the
 * next invocation is a cold start.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "engine.h"
#include "function.h"
#include "keytab.h"
#include "config.h"
#include "stream.h"

struct fn {
    struct eng *e;
    const struct cfg_function *cfg;
    const struct keytab *keys;
    const struct stm *stream;
    gsl_rng *rng_duration;   /* per-invoke, per-record and cold-start draws */
    gsl_rng *rng_failure;    /* probability rules and slow extras */
    uint32_t limit;          /* concurrent invocations allowed */
    uint32_t running, peak;
    /* Idle environments by the time they became idle, oldest first:
     * idle[lo..hi).  The newest is reused first, the oldest reclaimed. */
    int64_t *idle;
    size_t lo, hi, cap;
    struct fn_backend backend;   /* a real handler's; submit NULL: the model */
};

void fn_update(struct fn *f, const struct cfg_function *cfg)
{
    f->cfg = cfg;
    /* A lower limit than what runs now throttles new invocations only. */
    f->limit = cfg->reserved_concurrency >= 0 ? (uint32_t)cfg->reserved_concurrency
                                              : cfg->account_concurrency;
}

struct fn *fn_create(struct eng *e, const struct cfg_function *cfg,
                     const struct keytab *keys, const struct stm *stream,
                     char *err, size_t errlen)
{
    struct fn *f = calloc(1, sizeof *f);
    if (!f)
        goto nomem;
    f->e = e;
    f->keys = keys;
    f->stream = stream;
    fn_update(f, cfg);
    f->rng_duration = eng_rng_create(e, "function/duration");
    f->rng_failure = eng_rng_create(e, "function/failures");
    f->cap = 64;
    f->idle = malloc(f->cap * sizeof *f->idle);
    if (!f->rng_duration || !f->rng_failure || !f->idle)
        goto nomem;
    return f;
nomem:
    fn_destroy(f);
    snprintf(err, errlen, "function: out of memory");
    return NULL;
}

void fn_destroy(struct fn *f)
{
    if (!f)
        return;
    if (f->rng_duration)
        gsl_rng_free(f->rng_duration);
    if (f->rng_failure)
        gsl_rng_free(f->rng_failure);
    free(f->idle);
    free(f);
}

bool fn_acquire(struct fn *f, bool *cold_start)
{
    if (f->running >= f->limit)
        return false;
    int64_t now = eng_now(f->e);
    while (f->lo < f->hi && now - f->idle[f->lo] >= f->cfg->idle_timeout_us)
        f->lo++;
    *cold_start = f->lo == f->hi;
    if (!*cold_start)
        f->hi--;
    if (++f->running > f->peak)
        f->peak = f->running;
    return true;
}

void fn_release(struct fn *f)
{
    f->running--;
    if (f->hi == f->cap) {
        /* Slide the live part down, or grow when it fills the array. */
        if (f->lo > 0) {
            memmove(f->idle, f->idle + f->lo, (f->hi - f->lo) * sizeof *f->idle);
            f->hi -= f->lo;
            f->lo = 0;
        } else {
            int64_t *idle = realloc(f->idle, 2 * f->cap * sizeof *idle);
            if (!idle)
                return;   /* the environment is reclaimed instead: harmless */
            f->idle = idle;
            f->cap *= 2;
        }
    }
    f->idle[f->hi++] = eng_now(f->e);
}

/* The environment ends with its invocation: not kept idle. */
static void end_environment(struct fn *f)
{
    f->running--;
}

uint32_t fn_running(const struct fn *f) { return f->running; }
uint32_t fn_peak(const struct fn *f) { return f->peak; }

static bool rule_matches(struct fn *f, const struct cfg_failure *rule,
                         const struct stm_record *r, int64_t start_us)
{
    switch (rule->match) {
    case CFG_MATCH_KEY:
        return strcmp(keytab_key(f->keys, r->key_id), rule->text) == 0;
    case CFG_MATCH_DATA_CONTAINS: {
        const char *data = r->data_id ? stm_data(f->stream, r->data_id) : NULL;
        return data && strstr(data, rule->text);
    }
    case CFG_MATCH_MESSAGE_ID:
        return r->message_id == rule->message_id;
    case CFG_MATCH_PROBABILITY:
        return gsl_rng_uniform(f->rng_failure) < rule->probability;
    case CFG_MATCH_INTERVAL:
        return start_us >= rule->from_us && start_us < rule->to_us;
    case CFG_MATCH_ALL:
        return true;
    }
    return false;
}

/* Styles that stop at the first failing record (the AWS samples); the
 * others work through the whole batch (Powertools, the Go DynamoDB sample). */
static bool stops_at_first_failure(enum cfg_report style)
{
    return style != CFG_REPORT_ALL_FAILURES && style != CFG_REPORT_ALL_FAILURES_NO_RAISE &&
           style != CFG_REPORT_WRONG_LIST_KEY;
}

/* A handler that throws: `throw` at its first failure; Powertools' batch
 * processor (raise_on_entire_batch_failure, throwOnFullBatchFailure: on by
 * default) when every record of the batch failed. */
static bool throws(enum cfg_report style, uint32_t n, uint32_t n_failed)
{
    if (style == CFG_REPORT_THROW)
        return n_failed > 0;
    return style == CFG_REPORT_ALL_FAILURES && n > 0 && n_failed == n;
}

/* What a function that returned normally hands back, per report style. */
static void build_response(const struct cfg_function *cfg, struct stm_record *const *recs,
                           uint32_t n, const struct fn_scratch *scratch, struct fn_result *out)
{
    struct rsp_response *r = &out->response;
    *r = (struct rsp_response){ .shape = RSP_LIST, .items = scratch->items };
    if (out->n_failed == 0) {
        if (cfg->report == CFG_REPORT_THROW)
            r->shape = RSP_NULL;          /* a handler that throws returns nothing */
        return;                           /* {"batchItemFailures": []} */
    }
    const struct stm_record *first = recs[out->failed[0]];
    switch (cfg->report) {
    case CFG_REPORT_THROW:                /* threw instead: not reached */
    case CFG_REPORT_FIRST_FAILURE:
    case CFG_REPORT_ALL_FAILURES:         /* some failed, not all */
    case CFG_REPORT_ALL_FAILURES_NO_RAISE:
    case CFG_REPORT_WRONG_LIST_KEY:
        for (uint32_t k = 0; k < out->n_failed; k++)
            scratch->items[k] = (struct rsp_item){ RSP_ITEM_SEQUENCE,
                                                   recs[out->failed[k]]->seq };
        r->n_items = out->n_failed;
        if (cfg->report == CFG_REPORT_WRONG_LIST_KEY) {
            r->shape = RSP_OBJECT;
            r->list_key = "BatchItemFailures";
        }
        return;
    case CFG_REPORT_EMPTY_IDENTIFIER:
        scratch->items[0] = (struct rsp_item){ RSP_ITEM_EMPTY, 0 };
        break;
    case CFG_REPORT_WRONG_KEY:
        scratch->items[0] = (struct rsp_item){ RSP_ITEM_MISSING, first->seq };
        r->item_key = "ItemIdentifier";
        break;
    case CFG_REPORT_UNKNOWN_SEQUENCE:
        /* one past the batch's last record: a number that is not in it */
        scratch->items[0] = (struct rsp_item){ RSP_ITEM_SEQUENCE, recs[n - 1]->seq + 1 };
        break;
    }
    r->n_items = 1;
}

/*
 * When every record takes the same constant time c and no failure rule
 * applies, the handler's time after its n records, from t: t + n * c, if
 * that is within the deadline, else -1 (the caller then adds the records
 * one by one).  The same double the record-by-record additions give: t and
 * c whole and every partial sum at most 2^52 make each addition exact (the
 * n additions, a chain of dependent ones, were most of an invocation's
 * cost: issue 15 item 1).
 */
static double constant_records(double t, double c, uint32_t n, double deadline)
{
    if (c < 0 || c != floor(c) || t < 0 || t != floor(t))
        return -1;
    double end = t + (double)n * c;   /* exact when the true sum is at most 2^52 */
    return end <= 0x1p52 && end <= deadline ? end : -1;
}

void fn_invoke(struct fn *f, int64_t start_us, bool cold_start,
               struct stm_record *const *recs, uint32_t n,
               const struct fn_scratch *scratch, struct fn_result *out)
{
    const struct cfg_function *cfg = f->cfg;
    /* t: time since the invocation started.  A cold start's Init phase
     * comes first, outside the timeout up to FN_INIT_LIMIT_US; an init that
     * needs longer is cut there and run again (the same work: the same
     * duration) under the timeout, before the handler. */
    double t = dist_draw(&cfg->per_invoke, f->rng_duration);
    double outside = 0;   /* the part of t that the timeout does not count */
    if (cold_start) {
        double init = dist_draw(&cfg->cold_start, f->rng_duration);
        outside = init <= (double)FN_INIT_LIMIT_US ? init : (double)FN_INIT_LIMIT_US;
        t += init <= (double)FN_INIT_LIMIT_US ? init : outside + init;
    }
    double deadline = outside + (double)cfg->timeout_us;   /* t may not pass it */

    *out = (struct fn_result){ .outcome = OUTCOME_SUCCESS, .cold_start = cold_start,
                               .timeout_us = cfg->timeout_us,
                               .failed = scratch->failed };
    uint32_t i = 0;
    if (cfg->n_failures == 0 && cfg->per_record.kind == DIST_CONSTANT) {
        double end = constant_records(t, cfg->per_record.value, n, deadline);
        if (end >= 0) {
            t = end;
            i = n;
        }
    }
    for (; i < n && t <= deadline; i++) {
        bool fails = false;
        t += dist_draw(&cfg->per_record, f->rng_duration);
        for (size_t k = 0; k < cfg->n_failures; k++) {
            const struct cfg_failure *rule = &cfg->failures[k];
            if (!rule_matches(f, rule, recs[i], start_us))
                continue;
            if (rule->effect == CFG_EFFECT_SLOW)
                t += dist_draw(&rule->extra, f->rng_failure);
            else
                fails = true;
        }
        if (t > deadline)
            break;               /* timed out while working on record i */
        if (fails) {
            scratch->failed[out->n_failed++] = i;
            if (stops_at_first_failure(cfg->report)) {
                i++;
                break;
            }
        }
    }
    out->reached = i;
    if (t > deadline) {
        out->outcome = OUTCOME_TIMEOUT;
        out->error = "Task timed out";
        t = deadline;
    } else if (throws(cfg->report, n, out->n_failed)) {
        out->outcome = OUTCOME_ERROR;
        out->error = "Unhandled";
    } else {
        build_response(cfg, recs, n, scratch, out);
        out->returned_state = cfg->returns_state;
    }
    out->duration_us = llround(t);
}

/* ---- a real handler ---------------------------------------------------- */

void fn_set_backend(struct fn *f, const struct fn_backend *b)
{
    f->backend = *b;
}

bool fn_real(const struct fn *f)
{
    return f->backend.submit != NULL;
}

bool fn_reads_records(const struct fn *f)
{
    return f->cfg->n_failures > 0;
}

/* The handler's answer a into the result of recs[0..n), whose outcome so
 * far is the model's (a timeout stays one). */
static void apply_answer(const struct fn_answer *a, struct stm_record *const *recs, uint32_t n,
                         const struct fn_scratch *scratch, struct fn_result *out)
{
    out->answered = true;
    out->environment_ended = a->environment_ended;
    out->answer = a->body;
    out->answer_len = a->body_len;
    if (out->outcome == OUTCOME_TIMEOUT)
        return;                  /* nothing handled: how far it got is not known */
    if (!a->responded) {
        out->outcome = OUTCOME_ERROR;
        out->error = a->error && a->error[0] ? a->error : "Unhandled";
        return;
    }
    out->outcome = OUTCOME_SUCCESS;
    out->reached = n;
    out->response = a->response;
    out->state = a->state;
    out->state_len = a->state_len;
    out->returned_state = a->state != NULL;
    /* Both ascending: the records' sequence numbers and the failed ones. */
    for (uint32_t i = 0, k = 0; i < n; i++) {
        while (k < a->n_failed && a->failed[k] < recs[i]->seq)
            k++;
        if (k < a->n_failed && a->failed[k] == recs[i]->seq)
            scratch->failed[out->n_failed++] = i;
    }
}

int fn_submit(struct fn *f, uint64_t invocation_id, int64_t start_us, bool cold_start,
              struct stm_record *const *recs, uint32_t n, const struct slog_event *ev,
              const struct fn_scratch *scratch, struct fn_result *out)
{
    const struct cfg_function *cfg = f->cfg;
    /* The model's duration and timeout: with a handler its rules only slow. */
    fn_invoke(f, start_us, cold_start, recs, n, scratch, out);
    bool timed_out = out->outcome == OUTCOME_TIMEOUT;
    *out = (struct fn_result){
        .outcome = timed_out ? OUTCOME_TIMEOUT : OUTCOME_SUCCESS,
        .duration_us = out->duration_us, .timeout_us = out->timeout_us,
        .cold_start = cold_start, .error = timed_out ? "Task timed out" : NULL,
        .failed = scratch->failed, .invocation_id = invocation_id, .start_us = start_us,
    };
    if (f->backend.submit(f->backend.ctx, invocation_id, ev, cfg->timeout_us) < 0)
        return -1;
    if (!cfg->handler || !cfg->handler->measured)
        return 0;
    /* "measured": the handler's own time, its init (a real cold start) first. */
    struct fn_answer a;
    if (f->backend.wait(f->backend.ctx, invocation_id, &a) < 0)
        return -1;
    bool late = a.wall_us > cfg->timeout_us;
    out->duration_us = a.init_us + (late ? cfg->timeout_us : a.wall_us);
    if (late) {
        out->outcome = OUTCOME_TIMEOUT;
        out->error = "Task timed out";
    }
    apply_answer(&a, recs, n, scratch, out);
    return 0;
}

int fn_collect(struct fn *f, struct stm_record *const *recs, uint32_t n,
               const struct fn_scratch *scratch, struct fn_result *out)
{
    if (out->answered)
        return 0;
    struct fn_answer a;
    if (f->backend.wait(f->backend.ctx, out->invocation_id, &a) < 0)
        return -1;
    apply_answer(&a, recs, n, scratch, out);
    return 0;
}

void fn_finish(struct fn *f, int64_t end_us, const struct fn_result *res)
{
    if (res->environment_ended)
        end_environment(f);
    else
        fn_release(f);
    if (!fn_real(f) || !res->answered)
        return;
    struct fn_end end = { .start_us = res->start_us, .end_us = end_us,
                          .timed_out = res->outcome == OUTCOME_TIMEOUT,
                          .timeout_us = res->timeout_us };
    f->backend.done(f->backend.ctx, res->invocation_id, &end);
}
