/*
 * realfn.c - the function backend of a real handler program (see realfn.h):
 * submit builds the event and queues it on the pool, wait reads the
 * handler's answer into a fn_answer, done writes the invocation's log lines
 * and frees the answer.
 *
 * An answer lives from wait to done: one at a time with modelled durations
 * (both at the invocation's end), as many as invocations in flight with
 * measured ones (wait at the start).  A small array, searched linearly.
 */
#include "realfn.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "awsjson.h"
#include "errmsg.h"
#include "handler.h"
#include "scenario.h"

/* What an answer owns, from wait to done. */
struct answer {
    uint64_t invocation_id;
    struct hdl_result res;
    cJSON *json;              /* the response parsed, or NULL */
    struct rsp_item *items;   /* the batchItemFailures items as R7 reads them */
    uint64_t *failed;         /* the sequence numbers named as failed, ascending, distinct */
    uint32_t n_failed;
    char *state;              /* the state re-printed, or NULL */
    char *list_key;           /* a misspelt list key, or NULL */
    char *item_key;           /* the first misspelt item key, or NULL */
};

/* An environment's last logged invocation: where what its process prints
 * after that answer goes at the end (rfn_finish). */
struct last_logged {
    uint64_t invocation_id;   /* 0: none yet */
    uint32_t lines;           /* its lines so far */
};

struct rfn {
    const struct scenario *scn;
    struct hdl_pool *pool;
    struct last_logged *last;      /* one per environment (instances) */
    int64_t end_us;                /* rfn_finish's: the run's end (virtual) */
    const struct slog *log;        /* the run log's sink, for the log lines; may be NULL */
    struct answer **answers;       /* waited for, not done */
    size_t n_answers, cap_answers;
    struct answer scratch;         /* rfn_read_response()'s */
    bool failed;
    char error[512];               /* why the run stopped */
};

/* ---- life cycle ------------------------------------------------------------------ */

struct rfn *rfn_create(const struct scenario *scn, volatile sig_atomic_t *interrupted,
                       const char **key, char *err, size_t errlen)
{
    const struct cfg_handler *h = scn->cfg.function.handler;
    struct rfn *r = calloc(1, sizeof *r);
    *key = "function.handler";
    if (!r) {
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    r->scn = scn;
    struct hdl_config cfg = {
        .command = (const char *const *)h->command,
        .instances = h->instances,
        .env = (const char *const *)h->env,
        .cwd = h->cwd,
        .wall_timeout_ms = h->wall_timeout_us / 1000,
        .init_timeout_ms = h->init_timeout_us / 1000,
        .function_name = scn->cfg.function.name,
        .region = scn->cfg.model.region,
        .function_arn = scn->cfg.mapping.function_arn,
        .memory_mb = scn->cfg.function.memory_mb,
        .epoch_ms = scn->cfg.model.epoch_ms,
        .interrupted = interrupted,
    };
    r->last = calloc(h->instances, sizeof *r->last);
    if (!r->last) {
        errmsg_set(err, errlen, "out of memory");
        free(r);
        return NULL;
    }
    if (!(r->pool = hdl_pool_create(&cfg, key, err, errlen))) {
        free(r->last);
        free(r);
        return NULL;
    }
    return r;
}

static void answer_free(struct answer *a)
{
    if (!a)
        return;
    hdl_result_clear(&a->res);
    cJSON_Delete(a->json);
    free(a->items);
    free(a->failed);
    free(a->state);
    free(a->list_key);
    free(a->item_key);
    *a = (struct answer){ 0 };
}

void rfn_destroy(struct rfn *r)
{
    if (!r)
        return;
    hdl_pool_destroy(r->pool);
    for (size_t i = 0; i < r->n_answers; i++) {
        answer_free(r->answers[i]);
        free(r->answers[i]);
    }
    free(r->answers);
    answer_free(&r->scratch);
    free(r->last);
    free(r);
}

void rfn_set_log(struct rfn *r, const struct slog *log)
{
    r->log = log;
}

uint64_t rfn_processes(struct rfn *r)
{
    return hdl_started(r->pool);
}

const char *rfn_error(const struct rfn *r)
{
    return r->failed ? r->error : NULL;
}

/* Latch why the run stops. */
static int rfn_fail(struct rfn *r, const char *what, const char *why)
{
    if (!r->failed) {
        r->failed = true;
        errmsg_set(r->error, sizeof r->error, "function.handler: %s%s%s", what,
                   *what && *why ? ": " : "", why);
    }
    return -1;
}

/* ---- reading a response (R7, R15) --------------------------------------------------- */

/* A sequence number's exact decimal text: digits, no sign, no leading zero,
 * at most 2^64 - 1. */
static bool sequence_text(const char *s, uint64_t *out)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || s[n] || n > 20 || (s[0] == '0' && n > 1))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* An itemIdentifier value as R7 reads it.  Choice: an integer is read as its
 * decimal text, as a Java service's JSON binding (Jackson's default scalar
 * coercion) reads a number into a String field. */
static struct rsp_item read_identifier(const cJSON *v)
{
    struct rsp_item it = { .kind = RSP_ITEM_INVALID };
    if (cJSON_IsNull(v))
        it.kind = RSP_ITEM_NULL;
    else if (cJSON_IsString(v) && !v->valuestring[0])
        it.kind = RSP_ITEM_EMPTY;
    else if (cJSON_IsString(v) && sequence_text(v->valuestring, &it.sequence_number))
        it.kind = RSP_ITEM_SEQUENCE;
    else if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0 &&
             v->valuedouble == (double)(uint64_t)v->valuedouble) {
        it.kind = RSP_ITEM_SEQUENCE;
        it.sequence_number = (uint64_t)v->valuedouble;
    }
    return it;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The items of list (an array) into a->items, and the sequence numbers they
 * name into a->failed.  -1 when out of memory. */
static int read_items(struct answer *a, const cJSON *list, struct rsp_response *rsp)
{
    uint32_t n = (uint32_t)cJSON_GetArraySize(list);
    a->items = malloc((n ? n : 1) * sizeof *a->items);
    a->failed = malloc((n ? n : 1) * sizeof *a->failed);
    if (!a->items || !a->failed)
        return -1;
    const cJSON *e;
    uint32_t i = 0;
    cJSON_ArrayForEach(e, list) {
        struct rsp_item it = { .kind = RSP_ITEM_MISSING };
        const cJSON *id = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, RSP_ITEM_KEY) : NULL;
        if (id) {
            it = read_identifier(id);
        } else if (cJSON_IsObject(e) && e->child) {
            /* the key misspelt ("ItemIdentifier"): its value still names a record */
            struct rsp_item under = read_identifier(e->child);
            if (under.kind == RSP_ITEM_SEQUENCE)
                it.sequence_number = under.sequence_number;
            if (!a->item_key && !(a->item_key = strdup(e->child->string)))
                return -1;
            if (under.kind == RSP_ITEM_SEQUENCE)
                a->failed[a->n_failed++] = under.sequence_number;
        }
        if (it.kind == RSP_ITEM_SEQUENCE)
            a->failed[a->n_failed++] = it.sequence_number;
        a->items[i++] = it;
    }
    qsort(a->failed, a->n_failed, sizeof *a->failed, cmp_u64);
    uint32_t distinct = 0;
    for (uint32_t k = 0; k < a->n_failed; k++)
        if (distinct == 0 || a->failed[k] != a->failed[distinct - 1])
            a->failed[distinct++] = a->failed[k];
    a->n_failed = distinct;
    rsp->items = a->items;
    rsp->n_items = n;
    rsp->item_key = a->item_key;
    return 0;
}

/* The key of obj that is "batchItemFailures" in another case, or NULL. */
static const cJSON *misspelt_list(const cJSON *obj)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, obj)
        if (k->string && !strcasecmp(k->string, RSP_LIST_KEY) && strcmp(k->string, RSP_LIST_KEY))
            return k;
    return NULL;
}

/* A response body into a->json, out->response, failed and state.  -1 when
 * out of memory. */
static int read_response(struct answer *a, const char *body, size_t len, struct fn_answer *out)
{
    struct rsp_response *rsp = &out->response;
    *rsp = (struct rsp_response){ .shape = RSP_NULL };
    size_t blank = 0;
    while (blank < len && strchr(" \t\r\n", body[blank]))
        blank++;
    if (blank == len)
        return 0;                /* nothing returned: null */
    const char *end = NULL;
    a->json = cJSON_ParseWithLengthOpts(body, len, &end, false);
    bool trailing = false;   /* anything but blanks after the value */
    for (const char *p = a->json && end ? end : body + len; p < body + len; p++)
        trailing = trailing || !strchr(" \t\r\n", *p) || !*p;
    if (!a->json || trailing) {
        *rsp = (struct rsp_response){ .shape = RSP_INVALID, .invalid = "the response is not JSON" };
        return 0;
    }
    /* An empty value is an empty response (R7: a full success): AWS took
     * a handler's `return []` so (LocalStack's AWS-validated snapshot
     * test_kinesis_report_batch_item_success_scenarios[empty_list_success]);
     * "" is empty the same way (choice). */
    if (cJSON_IsNull(a->json) || (cJSON_IsArray(a->json) && !a->json->child) ||
        (cJSON_IsString(a->json) && !a->json->valuestring[0]))
        return 0;
    if (!cJSON_IsObject(a->json)) {
        *rsp = (struct rsp_response){ .shape = RSP_INVALID,
                                      .invalid = "the response is neither an object nor null" };
        return 0;
    }
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(a->json, "state");
    if (state && !cJSON_IsNull(state)) {
        if (!(a->state = cJSON_PrintUnformatted(state)))
            return -1;
        out->state = a->state;
        out->state_len = strlen(a->state);
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(a->json, RSP_LIST_KEY);
    if (!list) {
        const cJSON *other = misspelt_list(a->json);
        rsp->shape = RSP_OBJECT;
        if (!other)
            return 0;
        if (!(a->list_key = strdup(other->string)))
            return -1;
        rsp->list_key = a->list_key;
        return cJSON_IsArray(other) ? read_items(a, other, rsp) : 0;
    }
    if (cJSON_IsNull(list)) {
        rsp->shape = RSP_LIST_NULL;
        return 0;
    }
    if (!cJSON_IsArray(list)) {
        *rsp = (struct rsp_response){ .shape = RSP_INVALID,
                                      .invalid = "batchItemFailures is not a list" };
        return 0;
    }
    rsp->shape = RSP_LIST;
    return read_items(a, list, rsp);
}

int rfn_read_response(struct rfn *r, const char *body, size_t len, struct fn_answer *out)
{
    answer_free(&r->scratch);
    *out = (struct fn_answer){ .responded = true, .body = body, .body_len = len };
    if (read_response(&r->scratch, body, len, out) < 0)
        return -1;
    out->failed = r->scratch.failed;
    out->n_failed = r->scratch.n_failed;
    return 0;
}

/* ---- the backend ------------------------------------------------------------------ */

static int rfn_submit(void *ctx, uint64_t invocation_id, const struct slog_event *ev,
                      int64_t timeout_us)
{
    struct rfn *r = ctx;
    char request_id[AWSJSON_UUID_LEN + 1], err[512];
    awsjson_request_id(invocation_id, request_id);
    char *event = awsjson_event(ev);
    if (!event)
        return rfn_fail(r, "the event of an invocation", "out of memory");
    int rc = hdl_submit(r->pool, invocation_id, request_id, event, strlen(event),
                        (timeout_us + 999) / 1000, err, sizeof err);
    free(event);
    return rc < 0 ? rfn_fail(r, "", err) : 0;
}

static int rfn_wait(void *ctx, uint64_t invocation_id, struct fn_answer *out)
{
    struct rfn *r = ctx;
    char err[512];
    if (r->n_answers == r->cap_answers) {
        size_t cap = r->cap_answers ? 2 * r->cap_answers : 8;
        struct answer **grown = realloc(r->answers, cap * sizeof *grown);
        if (!grown)
            return rfn_fail(r, "an answer", "out of memory");
        r->answers = grown;
        r->cap_answers = cap;
    }
    struct answer *a = calloc(1, sizeof *a);
    if (!a)
        return rfn_fail(r, "an answer", "out of memory");
    if (hdl_wait(r->pool, invocation_id, &a->res, err, sizeof err) < 0) {
        free(a);
        return rfn_fail(r, "", err);
    }
    a->invocation_id = invocation_id;
    r->answers[r->n_answers++] = a;
    const struct hdl_result *res = &a->res;
    *out = (struct fn_answer){
        .responded = res->kind == HDL_RESPONSE,
        .error = res->error_type,
        .environment_ended = res->kind == HDL_EXIT || res->kind == HDL_INIT_ERROR ||
                             res->kind == HDL_TIMEOUT,
        .body = res->body, .body_len = res->body_len,
        .wall_us = res->wall_us, .init_us = res->cold_start ? res->init_wall_us : 0,
    };
    if (out->responded && read_response(a, res->body, res->body_len, out) < 0)
        return rfn_fail(r, "an answer", "out of memory");
    out->failed = a->failed;
    out->n_failed = a->n_failed;
    return 0;
}

/* ---- the log lines ------------------------------------------------------------------ */

struct lines {
    const struct slog *log;
    struct slog_line l;
    char *buf;                /* one line, NUL-terminated */
    size_t cap;
};

/* One line of text (len bytes, no newline); NUL bytes become '?'. */
static void put_line(struct lines *w, const char *kind, int64_t at_us, const char *text, size_t len)
{
    if (len + 1 > w->cap) {
        char *grown = realloc(w->buf, len + 1);
        if (!grown)
            return;              /* out of memory: the line is lost, the run goes on */
        w->buf = grown;
        w->cap = len + 1;
    }
    for (size_t i = 0; i < len; i++)
        w->buf[i] = text[i] ? text[i] : '?';
    w->buf[len] = 0;
    w->l.kind = kind;
    w->l.at_us = at_us;
    w->l.text = w->buf;
    w->log->ops->log_line(w->log->ctx, &w->l);
    w->l.line++;
}

/* Every line of text[0..len): a last line without its newline too. */
static void put_lines(struct lines *w, const char *kind, int64_t at_us, const char *text, size_t len)
{
    while (len > 0) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl ? (size_t)(nl - text) : len;
        put_line(w, kind, at_us, text, n);
        text += n + (nl != NULL);
        len -= n + (nl != NULL);
    }
}

static void put_text(struct lines *w, const char *kind, int64_t at_us, const char *text)
{
    put_line(w, kind, at_us, text, strlen(text));
}

/* Lambda's own lines about a failure, before END: the timeout line of the
 * runtime ("<time> <requestId> Task timed out after 3.00 seconds"), or for
 * an error esmsim made itself (an exit, the wall timeout, a response too
 * large) its errorMessage and errorType, as CloudWatch shows them. */
static void put_failure(struct lines *w, const struct rfn *r, const struct answer *a,
                        const struct fn_end *end)
{
    char text[256];
    if (end->timed_out) {
        char when[32];
        int64_t centis = (end->timeout_us + 5000) / 10000;
        awsjson_iso_time(r->scn->cfg.model.epoch_ms, end->end_us, when);
        snprintf(text, sizeof text, "%s %s Task timed out after %" PRId64 ".%02" PRId64 " seconds",
                 when, w->l.request_id, centis / 100, centis % 100);
        put_text(w, "error", end->end_us, text);
        return;
    }
    enum hdl_kind k = a->res.kind;
    if (k != HDL_EXIT && k != HDL_TIMEOUT && k != HDL_TOO_LARGE)
        return;                  /* the runtime logged its own error */
    cJSON *doc = cJSON_ParseWithLength(a->res.body, a->res.body_len);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "errorMessage");
    if (cJSON_IsString(msg))
        put_text(w, "error", end->end_us, msg->valuestring);
    put_text(w, "error", end->end_us, a->res.error_type);
    cJSON_Delete(doc);
}

/* The invocation's lines: what was printed before it was fetched (a cold
 * start's init, or after the previous answer), START, its output, Lambda's
 * failure lines, END, REPORT (the handler's real wall time and memory). */
static void write_log(struct rfn *r, const struct answer *a, const struct fn_end *end)
{
    const struct hdl_result *res = &a->res;
    char request_id[AWSJSON_UUID_LEN + 1], text[HDL_LOG_LINE_MAX];
    awsjson_request_id(a->invocation_id, request_id);
    struct lines w = { .log = r->log,
                       .l = { .invocation_id = a->invocation_id, .request_id = request_id } };
    size_t init = res->log_init_len < res->log_len ? res->log_init_len : res->log_len;
    put_lines(&w, "init", end->start_us, res->log, init);
    hdl_log_start(text, request_id, NULL);
    put_text(&w, "start", end->start_us, text);
    put_lines(&w, "output", end->start_us, res->log + init, res->log_len - init);
    if (res->log_dropped) {
        snprintf(text, sizeof text, "[esmsim: %" PRIu64 " more bytes of output not kept, over %u]",
                 res->log_dropped, HDL_LOG_MAX_BYTES);
        put_text(&w, "output", end->start_us, text);
    }
    put_failure(&w, r, a, end);
    hdl_log_end(text, request_id);
    put_text(&w, "end", end->end_us, text);
    hdl_log_report(text, request_id, res->wall_us, r->scn->cfg.function.memory_mb,
                   res->max_memory_kb, res->cold_start ? res->init_wall_us : 0);
    put_text(&w, "report", end->end_us, text);
    free(w.buf);
    if (res->instance < r->scn->cfg.function.handler->instances)
        r->last[res->instance] = (struct last_logged){ a->invocation_id, w.l.line };
}

static void rfn_done(void *ctx, uint64_t invocation_id, const struct fn_end *end)
{
    struct rfn *r = ctx;
    for (size_t i = 0; i < r->n_answers; i++) {
        struct answer *a = r->answers[i];
        if (a->invocation_id != invocation_id)
            continue;
        if (r->log && r->log->ops->log_line)
            write_log(r, a, end);
        answer_free(a);
        free(a);
        r->answers[i] = r->answers[--r->n_answers];
        return;
    }
}

/* hdl_pool_finish's callback: what a process printed after its last
 * answer, as "output" lines of that invocation after its REPORT, at the
 * run's end. */
static void put_leftover(void *ctx, uint32_t instance, const char *text, size_t len,
                         uint64_t dropped)
{
    struct rfn *r = ctx;
    if (instance >= r->scn->cfg.function.handler->instances || !r->last[instance].invocation_id)
        return;   /* its invocations were never logged (the run ended first) */
    char request_id[AWSJSON_UUID_LEN + 1];
    awsjson_request_id(r->last[instance].invocation_id, request_id);
    struct lines w = { .log = r->log, .l = { .invocation_id = r->last[instance].invocation_id,
                                             .request_id = request_id,
                                             .line = r->last[instance].lines } };
    put_lines(&w, "output", r->end_us, text, len);
    if (dropped) {
        char note[HDL_LOG_LINE_MAX];
        snprintf(note, sizeof note, "[esmsim: %" PRIu64 " more bytes of output not kept, over %u]",
                 dropped, HDL_LOG_MAX_BYTES);
        put_text(&w, "output", r->end_us, note);
    }
    free(w.buf);
}

void rfn_finish(struct rfn *r, int64_t end_us)
{
    r->end_us = end_us;
    bool logging = r->log && r->log->ops->log_line;
    hdl_pool_finish(r->pool, logging ? put_leftover : NULL, r);
}

struct fn_backend rfn_backend(struct rfn *r)
{
    return (struct fn_backend){ .ctx = r, .submit = rfn_submit, .wait = rfn_wait,
                                .done = rfn_done };
}
