/*
 * handler_pool.c - execution environments running a real handler program
 * (handler.h, SPEC section 4): the pool, its invocations and their results,
 * the Runtime API callbacks, its I/O thread and the interface.  Starting and
 * ending processes, their output, and the process-group registry that lets
 * any exit path kill them are handler_proc.c's; CloudWatch's lines are
 * handler_log.c's.
 *
 * The I/O thread does all the work with processes and sockets, under the
 * pool's lock except while it sleeps in poll(): it hands queued invocations
 * to their environments (starting processes), runs the Runtime API endpoints
 * (rapi.c, whose callbacks land here), reads the output pipes, notices exits
 * (its keeper says so) and timeouts.  The caller's thread queues (hdl_submit) and
 * sleeps on the condition variable until a result is there (hdl_wait).
 */
#define _GNU_SOURCE
#include "handler_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "errmsg.h"

#define MAX_INSTANCES 256
#define FINISH_GRACE_MS 2000 /* hdl_pool_finish: how long an answered process may take to be idle */

/* ---- results ------------------------------------------------------------------ */

/* The text of an error document {"errorType":..., "errorMessage":...}, AWS's
 * order; malloc'd, NULL when out of memory. */
static char *error_doc(const char *type, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "errorType", type) ||
        !cJSON_AddStringToObject(o, "errorMessage", message)) {
        cJSON_Delete(o);
        return NULL;
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

void hdl_result_clear(struct hdl_result *r)
{
    free(r->error_type);
    free(r->body);
    free(r->log);
    *r = (struct hdl_result){ 0 };
}

/* The current invocation of e is over: its result is complete. */
static void finish(struct hdl_pool *p, struct env *e)
{
    struct inv *v = e->current;
    int64_t t = hdli_now_us();
    v->res.wall_us = t - (v->fetched ? v->fetched_us : v->started_us);
    v->res.log = v->log.p;
    v->res.log_len = v->log.len;
    v->res.log_dropped = v->log.dropped;
    if (!v->fetched)
        v->res.log_init_len = v->log.len;
    v->log = (struct buf){ 0 };
    if (!v->res.error_type)
        v->res.error_type = strdup("");
    if (!v->res.body)
        v->res.body = strdup("");
    v->done = true;
    e->current = NULL;
    e->head = v->next_queued;
    if (!e->head)
        e->tail = NULL;
    v->next_queued = NULL;
    p->finished = true;   /* the waiters are woken once the lock is released (io_main) */
}

/* End the current invocation with an error esmsim makes itself. */
static void finish_error(struct hdl_pool *p, struct env *e, enum hdl_kind kind,
                         const char *type, const char *message)
{
    struct inv *v = e->current;
    char text[512];
    snprintf(text, sizeof text, "RequestId: %s Error: %s", v->request_id, message);
    v->res.kind = kind;
    free(v->res.error_type);
    free(v->res.body);
    v->res.error_type = strdup(type);
    v->res.body = error_doc(type, text);
    v->res.body_len = v->res.body ? strlen(v->res.body) : 0;
    finish(p, e);
}


/* e's process ended on its own (seen, not reaped yet). */
static void on_exit_seen(struct hdl_pool *p, struct env *e, const siginfo_t *info)
{
    /* An answer posted just before exiting may still sit in the socket. */
    for (int i = 0; i < 4 && !e->doomed && e->current; i++)
        rapi_run(e->api);
    /* Ended between two invocations: it answered its last one and never
     * fetched the one handed to it since.  Whether that one was handed over
     * before the exit was seen is a race of wall time: it goes to a new
     * process either way (dispatch_env hands it over again), as when the
     * exit is seen first; what the process printed meanwhile stays before
     * its START. */
    if (e->current && e->served && !e->current->fetched) {
        e->current = NULL;
        hdli_end_process(p, e);
        return;
    }
    hdli_end_process(p, e);
    if (!e->current)
        return;
    if (e->doomed) {
        finish(p, e);   /* its init failed: already described */
        return;
    }
    char why[96], msg[160];
    hdli_describe_exit(info, why, sizeof why, &e->current->res.exit_status);
    snprintf(msg, sizeof msg, "Runtime exited with error: %s", why);
    finish_error(p, e, HDL_EXIT, "Runtime.ExitError", msg);
}


/* rapi callbacks (inside rapi_run, on the I/O thread, lock held) */

static void on_delivered(void *ctx)
{
    struct env *e = ctx;
    struct inv *v = e->current;
    if (!v)
        return;
    hdli_read_output(e);   /* what init printed belongs before START */
    v->fetched = true;
    v->fetched_us = hdli_now_us();
    v->deadline_us = v->fetched_us + v->wall_timeout_ms * 1000;   /* Lambda's Invoke phase */
    v->res.log_init_len = v->log.len;
    if (!e->served) {
        e->served = true;
        v->res.init_wall_us = v->fetched_us - e->spawned_us;
    }
}

/* An error's type: the body's errorType, else the Lambda-Runtime-Function-
 * Error-Type header, else OTHERWISE.  The body is the error
 * Lambda returns to the caller; the header only makes one "when error payload
 * is not provided or can not be read" (the Runtime API's OpenAPI spec,
 * docs.aws.amazon.com/lambda/latest/dg/samples/runtime-api.zip).  Runtimes
 * post the two apart: AWS's own example and the Rust runtime a header of
 * "Unhandled" with the type in the body (runtimes-api.html, "Invocation
 * error"; aws-lambda-rust-runtime, lambda-runtime/src/requests.rs),
 * aws-lambda-ric 3 no header at all, nor did awslambdaric's /init/error
 * before it took the body's type for the header (its
 * awslambdaric/lambda_runtime_client.py, post_init_error).
 * malloc'd; NULL when out of memory. */
static char *error_type_of(const char *header, const char *body, size_t len,
                           const char *otherwise)
{
    cJSON *doc = cJSON_ParseWithLength(body, len);
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "errorType"));
    char *type = strdup(t && t[0] ? t : header[0] ? header : otherwise);
    cJSON_Delete(doc);
    return type;
}

static void on_answered(void *ctx, enum rapi_answer kind, const char *error_type,
                        const char *body, size_t len)
{
    struct env *e = ctx;
    struct hdl_pool *p = e->pool;
    struct inv *v = e->current;
    if (!v)
        return;
    hdli_read_output(e);   /* printed before the answer was posted: this invocation's */
    hdli_read_max_memory(e, v);
    if (kind == RAPI_TOO_LARGE) {
        char msg[160];
        snprintf(msg, sizeof msg, "Response payload size (%zu bytes) exceeded maximum allowed "
                 "payload size (%u bytes).", len, RAPI_MAX_RESPONSE_BYTES);
        v->res.kind = HDL_TOO_LARGE;
        v->res.error_type = strdup("Function.ResponseSizeTooLarge");
        v->res.body = error_doc("Function.ResponseSizeTooLarge", msg);
        v->res.body_len = v->res.body ? strlen(v->res.body) : 0;
        finish(p, e);
        return;
    }
    v->res.body = malloc(len + 1);
    if (v->res.body) {
        memcpy(v->res.body, body, len);
        v->res.body[len] = 0;
        v->res.body_len = len;
    }
    if (kind == RAPI_INIT_ERROR) {
        v->res.kind = HDL_INIT_ERROR;
        v->res.error_type = error_type_of(error_type, body, len, "Runtime.InitError");
        e->doomed = true;   /* ended after rapi_run returns; finished then */
        return;
    }
    v->res.kind = kind == RAPI_RESPONSE ? HDL_RESPONSE : HDL_ERROR;
    /* with no type anywhere, "" (the mapping says "Unhandled") */
    v->res.error_type = kind == RAPI_RESPONSE ? strdup("") : error_type_of(error_type, body, len, "");
    finish(p, e);
}

/* ---- the I/O thread ---------------------------------------------------------------- */

/* A trace id for the Lambda-Runtime-Trace-Id header, X-Ray's shape, from
 * the request id alone (FNV-1a, then splitmix64): the same in every run. */
static void trace_id(const char *request_id, char *buf, size_t len)
{
    uint64_t h = 1469598103934665603u;
    for (const char *c = request_id; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211u;
    uint64_t a = hdli_splitmix64(&h), b = hdli_splitmix64(&h), c = hdli_splitmix64(&h);
    snprintf(buf, len, "Root=1-%08llx-%08llx%016llx;Parent=%016llx;Sampled=0",
             (unsigned long long)(a >> 32), (unsigned long long)(a & 0xffffffffu),
             (unsigned long long)b, (unsigned long long)c);
}

/* Hand e the head of its queue when it is idle, starting a process when it
 * has none; an invocation whose process cannot start ends at once, and the
 * next in the queue gets its own try. */
static void dispatch_env(struct hdl_pool *p, struct env *e)
{
    while (!e->current && e->head) {
        struct inv *v = e->current = e->head;
        v->started_us = hdli_now_us();
        v->res.instance = e->index;
        if (e->pending.len || e->pending.dropped) {   /* printed since the last answer */
            hdli_buf_add(&v->log, e->pending.p ? e->pending.p : "", e->pending.len);
            v->log.dropped += e->pending.dropped;
            hdli_buf_free(&e->pending);
        }
        if (!e->pid) {
            char err[256];
            struct rapi_callbacks cb = { .ctx = e, .delivered = on_delivered,
                                         .answered = on_answered };
            if (hdli_spawn(p, e, &cb, err, sizeof err) < 0) {
                finish_error(p, e, HDL_EXIT, "Runtime.InvalidEntrypoint", err);
                continue;
            }
            v->res.cold_start = true;
        }
        /* Until the event is fetched (on_delivered restarts the clock): a
         * process in its init (AWS's Init phase) gets init_timeout from its
         * start, so a slow start-up never counts against the invocation; a
         * warm one must come back for the event within the wall timeout. */
        v->deadline_us = e->served ? v->started_us + v->wall_timeout_ms * 1000
                                   : e->spawned_us + p->init_timeout_ms * 1000;
        v->res.incarnation = e->incarnation;
        char trace[96];
        trace_id(v->request_id, trace, sizeof trace);
        struct rapi_invocation ri = {
            .request_id = v->request_id, .event = v->event, .event_len = v->event_len,
            .timeout_ms = v->timeout_ms, .function_arn = p->function_arn, .trace_id = trace,
        };
        if (rapi_offer(e->api, &ri) < 0) {
            hdli_end_process(p, e);
            finish_error(p, e, HDL_EXIT, "Runtime.ExitError", "esmsim: out of memory");
        }
    }
}

static void fail_pool(struct hdl_pool *p, const char *what)
{
    if (!p->failed)
        snprintf(p->fail_msg, sizeof p->fail_msg, "handler I/O: %s: %s", what, strerror(errno));
    p->failed = true;
    pthread_cond_broadcast(&p->done);
}

static void *io_main(void *arg)
{
    struct hdl_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        for (uint32_t i = 0; i < p->n_env; i++)
            dispatch_env(p, &p->envs[i]);
        int64_t t = hdli_now_us(), wait_ms = -1;
        nfds_t n = 0;
        p->pfd[n++] = (struct pollfd){ .fd = p->wake_fd, .events = POLLIN };
        for (uint32_t i = 0; i < p->n_env; i++) {
            struct env *e = &p->envs[i];
            int api_fd = e->api ? rapi_fd(e->api) : -1;
            p->pfd[n++] = (struct pollfd){ .fd = api_fd, .events = POLLIN };
            p->pfd[n++] = (struct pollfd){ .fd = e->out_fd, .events = POLLIN };
            p->pfd[n++] = (struct pollfd){ .fd = e->keeper_fd, .events = POLLIN };
            int64_t w = -1;
            if (e->current)
                w = e->current->deadline_us > t ? (e->current->deadline_us - t + 999) / 1000 : 0;
            if (e->api) {
                int rt = rapi_timeout_ms(e->api);
                if (rt >= 0 && (w < 0 || rt < w))
                    w = rt;
            }
            if (w >= 0 && (wait_ms < 0 || w < wait_ms))
                wait_ms = w;
        }
        /* Woken here, not where the result came in: a waiter woken under the
         * lock would only block on it again while this thread goes on. */
        bool finished = p->finished;
        p->finished = false;
        pthread_mutex_unlock(&p->mu);
        if (finished)
            pthread_cond_broadcast(&p->done);
        int ready = poll(p->pfd, n, wait_ms > INT_MAX ? INT_MAX : (int)wait_ms);
        int poll_errno = errno;
        pthread_mutex_lock(&p->mu);
        if (ready < 0 && poll_errno != EINTR) {
            errno = poll_errno;
            fail_pool(p, "poll");
            break;
        }
        if (p->pfd[0].revents) {
            uint64_t count;
            ssize_t r = read(p->wake_fd, &count, sizeof count);
            (void)r;
        }
        t = hdli_now_us();
        for (uint32_t i = 0; i < p->n_env; i++) {
            struct env *e = &p->envs[i];
            struct pollfd *api = &p->pfd[1 + 3 * i], *out = api + 1, *kept = api + 2;
            if (e->out_fd >= 0 && out->fd == e->out_fd && out->revents)
                hdli_read_output(e);
            if (e->api && api->fd == rapi_fd(e->api) &&
                (api->revents || rapi_timeout_ms(e->api) == 0))
                rapi_run(e->api);
            if (e->doomed) {
                hdli_end_process(p, e);
                if (e->current)
                    finish(p, e);
                continue;
            }
            siginfo_t info;
            if (e->pid && kept->fd == e->keeper_fd && kept->revents && hdli_exit_seen(e, &info))
                on_exit_seen(p, e, &info);
            if (e->current && e->current->deadline_us <= t) {
                bool init = !e->served, full = e->api && rapi_full(e->api);
                int64_t ms = init ? p->init_timeout_ms : e->current->wall_timeout_ms;
                hdli_end_process(p, e);
                if (full) {   /* what it waited for, which AWS would have served */
                    char note[256], shared[128] = "";
                    if (p->connections < RAPI_CONNECTION_LIMIT)
                        snprintf(shared, sizeof shared, " each of %u environments under the "
                                 "open-files limit of %llu", p->n_env,
                                 (unsigned long long)p->files_limit);
                    int len = snprintf(note, sizeof note, "[esmsim: the runtime held %u "
                                       "connections to its Runtime API open, the most esmsim "
                                       "serves%s: its next one waited]\n", p->connections, shared);
                    hdli_buf_add(&e->current->log, note, (size_t)len);
                }
                char msg[96];
                snprintf(msg, sizeof msg, "%s timed out after %lld.%02lld seconds",
                         init ? "Init" : "Task", (long long)(ms / 1000),
                         (long long)(ms % 1000 / 10));
                finish_error(p, e, HDL_TIMEOUT, "Sandbox.Timedout", msg);
            }
        }
    }
    for (uint32_t i = 0; i < p->n_env; i++)
        hdli_end_process(p, &p->envs[i]);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- the interface ---------------------------------------------------------------- */

static void wake(struct hdl_pool *p)
{
    uint64_t one = 1;
    ssize_t w = write(p->wake_fd, &one, sizeof one);
    (void)w;
}

static void pool_free(struct hdl_pool *p)
{
    for (struct inv *v = p->invs, *next; v; v = next) {
        next = v->next;
        free(v->event);
        hdli_buf_free(&v->log);
        hdl_result_clear(&v->res);
        free(v);
    }
    for (uint32_t i = 0; p->envs && i < p->n_env; i++)
        hdli_buf_free(&p->envs[i].pending);
    free(p->envs);
    free(p->pfd);
    free(p->path);
    hdli_free_strings(p->argv);
    hdli_free_strings(p->user_env);
    hdli_free_strings(p->inherited_env);
    free(p->cwd);
    free(p->function_name);
    free(p->function_version);
    free(p->handler);
    free(p->region);
    free(p->function_arn);
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    if (p->devnull >= 0)
        close(p->devnull);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->done);
    free(p);
    hdli_release_files();   /* its processes are gone (stop_thread) */
}

struct hdl_pool *hdl_pool_create(const struct hdl_config *cfg, const char **key,
                                 char *err, size_t errlen)
{
    *key = "function.handler.command";
    if (!cfg->command || !cfg->command[0] || !cfg->command[0][0]) {
        errmsg_set(err, errlen, "expected a non-empty array of strings");
        return NULL;
    }
    if (cfg->instances < 1 || cfg->instances > MAX_INSTANCES) {
        *key = "function.handler.instances";
        errmsg_set(err, errlen, "expected 1 to %d, got %u", MAX_INSTANCES, cfg->instances);
        return NULL;
    }
    for (const char *const *v = cfg->env; v && *v; v++)
        if (!strchr(*v, '=') || **v == '=') {
            *key = "function.handler.env";
            errmsg_set(err, errlen, "expected NAME=value, got '%s'", *v);
            return NULL;
        }
    struct rlimit files;
    unsigned connections;
    rlim_t files_limit;
    if (hdli_reserve_files(cfg->instances, &files, &connections, &files_limit, err, errlen) < 0) {
        *key = "function.handler.instances";
        return NULL;
    }
    struct hdl_pool *p = calloc(1, sizeof *p);
    if (!p) {
        hdli_release_files();
        *key = "function.handler";
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    p->files_given = files;
    p->files_limit = files_limit;
    p->connections = connections;
    p->wake_fd = p->devnull = -1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->done, NULL);
    char cwd_buf[PATH_MAX];
    const char *cwd = cfg->cwd;
    *key = "function.handler.cwd";
    if (!cwd) {
        if (!getcwd(cwd_buf, sizeof cwd_buf)) {
            errmsg_set(err, errlen, "cannot read the current directory: %s", strerror(errno));
            goto fail;
        }
        cwd = cwd_buf;
    }
    struct stat st;
    if (stat(cwd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errmsg_set(err, errlen, "'%s' is not a directory", cwd);
        goto fail;
    }
    p->cwd = realpath(cwd, NULL);
    if (!p->cwd) {
        errmsg_set(err, errlen, "'%s': %s", cwd, strerror(errno));
        goto fail;
    }
    *key = "function.handler.command";
    p->path = hdli_resolve_program(cfg->command[0], p->cwd, err, errlen);
    if (!p->path)
        goto fail;
    *key = "function.handler";
    p->argv = hdli_copy_strings(cfg->command, &p->argc);
    p->user_env = hdli_copy_strings(cfg->env, NULL);
    p->inherited_env = hdli_inherited_environment();
    const char *name = cfg->function_name ? cfg->function_name : "function";
    const char *region = cfg->region ? cfg->region : "us-east-1";
    const char *handler = cfg->handler;
    if (!handler) {
        if (p->argv && p->argc >= 2)
            handler = p->argv[p->argc - 1];
        else {
            const char *slash = strrchr(cfg->command[0], '/');
            handler = slash ? slash + 1 : cfg->command[0];
        }
    }
    char arn[512];
    snprintf(arn, sizeof arn, "arn:aws:lambda:%s:123456789012:function:%s", region, name);
    p->function_name = strdup(name);
    p->function_version = strdup(cfg->function_version ? cfg->function_version : "$LATEST");
    p->handler = strdup(handler);
    p->region = strdup(region);
    p->function_arn = strdup(cfg->function_arn ? cfg->function_arn : arn);
    p->memory_mb = cfg->memory_mb ? cfg->memory_mb : 128;
    p->epoch_ms = cfg->epoch_ms;
    p->wall_timeout_ms = cfg->wall_timeout_ms;
    p->init_timeout_ms = cfg->init_timeout_ms > 0 ? cfg->init_timeout_ms : HDL_INIT_TIMEOUT_MS;
    p->interrupted = cfg->interrupted;
    p->n_env = cfg->instances;
    p->envs = calloc(p->n_env, sizeof *p->envs);
    p->pfd = calloc(1 + 3 * (size_t)p->n_env, sizeof *p->pfd);
    if (!p->argv || !p->user_env || !p->inherited_env || !p->function_name ||
        !p->function_version || !p->handler ||
        !p->region || !p->function_arn || !p->envs || !p->pfd) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < p->n_env; i++)
        p->envs[i] = (struct env){ .pool = p, .index = i, .keeper_fd = -1, .out_fd = -1,
                                   .status_fd = -1 };
    p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    p->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (p->wake_fd < 0 || p->devnull < 0) {
        errmsg_set(err, errlen, "%s", strerror(errno));
        goto fail;
    }
    hdli_exit_paths();
    /* The I/O thread blocks every signal: they reach the caller's thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&p->thread, NULL, io_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        errmsg_set(err, errlen, "cannot start a thread: %s", strerror(rc));
        goto fail;
    }
    p->thread_started = true;
    return p;
fail:
    pool_free(p);
    return NULL;
}

/* End the I/O thread, which ends every process on its way out. */
static void stop_thread(struct hdl_pool *p)
{
    if (!p->thread_started)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_mutex_unlock(&p->mu);
    wake(p);
    pthread_join(p->thread, NULL);
    p->thread_started = false;
    if (!p->failed) {   /* what hdl_submit and hdl_wait say from now on */
        snprintf(p->fail_msg, sizeof p->fail_msg, "handler: the pool was finished");
        p->failed = true;
    }
}

/* Whether every process with nothing to do has asked for its next event
 * (so has printed all it prints after its last answer); those still running
 * an invocation are not waited for. */
static bool all_idle(struct hdl_pool *p)
{
    for (uint32_t i = 0; i < p->n_env; i++) {
        const struct env *e = &p->envs[i];
        if (e->pid && !e->current && !e->head && e->api && !rapi_waiting(e->api))
            return false;
    }
    return true;
}

void hdl_pool_finish(struct hdl_pool *p, hdl_leftover_fn cb, void *ctx)
{
    /* Choice: a process that answered is given up to FINISH_GRACE_MS to come
     * back to /next before it is killed, as Lambda lets a runtime finish
     * before it shuts an environment down: what it prints meanwhile is
     * logged whatever the machine's speed. */
    int64_t until = hdli_now_us() + FINISH_GRACE_MS * 1000;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        bool idle = !p->thread_started || p->failed || (p->interrupted && *p->interrupted) ||
                    all_idle(p);
        pthread_mutex_unlock(&p->mu);
        if (idle || hdli_now_us() >= until)
            break;
        nanosleep(&(struct timespec){ .tv_nsec = 2 * 1000000 }, NULL);
    }
    stop_thread(p);
    for (uint32_t i = 0; cb && i < p->n_env; i++) {
        struct buf *b = &p->envs[i].pending;
        if (b->len || b->dropped)
            cb(ctx, i, b->p ? b->p : "", b->len, b->dropped);
    }
}

void hdl_pool_destroy(struct hdl_pool *p)
{
    if (!p)
        return;
    stop_thread(p);
    pool_free(p);
}

static struct inv *find(struct hdl_pool *p, uint64_t id, struct inv ***link)
{
    for (struct inv **l = &p->invs; *l; l = &(*l)->next)
        if ((*l)->id == id) {
            if (link)
                *link = l;
            return *l;
        }
    return NULL;
}

int hdl_submit(struct hdl_pool *p, uint64_t invocation_id, const char *request_id,
               const char *event, size_t event_len, int64_t timeout_ms,
               char *err, size_t errlen)
{
    if (strlen(request_id) > RAPI_REQUEST_ID_MAX || timeout_ms <= 0) {
        errmsg_set(err, errlen, "invocation %llu: bad request id or timeout",
                   (unsigned long long)invocation_id);
        return -1;
    }
    struct inv *v = calloc(1, sizeof *v);
    char *copy = malloc(event_len ? event_len : 1);
    if (!v || !copy) {
        free(v);
        free(copy);
        errmsg_set(err, errlen, "invocation %llu: out of memory",
                   (unsigned long long)invocation_id);
        return -1;
    }
    memcpy(copy, event, event_len);
    v->id = invocation_id;
    snprintf(v->request_id, sizeof v->request_id, "%s", request_id);
    v->event = copy;
    v->event_len = event_len;
    v->timeout_ms = timeout_ms;
    v->wall_timeout_ms = p->wall_timeout_ms > 0 ? p->wall_timeout_ms : 5 * timeout_ms;
    pthread_mutex_lock(&p->mu);
    if (find(p, invocation_id, NULL) || p->failed) {
        if (p->failed)
            errmsg_set(err, errlen, "%s", p->fail_msg);
        else
            errmsg_set(err, errlen, "invocation %llu: submitted twice",
                       (unsigned long long)invocation_id);
        pthread_mutex_unlock(&p->mu);
        free(copy);
        free(v);
        return -1;
    }
    /* The environment: decided by submits and waits alone (handler.h). */
    struct env *e = NULL;
    for (uint32_t i = 0; i < p->n_env; i++)
        if (!e || p->envs[i].outstanding < e->outstanding)
            e = &p->envs[i];
    e->outstanding++;
    v->env = e;
    if (e->tail)
        e->tail->next_queued = v;
    else
        e->head = v;
    e->tail = v;
    v->next = p->invs;
    p->invs = v;
    pthread_mutex_unlock(&p->mu);
    wake(p);
    return 0;
}

int hdl_wait(struct hdl_pool *p, uint64_t invocation_id, struct hdl_result *out,
             char *err, size_t errlen)
{
    pthread_mutex_lock(&p->mu);
    struct inv **link, *v = find(p, invocation_id, &link);
    int rc = -1;
    if (!v)
        errmsg_set(err, errlen, "invocation %llu: not submitted", (unsigned long long)invocation_id);
    while (v && !v->done) {
        if (p->failed) {
            errmsg_set(err, errlen, "%s", p->fail_msg);
            break;
        }
        if (p->interrupted && *p->interrupted) {
            errmsg_set(err, errlen, "interrupted");
            break;
        }
        if (p->interrupted) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 50 * 1000000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&p->done, &p->mu, &until);
        } else
            pthread_cond_wait(&p->done, &p->mu);
    }
    if (v && v->done) {
        find(p, invocation_id, &link);   /* submits while waiting moved the head */
        *out = v->res;
        v->res = (struct hdl_result){ 0 };
        *link = v->next;
        v->env->outstanding--;
        free(v->event);
        free(v);
        rc = 0;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

uint32_t hdl_running(struct hdl_pool *p)
{
    pthread_mutex_lock(&p->mu);
    uint32_t n = p->running;
    pthread_mutex_unlock(&p->mu);
    return n;
}

uint64_t hdl_started(struct hdl_pool *p)
{
    pthread_mutex_lock(&p->mu);
    uint64_t n = p->started;
    pthread_mutex_unlock(&p->mu);
    return n;
}
