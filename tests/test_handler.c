/*
 * test_handler.c - real handler programs as execution environments
 * (handler.h, SPEC section 4, issue 12 items 2 and 5) through the
 * project's bootstraps (tools/runtimes/) and the handlers of
 * tests/handlers/: a Kinesis partial batch response, an exception, a crash,
 * a hang killed after the wall timeout (counted from the fetch), a slow
 * start-up that only the init timeout bounds, a program that never asks for
 * an event (killed after the init timeout), init errors, a program that exits at
 * once, one that exits after each answer, one whose processes leave its
 * process group, a response over 6 MB, the variables and context Lambda gives, raw
 * probes of the environment's own API, warm reuse and cold starts, several
 * environments in parallel, the environment each invocation gets, Python
 * and Node (CommonJS, ES modules, callbacks), and no process left behind
 * after success, errors, exit(), SIGTERM and SIGKILL.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "awsjson.h"
#include "check.h"
#include "handler.h"

#define EPOCH_2026 INT64_C(1767225600000)   /* 2026-01-01T00:00:00Z, in ms */
#define PYTHON_BOOTSTRAP SRCDIR "/tools/runtimes/python/bootstrap"
#define NODE_BOOTSTRAP SRCDIR "/tools/runtimes/node/bootstrap.mjs"
#define PY_DIR SRCDIR "/tests/handlers/python"
#define NODE_CJS SRCDIR "/tests/handlers/node/cjs"

static char marker[64];          /* ESMSIM_TEST_MARKER=...: every handler process carries it */
static char barrier_env[128];
static uint64_t next_id = 1;

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 }, NULL);
}

/* ---- no orphans ------------------------------------------------------------------ */

/* Processes (other than us) whose environment holds the marker. */
static int count_marked(const char *mark)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *de;
    char path[64], buf[65536];
    size_t mlen = strlen(mark);
    while ((de = readdir(d))) {
        int pid = atoi(de->d_name);
        if (pid <= 0 || pid == getpid())
            continue;
        snprintf(path, sizeof path, "/proc/%d/environ", pid);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t len = 0, got;   /* procfs hands it out a page at a time */
        while (len < (ssize_t)sizeof buf && (got = read(fd, buf + len, sizeof buf - (size_t)len)) > 0)
            len += got;
        close(fd);
        for (ssize_t i = 0; i + (ssize_t)mlen <= len; i++)
            if ((i == 0 || buf[i - 1] == 0) && memcmp(buf + i, mark, mlen) == 0 &&
                (i + (ssize_t)mlen == len || buf[i + mlen] == 0)) {
                n++;
                break;
            }
    }
    closedir(d);
    return n;
}

/* A process's state and parent, from /proc/PID/stat; false when it is gone. */
static bool stat_of(int pid, char *state, int *ppid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = false;
    if (fgets(buf, sizeof buf, f)) {
        char *close_paren = strrchr(buf, ')');
        ok = close_paren && sscanf(close_paren + 2, "%c %d", state, ppid) == 2;
    }
    fclose(f);
    return ok;
}

/* Zombies (exited, never reaped) among our children and theirs: the
 * handlers' keepers are our children, what a handler leaves is a keeper's. */
static int count_zombie_children(void)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        int pid = atoi(de->d_name), ppid, grand;
        char state, parent_state;
        if (pid > 0 && stat_of(pid, &state, &ppid) && state == 'Z' &&
            (ppid == getpid() || (stat_of(ppid, &parent_state, &grand) && grand == getpid())))
            n++;
    }
    closedir(d);
    return n;
}

/* Entries in a folder. */
static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* Marked processes gone, within a grace period (a killed group takes a moment). */
static int marked_after(const char *mark, int grace_ms)
{
    int n = count_marked(mark);
    for (int waited = 0; n > 0 && waited < grace_ms; waited += 20) {
        sleep_ms(20);
        n = count_marked(mark);
    }
    return n;
}

/* ---- events and pools -------------------------------------------------------------- */

/* A Kinesis event of n records, sequence numbers first.., the data of
 * record `poison` (or none when out of range) holding "poison". */
static char *kinesis_event(uint32_t n, uint64_t first, uint32_t poison)
{
    struct lev_source src = {
        .shard_id = "shardId-000000000000",
        .event_source_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
        .invoke_identity_arn = "arn:aws:iam::123456789012:role/lambda-role",
        .region = "us-east-1", .epoch_ms = EPOCH_2026,
    };
    struct slog_event_record recs[16];
    static const char ok[] = "{\"order\":1}", bad[] = "{\"poison\":true}";
    for (uint32_t i = 0; i < n; i++)
        recs[i] = (struct slog_event_record){
            .partition_key = "user-1", .sequence_number = first + i,
            .data = (const unsigned char *)(i == poison ? bad : ok),
            .data_len = (uint32_t)strlen(i == poison ? bad : ok), .arrival_us = 1000 * i,
        };
    return awsjson_kinesis_event(&src, recs, n);
}

static struct hdl_pool *pool(const char *const *command, const char *cwd, uint32_t instances,
                             int64_t wall_timeout_ms, int64_t init_timeout_ms,
                             volatile sig_atomic_t *interrupted)
{
    /* (no __pycache__ left in the source tree) */
    const char *env[] = { marker, "ESMSIM_TEST_VAR=from-scenario", "PYTHONDONTWRITEBYTECODE=1",
                          barrier_env[0] ? barrier_env : NULL, NULL };
    struct hdl_config cfg = {
        .command = command, .instances = instances, .env = env, .cwd = cwd,
        .wall_timeout_ms = wall_timeout_ms, .init_timeout_ms = init_timeout_ms,
        .function_name = "orders-consumer",
        .memory_mb = 256, .epoch_ms = EPOCH_2026, .interrupted = interrupted,
    };
    char err[256];
    const char *key;
    struct hdl_pool *p = hdl_pool_create(&cfg, &key, err, sizeof err);
    if (!p) {
        fprintf(stderr, "hdl_pool_create: %s: %s\n", key, err);
        exit(1);
    }
    return p;
}

static struct hdl_pool *python(const char *handler, uint32_t instances, int64_t wall_timeout_ms)
{
    const char *cmd[] = { "python3", PYTHON_BOOTSTRAP, handler, NULL };
    return pool(cmd, PY_DIR, instances, wall_timeout_ms, 0, NULL);
}

static struct hdl_pool *node(const char *dir, const char *handler, int64_t wall_timeout_ms)
{
    const char *cmd[] = { "node", NODE_BOOTSTRAP, handler, NULL };
    return pool(cmd, dir, 1, wall_timeout_ms, 0, NULL);
}

static void submit(struct hdl_pool *p, uint64_t id, const char *event)
{
    char rid[AWSJSON_UUID_LEN + 1], err[256];
    awsjson_request_id(id, rid);
    if (hdl_submit(p, id, rid, event, strlen(event), 3000, err, sizeof err) < 0) {
        fprintf(stderr, "hdl_submit: %s\n", err);
        exit(1);
    }
}

static void wait_for(struct hdl_pool *p, uint64_t id, struct hdl_result *res)
{
    char err[256];
    if (hdl_wait(p, id, res, err, sizeof err) < 0) {
        fprintf(stderr, "hdl_wait: %s\n", err);
        exit(1);
    }
}

/* One invocation start to end; its request id in rid. */
static void invoke(struct hdl_pool *p, const char *event, struct hdl_result *res, char *rid)
{
    uint64_t id = next_id++;
    awsjson_request_id(id, rid);
    submit(p, id, event);
    wait_for(p, id, res);
}

static void destroy(struct hdl_pool *p)
{
    hdl_pool_destroy(p);
    /* no orphans: the group's other members (a pyenv shim's helpers) were
     * killed with it; the kernel may take a moment to finish them */
    CHECK_INT(marked_after(marker, 2000), 0);
    CHECK_INT(count_zombie_children(), 0);     /* every child reaped */
}

static const char *log_text(const struct hdl_result *r) { return r->log ? r->log : ""; }

/* One invocation in a new pool, which is then destroyed: how it ended, what
 * its body and (when not NULL) its log hold. */
static void once(struct hdl_pool *p, const char *event, enum hdl_kind kind, const char *error_type,
                 const char *body_has, const char *log_has)
{
    char rid[64];
    struct hdl_result r;
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, kind);
    CHECK_STR(r.error_type, error_type);
    CHECK_CONTAINS(r.body, body_has);
    if (log_has)
        CHECK_CONTAINS(log_text(&r), log_has);
    hdl_result_clear(&r);
    destroy(p);
}

/* ---- Python ----------------------------------------------------------------------- */

static void test_python_partial_batch_response(void)
{
    char rid[64];
    struct hdl_result r;
    char *event = kinesis_event(3, 101, 1);
    struct hdl_pool *p = python("app.partial", 1, 0);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_RESPONSE);
    CHECK_STR(r.body, "{\"batchItemFailures\": [{\"itemIdentifier\": \"102\"}]}");
    CHECK_INT(r.body_len, strlen(r.body));
    CHECK_STR(r.error_type, "");
    /* init output before START, then stdout and stderr in the order written */
    CHECK_STR(log_text(&r), "init: app imported\nhandled 101\nfailed 102\nhandled 103\n");
    CHECK_INT(r.log_init_len, strlen("init: app imported\n"));
    CHECK(r.cold_start);
    CHECK_INT(r.instance, 0);
    CHECK_INT(r.incarnation, 1);
    CHECK(r.init_wall_us > 0 && r.wall_us > 0);
    CHECK(r.max_memory_kb > 1000);
    hdl_result_clear(&r);
    /* warm: the same process, no init output, no cold start */
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_RESPONSE);
    CHECK(!r.cold_start);
    CHECK_INT(r.incarnation, 1);
    CHECK_INT(r.init_wall_us, 0);
    CHECK_INT(r.log_init_len, 0);
    CHECK_STR(log_text(&r), "handled 101\nfailed 102\nhandled 103\n");
    hdl_result_clear(&r);
    CHECK_INT(hdl_running(p), 1);
    CHECK_INT(hdl_started(p), 1);
    destroy(p);
    free(event);
}

static void test_python_errors(void)
{
    char rid[64], want[512];
    struct hdl_result r;
    char *event = kinesis_event(2, 7, 9);

    /* an exception: /error in AWS's shape, the error type in the header */
    struct hdl_pool *p = python("app.throws", 1, 0);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_ERROR);
    CHECK_STR(r.error_type, "ValueError");
    cJSON *doc = cJSON_Parse(r.body);
    CHECK(doc != NULL);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "errorMessage")), "bad record 7");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "errorType")), "ValueError");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "requestId")), rid);
    cJSON *trace = cJSON_GetObjectItem(doc, "stackTrace");
    CHECK(cJSON_IsArray(trace) && cJSON_GetArraySize(trace) == 1);
    CHECK_CONTAINS(cJSON_GetStringValue(cJSON_GetArrayItem(trace, 0)), "app.py");
    cJSON_Delete(doc);
    CHECK_CONTAINS(log_text(&r), "about to throw\n[ERROR] ValueError: bad record 7\r"
                   "Traceback (most recent call last):\r");
    hdl_result_clear(&r);
    /* the process lives on after an exception */
    invoke(p, event, &r, rid);
    CHECK(!r.cold_start);
    hdl_result_clear(&r);
    destroy(p);

    /* a crash mid-invocation: Runtime.ExitError; the next one starts anew */
    const char *cmd[] = { "python3", PYTHON_BOOTSTRAP, "app.crash", NULL };
    p = pool(cmd, PY_DIR, 1, 0, 0, NULL);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_EXIT);
    CHECK_STR(r.error_type, "Runtime.ExitError");
    CHECK_INT(r.exit_status, 3);
    snprintf(want, sizeof want, "{\"errorType\":\"Runtime.ExitError\",\"errorMessage\":"
             "\"RequestId: %s Error: Runtime exited with error: exit status 3\"}", rid);
    CHECK_STR(r.body, want);
    CHECK_STR(log_text(&r), "init: app imported\ncrashing\n");
    CHECK_INT(r.incarnation, 1);
    hdl_result_clear(&r);
    CHECK_INT(hdl_running(p), 0);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_EXIT);
    CHECK(r.cold_start);
    CHECK_INT(r.incarnation, 2);
    hdl_result_clear(&r);
    destroy(p);

    /* a hang: killed after the wall timeout, Sandbox.Timedout */
    p = python("app.hang", 1, 2500);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_TIMEOUT);
    CHECK_STR(r.error_type, "Sandbox.Timedout");
    snprintf(want, sizeof want, "{\"errorType\":\"Sandbox.Timedout\",\"errorMessage\":"
             "\"RequestId: %s Error: Task timed out after 2.50 seconds\"}", rid);
    CHECK_STR(r.body, want);
    CHECK_STR(log_text(&r), "init: app imported\nhanging\n");
    CHECK(r.wall_us >= 2500000);   /* counted from the fetch, not from the process's start */
    hdl_result_clear(&r);
    CHECK_INT(hdl_running(p), 0);
    CHECK_INT(count_marked(marker), 0);   /* the killed process is gone at once */
    destroy(p);

    /* a response over 6 MiB + 100 bytes: Function.ResponseSizeTooLarge */
    p = python("app.big", 1, 0);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_TOO_LARGE);
    CHECK_STR(r.error_type, "Function.ResponseSizeTooLarge");
    CHECK_STR(r.body, "{\"errorType\":\"Function.ResponseSizeTooLarge\",\"errorMessage\":"
              "\"Response payload size (6291658 bytes) exceeded maximum allowed payload size "
              "(6291556 bytes).\"}");
    hdl_result_clear(&r);
    invoke(p, event, &r, rid);   /* the environment goes on */
    CHECK_INT(r.kind, HDL_TOO_LARGE);
    CHECK(!r.cold_start);
    hdl_result_clear(&r);
    destroy(p);
    free(event);
}

/* A process that ends right after its answer, before it asks for its next
 * event, ends between two invocations (handler.h): the next one starts a new
 * process and succeeds, whether it was handed to the environment before the
 * exit was seen or after.  Which comes first is a race of wall time (the
 * submit came first, so the invocation failed as Runtime.ExitError, a
 * submit 300 ms later got a new process): the result must not depend on it. */
static void test_exit_after_answer(void)
{
    const char *cmd[] = { "python3", "exits_after_answer.py", NULL };
    char *event = kinesis_event(1, 1, 9), rid[64];
    for (int later = 0; later < 2; later++) {
        struct hdl_pool *p = pool(cmd, PY_DIR, 1, 0, 0, NULL);
        struct hdl_result r;
        invoke(p, event, &r, rid);
        CHECK_INT(r.kind, HDL_RESPONSE);
        hdl_result_clear(&r);
        for (int waited = 0; later && hdl_running(p) > 0 && waited < 3000; waited += 10)
            sleep_ms(10);
        invoke(p, event, &r, rid);
        CHECK_INT(r.kind, HDL_RESPONSE);
        CHECK_STR(r.error_type, "");
        CHECK(r.cold_start);
        CHECK_INT(r.incarnation, 2);
        /* the first process's last words, then the second one's init */
        CHECK_STR(log_text(&r), "leaving\nstarting\n");
        CHECK_INT(r.log_init_len, r.log_len);
        hdl_result_clear(&r);
        destroy(p);
    }
    free(event);
}

/* A program's own processes outlive it by leaving its process group (setsid):
 * SPEC section 4 and the README promise that none outlives esmsim.  The
 * process's keeper is their subreaper: those that end during the run are
 * reaped (no zombie), those still running are killed when the process ends
 * (a `sleep 300` in a session of its own lived on). */
static void test_detached(void)
{
    char rid[64];
    struct hdl_result r;
    char *event = kinesis_event(1, 1, 9);
    struct hdl_pool *p = python("app.detach", 1, 0);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_RESPONSE);
    hdl_result_clear(&r);
    int zombies = 1;
    for (int waited = 0; zombies > 0 && waited < 5000; waited += 100) {
        sleep_ms(100);
        zombies = count_zombie_children();
    }
    CHECK_INT(zombies, 0);   /* the orphan that ended, reaped while the pool runs */
    CHECK(count_marked(marker) >= 2);   /* the handler and its detached sleep */
    destroy(p);              /* no marked process left, no zombie */
    free(event);
}

static void test_python_init_errors(void)
{
    char rid[64];
    struct hdl_result r;
    char *event = kinesis_event(1, 1, 9);

    /* the module cannot be imported: /init/error, Runtime.ImportModuleError */
    struct hdl_pool *p = python("broken_import.handler", 1, 0);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_INIT_ERROR);
    CHECK_STR(r.error_type, "Runtime.ImportModuleError");
    cJSON *doc = cJSON_Parse(r.body);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "errorMessage")),
              "Unable to import module 'broken_import': No module named 'esmsim_no_such_module'");
    cJSON_Delete(doc);
    CHECK_CONTAINS(log_text(&r), "importing a module that is not there\n");
    CHECK_INT(r.log_init_len, r.log_len);   /* never fetched: all of it is init */
    CHECK(r.cold_start);
    hdl_result_clear(&r);
    CHECK_INT(hdl_running(p), 0);   /* the environment is ended */
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_INIT_ERROR);
    CHECK_INT(r.incarnation, 2);   /* a new process tried again */
    hdl_result_clear(&r);
    destroy(p);

    /* a function the module does not have */
    once(python("app.missing", 1, 0), event, HDL_INIT_ERROR, "Runtime.HandlerNotFound",
         "Handler 'missing' missing on module 'app'", NULL);

    /* a program that ends before asking for anything */
    const char *cmd[] = { "python3", "exits_at_once.py", NULL };
    p = pool(cmd, PY_DIR, 1, 0, 0, NULL);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_EXIT);
    CHECK_INT(r.exit_status, 2);
    CHECK_STR(log_text(&r), "bye\n");
    hdl_result_clear(&r);
    destroy(p);
    free(event);
}

static void test_python_environment(void)
{
    char rid[64];
    struct hdl_result r;
    setenv("AWS_PROFILE", "a-real-profile", 1);   /* must never reach the handler */
    setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY", 1);
    char *event = kinesis_event(1, 1, 9);
    struct hdl_pool *p = python("app.context_info", 1, 0);
    invoke(p, event, &r, rid);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_ACCESS_KEY_ID");
    CHECK_INT(r.kind, HDL_RESPONSE);
    cJSON *doc = cJSON_Parse(r.body), *env = cJSON_GetObjectItem(doc, "env");
#define ENV(name) cJSON_GetStringValue(cJSON_GetObjectItem(env, name))
    CHECK_STR(ENV("_HANDLER"), "app.context_info");
    CHECK_STR(ENV("AWS_LAMBDA_FUNCTION_NAME"), "orders-consumer");
    CHECK_STR(ENV("AWS_LAMBDA_FUNCTION_VERSION"), "$LATEST");
    CHECK_STR(ENV("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "256");
    CHECK_STR(ENV("AWS_REGION"), "us-east-1");
    CHECK_STR(ENV("AWS_DEFAULT_REGION"), "us-east-1");
    CHECK_STR(ENV("AWS_LAMBDA_LOG_GROUP_NAME"), "/aws/lambda/orders-consumer");
    const char *stream = ENV("AWS_LAMBDA_LOG_STREAM_NAME");
    CHECK(stream && strncmp(stream, "2026/01/01/[$LATEST]", 20) == 0 && strlen(stream) == 52 &&
          strspn(stream + 20, "0123456789abcdef") == 32);
    CHECK_STR(ENV("LAMBDA_TASK_ROOT"), PY_DIR);
    CHECK_STR(ENV("TZ"), ":UTC");
    CHECK_STR(ENV("AWS_ACCESS_KEY_ID"), "ESMSIMDUMMYACCESSKEY");
    CHECK_STR(ENV("AWS_SECRET_ACCESS_KEY"), "esmsim-dummy-secret-access-key");
    CHECK_STR(ENV("AWS_SESSION_TOKEN"), "esmsim-dummy-session-token");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(env, "AWS_PROFILE")));
    CHECK_STR(ENV("ESMSIM_TEST_VAR"), "from-scenario");
    CHECK_STR(ENV("AWS_LAMBDA_INITIALIZATION_TYPE"), "on-demand");
    const char *trace = ENV("_X_AMZN_TRACE_ID");
    CHECK(trace && strncmp(trace, "Root=1-", 7) == 0 && strstr(trace, ";Parent="));
#undef ENV
#define FIELD(name) cJSON_GetStringValue(cJSON_GetObjectItem(doc, name))
    CHECK_STR(FIELD("cwd"), PY_DIR);
    CHECK_STR(FIELD("aws_request_id"), rid);
    CHECK_STR(FIELD("function_name"), "orders-consumer");
    CHECK_STR(FIELD("function_version"), "$LATEST");
    CHECK_STR(FIELD("invoked_function_arn"),
              "arn:aws:lambda:us-east-1:123456789012:function:orders-consumer");
    CHECK_STR(FIELD("memory_limit_in_mb"), "256");
    CHECK_STR(FIELD("log_group_name"), "/aws/lambda/orders-consumer");
#undef FIELD
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(doc, "remaining_ok")));   /* deadline: now + 3 s */
    cJSON_Delete(doc);
    hdl_result_clear(&r);
    destroy(p);
    free(event);
}

/* The environment's own API probed while its invocation runs (issue 12 item
 * 6: unknown paths and ids answered, never a crash), and an answer posted
 * twice. */
static void test_python_probes(void)
{
    char rid[64], want[512];
    struct hdl_result r;
    char *event = kinesis_event(1, 1, 9);
    struct hdl_pool *p = python("app.probe", 1, 0);
    invoke(p, event, &r, rid);
    CHECK_STR(r.body, "{\"unknown_path\": 404, \"unknown_id\": 400, \"get_response\": 405, "
              "\"init_error_late\": 403}");
    hdl_result_clear(&r);
    destroy(p);

    p = python("app.twice", 1, 0);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_RESPONSE);
    CHECK_STR(r.body, "{\"first\":true}");   /* the first answer counts */
    CHECK_STR(log_text(&r), "init: app imported\n");   /* what came after it is not its own */
    hdl_result_clear(&r);
    char first_rid[64];
    snprintf(first_rid, sizeof first_rid, "%s", rid);
    invoke(p, event, &r, rid);
    /* the refused second answer (403, whenever the next invocation was
     * offered), printed before the runtime fetched this one: before START */
    snprintf(want, sizeof want, "first answer: 202\n[ERROR] /runtime/invocation/%s/response: "
             "HTTP 403: {\"errorMessage\":\"State transition from RuntimeResponseSentState to "
             "InvocationResponse failed for runtime. Error: State transition is not allowed\","
             "\"errorType\":\"InvalidStateTransition\"}\n\n", first_rid);
    CHECK_INT(r.log_init_len, strlen(want));
    CHECK(r.log && strncmp(r.log, want, strlen(want)) == 0);
    CHECK(!r.cold_start);
    hdl_result_clear(&r);
    destroy(p);
    free(event);
}

/* An error's type is the body's errorType; the Lambda-Runtime-Function-
 * Error-Type header only when the body has none (the Runtime API's OpenAPI
 * spec: the header makes the error "when error payload is not provided or
 * can not be read"); with neither, "" (which the mapping reports as
 * "Unhandled"), or Runtime.InitError for an init.  Posted by a runtime of
 * its own (posts_errors.py) as the runtime clients post them: no header
 * (aws-lambda-ric 3 through aws-lambda-cpp, issue 12 item 5; older
 * awslambdaric's /init/error, awslambdaric/lambda_runtime_client.py,
 * post_init_error), or "Unhandled" with
 * the type in the body (AWS's example, docs.aws.amazon.com/lambda/latest/dg/
 * runtimes-api.html, "Invocation error"; the Rust runtime's "unhandled",
 * aws-lambda-rust-runtime, lambda-runtime/src/requests.rs): the header's
 * "Unhandled" was taken for the type, and an init's errorType ignored. */
static void test_error_type_from_body(void)
{
    static const struct {
        const char *step, *header, *body, *type;
    } cases[] = {
        { "invoke", NULL, "{\"errorType\":\"OrderError\",\"errorMessage\":\"order o-1 cannot be "
          "processed\",\"trace\":[]}", "OrderError" },
        { "invoke", NULL, "{\"errorMessage\":\"no type\"}", "" },
        { "invoke", NULL, "{\"errorType\":7}", "" },
        { "invoke", NULL, "not json", "" },
        { "invoke", "Unhandled", "{\"errorMessage\" : \"Error parsing event data.\", "
          "\"errorType\" : \"InvalidEventDataException\"}", "InvalidEventDataException" },
        { "invoke", "unhandled", "{\"errorType\":\"&str\",\"errorMessage\":\"boom\"}", "&str" },
        { "invoke", "Unhandled", "not json", "Unhandled" },
        { "invoke", "Unhandled", "{\"errorType\":\"\",\"errorMessage\":\"empty type\"}", "Unhandled" },
        { "init", NULL, "{\"errorMessage\": \"Unable to import module 'app': No module named 'x'\", "
          "\"errorType\": \"Runtime.ImportModuleError\", \"stackTrace\": []}",
          "Runtime.ImportModuleError" },
        { "init", "unhandled", "", "unhandled" },
        { "init", NULL, "", "Runtime.InitError" },
    };
    char *event = kinesis_event(1, 1, 9);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* the pool copies our environment */
        setenv("ESMSIM_ERROR_BODY", cases[i].body, 1);
        if (cases[i].header)
            setenv("ESMSIM_ERROR_TYPE", cases[i].header, 1);
        const char *cmd[] = { "python3", "posts_errors.py", cases[i].step, NULL };
        struct hdl_pool *p = pool(cmd, PY_DIR, 1, 0, 0, NULL);
        unsetenv("ESMSIM_ERROR_BODY");
        unsetenv("ESMSIM_ERROR_TYPE");
        once(p, event, strcmp(cases[i].step, "init") == 0 ? HDL_INIT_ERROR : HDL_ERROR,
             cases[i].type, cases[i].body, NULL);
    }
    free(event);
}

/* A /response with a Lambda-Runtime-Function-Response-Mode other than
 * "streaming": the invocation fails as Runtime.InvalidResponseModeHeader with
 * no payload, the runtime told 400, its process kept for the next one
 * (README, "Run your own handler"; the emulator's invocationresponse.go).
 * The mode was ignored: the invocation succeeded with the body posted. */
static void test_invalid_response_mode(void)
{
    char rid[64];
    struct hdl_result r;
    char *event = kinesis_event(1, 1, 9);
    setenv("ESMSIM_ERROR_BODY", "{\"ok\":1}", 1);
    setenv("ESMSIM_RESPONSE_MODE", "Buffered", 1);
    const char *cmd[] = { "python3", "posts_errors.py", "mode", NULL };
    struct hdl_pool *p = pool(cmd, PY_DIR, 1, 0, 0, NULL);
    unsetenv("ESMSIM_ERROR_BODY");
    unsetenv("ESMSIM_RESPONSE_MODE");
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_ERROR);
    CHECK_STR(r.error_type, "Runtime.InvalidResponseModeHeader");
    CHECK_STR(r.body, "");
    CHECK_INT(r.body_len, 0);
    hdl_result_clear(&r);
    invoke(p, event, &r, rid);   /* the same process: what it printed of the 400 before START */
    CHECK_INT(r.kind, HDL_ERROR);
    CHECK(!r.cold_start);
    CHECK_CONTAINS(log_text(&r), "/response: 400\n");
    hdl_result_clear(&r);
    destroy(p);
    free(event);
}

/* Answers AWS reads its own way (README, "Run your own handler"; rapi.c):
 * a /response cut off (its head says 100 bytes, 10 come, then the runtime
 * half-closes) fails as Runtime.TruncatedResponse at once, with no payload,
 * the process kept for its next event (it waited for the 20 s wall timeout:
 * Sandbox.Timedout, a new process); a streamed /response whose trailers
 * report an error fails with that error, its type the body's errorType (as
 * an /error's), its body the error, not the chunks (it was a success of
 * the chunks). */
static void test_raw_answers(void)
{
    char rid[64];
    struct hdl_result r;
    char *event = kinesis_event(1, 1, 9);
    const char *cut[] = { "python3", "raw_answers.py", "cut", NULL };
    struct hdl_pool *p = pool(cut, PY_DIR, 1, 20000, 0, NULL);
    for (int i = 0; i < 2; i++) {
        invoke(p, event, &r, rid);
        CHECK_INT(r.kind, HDL_ERROR);
        CHECK_STR(r.error_type, "Runtime.TruncatedResponse");
        CHECK_STR(r.body, "");
        CHECK(r.wall_us < 10000000);
        CHECK_INT(r.cold_start, i == 0);
        if (i == 1)   /* the first one's 400 was never sent: the connection was closed */
            CHECK_CONTAINS(log_text(&r), "cut: ''\n");
        hdl_result_clear(&r);
    }
    CHECK_INT(hdl_started(p), 1);
    destroy(p);

    const char *trailers[] = { "python3", "raw_answers.py", "trailers", NULL };
    p = pool(trailers, PY_DIR, 1, 20000, 0, NULL);
    for (int i = 0; i < 2; i++) {
        invoke(p, event, &r, rid);
        CHECK_INT(r.kind, HDL_ERROR);
        CHECK_STR(r.error_type, "StreamError");
        CHECK_STR(r.body, "{\"errorType\": \"StreamError\", \"errorMessage\": \"stream broke\"}");
        CHECK_INT(r.cold_start, i == 0);
        if (i == 1)
            CHECK_CONTAINS(log_text(&r), "trailers: 'HTTP/1.1 202 Accepted'\n");
        hdl_result_clear(&r);
    }
    destroy(p);
    free(event);
}

/* Warm reuse, a crash's cold start, and which environment each invocation
 * gets: from submits and waits alone (handler.h). */
static void test_environments(void)
{
    struct hdl_result r;
    char *event = kinesis_event(1, 1, 9);
    struct hdl_pool *p = python("app.counter", 2, 0);
    uint64_t a = next_id++, b = next_id++, c = next_id++, d = next_id++;
    submit(p, a, event);   /* env 0 */
    submit(p, b, event);   /* env 1 */
    wait_for(p, b, &r);    /* waited out of order: fine */
    CHECK_INT(r.instance, 1);
    CHECK(strncmp(r.body, "{\"calls\": 1,", 12) == 0);
    hdl_result_clear(&r);
    submit(p, c, event);   /* env 1: nothing outstanding there */
    submit(p, d, event);   /* env 0 has a, env 1 has c: the lower, env 0, behind a */
    wait_for(p, a, &r);
    CHECK_INT(r.instance, 0);
    CHECK(r.cold_start);
    hdl_result_clear(&r);
    wait_for(p, c, &r);
    CHECK_INT(r.instance, 1);
    CHECK(!r.cold_start);
    CHECK(strncmp(r.body, "{\"calls\": 2,", 12) == 0);
    hdl_result_clear(&r);
    wait_for(p, d, &r);
    CHECK_INT(r.instance, 0);
    CHECK(strncmp(r.body, "{\"calls\": 2,", 12) == 0);
    hdl_result_clear(&r);
    CHECK_INT(hdl_started(p), 2);
    char err[128];
    CHECK_INT(hdl_wait(p, a, &r, err, sizeof err), -1);   /* waited already */
    char want[64];
    snprintf(want, sizeof want, "invocation %llu: not submitted", (unsigned long long)a);
    CHECK_STR(err, want);
    destroy(p);
    free(event);
}

/* Three environments at once: each invocation waits at a barrier until all
 * three have arrived, so they can only finish if they run in parallel. */
static void test_parallel(void)
{
    char dir[] = "/tmp/esmsim-barrier-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(barrier_env, sizeof barrier_env, "ESMSIM_BARRIER_DIR=%s", dir);
    char *event = kinesis_event(1, 1, 9);
    struct hdl_pool *p = python("app.barrier", 3, 20000);
    uint64_t ids[3];
    for (int i = 0; i < 3; i++)
        submit(p, ids[i] = next_id++, event);
    for (int i = 2; i >= 0; i--) {
        struct hdl_result r;
        wait_for(p, ids[i], &r);
        CHECK_INT(r.kind, HDL_RESPONSE);
        CHECK_STR(r.body, "{\"arrived\": 3}");
        CHECK_INT(r.instance, (uint32_t)i);
        hdl_result_clear(&r);
    }
    CHECK_INT(hdl_running(p), 3);
    destroy(p);
    barrier_env[0] = 0;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
    free(event);
}

/* The limit of open files (README, Real handlers: esmsim "raises its soft
 * limit as far as the environments need ... and the handlers get the limit it
 * was given"), with pools one after another and two at once in one process:
 * each pool's handlers get the limit the process had before any pool raised
 * it, and the process gets it back when its last pool ends (before: the
 * second pool read the first's raise as the limit given, its handlers got
 * that, and the process kept it for good). */
static int handler_files(struct hdl_pool *p, const char *event)
{
    char rid[64];
    struct hdl_result r;
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_RESPONSE);
    const char *at = strstr(log_text(&r), "open files: ");
    int n = at ? atoi(at + 12) : -1;
    hdl_result_clear(&r);
    return n;
}

static rlim_t soft_files(void)
{
    struct rlimit now;
    CHECK_INT(getrlimit(RLIMIT_NOFILE, &now), 0);
    return now.rlim_cur;
}

static void test_open_files_limit(void)
{
    struct rlimit was;
    CHECK_INT(getrlimit(RLIMIT_NOFILE, &was), 0);
    if (was.rlim_max != RLIM_INFINITY && was.rlim_max < 1024) {
        fprintf(stderr, "test_handler: open files: hard limit %llu under 1024, not tested\n",
                (unsigned long long)was.rlim_max);
        return;
    }
    CHECK_INT(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 200, was.rlim_max }), 0);
    char *event = kinesis_event(1, 1, 9);
    struct hdl_pool *a = python("bad.open_files", 8, 0);   /* wants 8 * (6 + 64) + 64 */
    CHECK_INT(soft_files(), 624);
    CHECK_INT(handler_files(a, event), 200);
    struct hdl_pool *b = python("bad.open_files", 1, 0);   /* 134: a's raise is enough */
    CHECK_INT(handler_files(b, event), 200);
    hdl_pool_destroy(a);   /* (destroy() would count b's process as left behind) */
    CHECK_INT(soft_files(), 624);   /* b's connections were counted within it */
    CHECK_INT(handler_files(b, event), 200);
    destroy(b);
    CHECK_INT(soft_files(), 200);   /* given back with the last pool */
    struct hdl_pool *c = python("bad.open_files", 1, 0);
    CHECK_INT(soft_files(), 200);
    CHECK_INT(handler_files(c, event), 200);
    destroy(c);
    CHECK_INT(setrlimit(RLIMIT_NOFILE, &was), 0);
    free(event);
}

/* ---- Node ---------------------------------------------------------------------------- */

static void test_node(void)
{
    char rid[64], want[512];
    struct hdl_result r;
    char *event = kinesis_event(3, 101, 2);

    /* CommonJS, async: the partial batch response; console lines as on Lambda */
    struct hdl_pool *p = node(NODE_CJS, "index.partial", 0);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_RESPONSE);
    CHECK_STR(r.body, "{\"batchItemFailures\":[{\"itemIdentifier\":\"103\"}]}");
    CHECK_CONTAINS(log_text(&r), "\tundefined\tINFO\tinit: index.js loaded\n");
    snprintf(want, sizeof want, "\t%s\tINFO\trecords 3\nraw stderr line\n", rid);
    CHECK_CONTAINS(log_text(&r), want);
    CHECK(r.log_init_len > 0 && r.log_init_len < r.log_len);
    hdl_result_clear(&r);
    destroy(p);

    /* an ES module (.mjs) and a .js under "type": "module" */
    p = node(SRCDIR "/tests/handlers/node/esm", "app.handler", 0);
    invoke(p, event, &r, rid);
    CHECK_STR(r.body, "{\"batchItemFailures\":[{\"itemIdentifier\":\"103\"}]}");
    hdl_result_clear(&r);
    destroy(p);
    p = node(SRCDIR "/tests/handlers/node/typemodule", "index.handler", 0);
    invoke(p, event, &r, rid);
    CHECK_STR(r.body, "{\"kind\":\"esm-js\",\"count\":3}");
    hdl_result_clear(&r);
    destroy(p);

    /* a callback: the answer waits for the empty event loop (the timer) */
    p = node(NODE_CJS, "index.callback", 0);
    invoke(p, event, &r, rid);
    CHECK_STR(r.body, "{\"batchItemFailures\":[{\"itemIdentifier\":\"103\"}],\"waited\":true}");
    CHECK_CONTAINS(log_text(&r), "\tINFO\ttimer fired\n");
    hdl_result_clear(&r);
    destroy(p);

    /* callbackWaitsForEmptyEventLoop = false: answered before the timer,
     * whose line comes before the next invocation's START */
    p = node(NODE_CJS, "index.nowait", 0);
    invoke(p, event, &r, rid);
    CHECK_STR(r.body, "{\"batchItemFailures\":[]}");
    CHECK(strstr(log_text(&r), "late timer") == NULL);
    hdl_result_clear(&r);
    sleep_ms(1000);
    invoke(p, event, &r, rid);
    CHECK(!r.cold_start);
    char *late = strstr(log_text(&r), "late timer");
    CHECK(late && (size_t)(late - r.log) < r.log_init_len);
    hdl_result_clear(&r);
    destroy(p);

    /* a throw, a crash, a hang */
    p = node(NODE_CJS, "index.throws", 0);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_ERROR);
    CHECK_STR(r.error_type, "TypeError");
    cJSON *doc = cJSON_Parse(r.body);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "errorType")), "TypeError");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "errorMessage")), "cannot read the record");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "trace")) > 1);
    cJSON_Delete(doc);
    CHECK_CONTAINS(log_text(&r), "\tERROR\tInvoke Error \t{\"errorType\":\"TypeError\"");
    hdl_result_clear(&r);
    destroy(p);
    once(node(NODE_CJS, "index.crash", 0), event, HDL_EXIT, "Runtime.ExitError",
         "exit status 2", "\tINFO\texiting\n");
    once(node(NODE_CJS, "index.hang", 300), event, HDL_TIMEOUT, "Sandbox.Timedout",
         "Task timed out after 0.30 seconds", NULL);

    /* the context, warm reuse */
    p = node(NODE_CJS, "index.context", 0);
    invoke(p, event, &r, rid);
    snprintf(want, sizeof want, "{\"awsRequestId\":\"%s\",\"functionName\":\"orders-consumer\","
             "\"functionVersion\":\"$LATEST\",\"memoryLimitInMB\":\"256\",\"invokedFunctionArn\":"
             "\"arn:aws:lambda:us-east-1:123456789012:function:orders-consumer\",\"logGroupName\":"
             "\"/aws/lambda/orders-consumer\",\"waits\":true,\"remainingOk\":true,\"calls\":1}", rid);
    CHECK_STR(r.body, want);
    hdl_result_clear(&r);
    invoke(p, event, &r, rid);
    CHECK_CONTAINS(r.body, "\"calls\":2}");
    hdl_result_clear(&r);
    destroy(p);

    /* an init error: a syntax error, and a module that is not there */
    once(node(NODE_CJS, "broken.handler", 0), event, HDL_INIT_ERROR,
         "Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected token", NULL);
    once(node(NODE_CJS, "nothere.handler", 0), event, HDL_INIT_ERROR,
         "Runtime.ImportModuleError", "Error: Cannot find module 'nothere'", NULL);
    free(event);
}

/* ---- the two timeouts (SPEC section 4; AWS's Init and Invoke phases) ------------------------- */

static void test_timeouts(void)
{
    char rid[64];
    struct hdl_result r;
    char *event = kinesis_event(1, 1, 9);

    /* a start-up longer than the wall timeout counts against init_timeout
     * (10 s by default), not against the invocation: it answers (a second
     * of wall timeout: room for an answer on a loaded machine, and still
     * 0.5 s less than the start-up) */
    const char *slow[] = { "sh", "-c", "sleep 1.5; exec python3 \"$0\" \"$@\"", PYTHON_BOOTSTRAP,
                           "app.counter", NULL };
    struct hdl_pool *p = pool(slow, PY_DIR, 1, 1000, 0, NULL);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_RESPONSE);
    CHECK_CONTAINS(r.body, "\"calls\": 1");
    CHECK(r.cold_start);
    CHECK(r.init_wall_us >= 1500000);
    hdl_result_clear(&r);
    invoke(p, event, &r, rid);   /* warm: the same process, its clock from the fetch too */
    CHECK_INT(r.kind, HDL_RESPONSE);
    CHECK_CONTAINS(r.body, "\"calls\": 2");
    hdl_result_clear(&r);
    destroy(p);

    /* a program that never asks for an event: killed after init_timeout,
     * whatever the wall timeout */
    const char *silent[] = { "python3", "-c", "import time; time.sleep(3600)", NULL };
    p = pool(silent, PY_DIR, 1, 60000, 500, NULL);
    invoke(p, event, &r, rid);
    CHECK_INT(r.kind, HDL_TIMEOUT);
    CHECK_STR(r.error_type, "Sandbox.Timedout");
    CHECK_CONTAINS(r.body, "Error: Init timed out after 0.50 seconds\"}");
    CHECK(r.cold_start);
    CHECK(r.wall_us >= 500000 && r.wall_us < 60000000);
    CHECK_INT(r.init_wall_us, 0);   /* it never fetched */
    hdl_result_clear(&r);
    CHECK_INT(hdl_running(p), 0);
    destroy(p);
    free(event);
}

/* ---- bad commands, interruption, the log lines ------------------------------------------- */

/* What hdl_pool_create() says of cfg: "KEY: what is wrong" (the key apart,
 * for the --set that wrote it), or "accepted". */
static const char *refusal(const struct hdl_config *cfg)
{
    static char said[600];
    char err[512];
    const char *key;
    struct hdl_pool *p = hdl_pool_create(cfg, &key, err, sizeof err);
    if (p)
        snprintf(said, sizeof said, "accepted");
    else
        snprintf(said, sizeof said, "%s: %s", key, err);
    hdl_pool_destroy(p);
    return said;
}

static void test_bad_commands(void)
{
    const char *missing[] = { "esmsim-no-such-program", "x", NULL };
    struct hdl_config cfg = { .command = missing, .instances = 1, .function_name = "f" };
    CHECK_STR(refusal(&cfg),
              "function.handler.command: program 'esmsim-no-such-program' not found in PATH");
    const char *not_exec[] = { "./app.py", NULL };
    cfg.command = not_exec;
    cfg.cwd = PY_DIR;
    CHECK_STR(refusal(&cfg), "function.handler.command: '" PY_DIR "/./app.py' is not executable "
              "(chmod +x, or name its interpreter first)");
    const char *relative_missing[] = { "./nothere", NULL };
    cfg.command = relative_missing;
    CHECK_STR(refusal(&cfg),
              "function.handler.command: program './nothere' not found (" PY_DIR "/./nothere)");
    const char *dir_cmd[] = { "/tmp", NULL };
    cfg.command = dir_cmd;
    CHECK_STR(refusal(&cfg), "function.handler.command: '/tmp' is not a file");
    const char *empty[] = { NULL };
    cfg.command = empty;
    CHECK_STR(refusal(&cfg), "function.handler.command: expected a non-empty array of strings");
    const char *ok[] = { "python3", NULL };
    cfg.command = ok;
    cfg.cwd = SRCDIR "/tests/handlers/nothere";
    CHECK_STR(refusal(&cfg),
              "function.handler.cwd: '" SRCDIR "/tests/handlers/nothere' is not a directory");
    cfg.cwd = NULL;
    cfg.instances = 0;
    CHECK_STR(refusal(&cfg), "function.handler.instances: expected 1 to 256, got 0");
    cfg.instances = 1;
    const char *bad_env[] = { "NOEQUALS", NULL };
    cfg.env = bad_env;
    CHECK_STR(refusal(&cfg), "function.handler.env: expected NAME=value, got 'NOEQUALS'");
}

static void test_interrupted(void)
{
    static volatile sig_atomic_t flag;
    const char *cmd[] = { "python3", PYTHON_BOOTSTRAP, "app.hang", NULL };
    struct hdl_pool *p = pool(cmd, PY_DIR, 1, 60000, 0, &flag);
    char *event = kinesis_event(1, 1, 9);
    uint64_t id = next_id++;
    submit(p, id, event);
    sleep_ms(300);
    flag = 1;
    struct hdl_result r;
    char err[64];
    CHECK_INT(hdl_wait(p, id, &r, err, sizeof err), -1);
    CHECK_STR(err, "interrupted");
    destroy(p);   /* kills the hung handler at once */
    free(event);
}

static void test_log_lines(void)
{
    char buf[HDL_LOG_LINE_MAX];
    hdl_log_start(buf, "8f507cfc-0000-4000-8000-000000000001", NULL);
    CHECK_STR(buf, "START RequestId: 8f507cfc-0000-4000-8000-000000000001 Version: $LATEST");
    hdl_log_end(buf, "8f507cfc-0000-4000-8000-000000000001");
    CHECK_STR(buf, "END RequestId: 8f507cfc-0000-4000-8000-000000000001");
    hdl_log_report(buf, "r1", 12345, 128, 51200, 0);
    CHECK_STR(buf, "REPORT RequestId: r1\tDuration: 12.35 ms\tBilled Duration: 13 ms\t"
              "Memory Size: 128 MB\tMax Memory Used: 50 MB");
    hdl_log_report(buf, "r1", 2000, 256, 51201, 101204);
    CHECK_STR(buf, "REPORT RequestId: r1\tDuration: 2.00 ms\tBilled Duration: 2 ms\t"
              "Memory Size: 256 MB\tMax Memory Used: 51 MB\tInit Duration: 101.20 ms");
}

/* hdl_kill_all(), what the signal handler and atexit() call: every group
 * of the pool dies at once; the pool sees it as a crash. */
static void test_kill_all(void)
{
    char dir[] = "/tmp/esmsim-kill-XXXXXX", want[256], rid[64];
    if (!mkdtemp(dir))
        exit(1);
    snprintf(barrier_env, sizeof barrier_env, "ESMSIM_BARRIER_DIR=%s", dir);
    const char *cmd[] = { "python3", PYTHON_BOOTSTRAP, "app.arrive_and_hang", NULL };
    struct hdl_pool *p = pool(cmd, PY_DIR, 2, 60000, 0, NULL);
    char *event = kinesis_event(1, 1, 9);
    uint64_t a = next_id++, b = next_id++;
    submit(p, a, event);
    submit(p, b, event);
    while (count_files(dir) < 2)
        sleep_ms(20);
    hdl_kill_all();
    struct hdl_result r;
    wait_for(p, a, &r);
    CHECK_INT(r.kind, HDL_EXIT);
    CHECK_INT(r.exit_status, -SIGKILL);
    awsjson_request_id(a, rid);
    snprintf(want, sizeof want, "{\"errorType\":\"Runtime.ExitError\",\"errorMessage\":"
             "\"RequestId: %s Error: Runtime exited with error: signal: killed\"}", rid);
    CHECK_STR(r.body, want);
    hdl_result_clear(&r);
    wait_for(p, b, &r);
    CHECK_INT(r.kind, HDL_EXIT);
    hdl_result_clear(&r);
    CHECK_INT(hdl_running(p), 0);
    destroy(p);
    barrier_env[0] = 0;
    snprintf(want, sizeof want, "rm -rf %s", dir);
    CHECK_INT(system(want), 0);
    free(event);
}

/* ---- no orphans when the owner dies ---------------------------------------------------- */

enum ending { END_EXIT, END_SIGTERM, END_SIGKILL };

/* The owner's part, in a process of its own (this program run again with
 * --owner, leak checks off: it leaves on purpose without destroying). */
static int owner_main(enum ending how, const char *mark, const char *dir, int ready_fd)
{
    snprintf(marker, sizeof marker, "%s", mark);
    snprintf(barrier_env, sizeof barrier_env, "ESMSIM_BARRIER_DIR=%s", dir);
    const char *cmd[] = { "python3", PYTHON_BOOTSTRAP, "app.detach_arrive_and_hang", NULL };
    struct hdl_pool *p = pool(cmd, PY_DIR, 2, 60000, 0, NULL);
    char *event = kinesis_event(1, 1, 9);
    submit(p, 1, event);
    submit(p, 2, event);
    while (count_files(dir) < 2)   /* both handlers run */
        sleep_ms(20);
    if (write(ready_fd, "x", 1) != 1)
        return 9;
    if (how == END_EXIT)
        exit(0);     /* without destroying the pool: atexit() */
    for (;;)
        pause();     /* the parent sends the signal */
}

/* A process starts a pool with two hanging handlers, each of which started
 * a process in a session of its own, then ends as told; afterwards no process
 * of that pool may remain, those in a session of their own neither (they
 * lived on after exit() and SIGKILL: only the handlers' groups were killed). */
static void test_owner_dies(enum ending how)
{
    char mark[64], how_arg[8], fd_arg[16], dir[] = "/tmp/esmsim-owner-XXXXXX";
    snprintf(mark, sizeof mark, "ESMSIM_TEST_MARKER=owner-%d-%d", (int)getpid(), (int)how);
    int ready[2];
    if (pipe(ready) < 0 || !mkdtemp(dir))
        exit(1);
    snprintf(how_arg, sizeof how_arg, "%d", (int)how);
    snprintf(fd_arg, sizeof fd_arg, "%d", ready[1]);
    pid_t child = fork();
    if (child == 0) {
        close(ready[0]);
        setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
        execl("/proc/self/exe", "test_handler", "--owner", how_arg, mark, dir, fd_arg,
              (char *)NULL);
        _exit(127);
    }
    close(ready[1]);
    char c;
    CHECK_INT(read(ready[0], &c, 1), 1);
    close(ready[0]);
    if (how != END_EXIT) {   /* (exit() follows the ready byte at once) */
        CHECK(count_marked(mark) >= 4);   /* two handlers, two detached */
        kill(child, how == END_SIGTERM ? SIGTERM : SIGKILL);
    }
    int status;
    waitpid(child, &status, 0);
    if (how == END_EXIT)
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    else   /* SIGTERM: the handler killed the groups, then the signal took its course */
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == (how == END_SIGTERM ? SIGTERM : SIGKILL));
    CHECK_INT(marked_after(mark, 3000), 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--owner") == 0)
        return owner_main((enum ending)atoi(argv[2]), argv[3], argv[4], atoi(argv[5]));
    snprintf(marker, sizeof marker, "ESMSIM_TEST_MARKER=test-handler-%d", (int)getpid());
    test_owner_dies(END_EXIT);
    test_owner_dies(END_SIGTERM);
    test_owner_dies(END_SIGKILL);
    test_bad_commands();
    test_log_lines();
    test_python_partial_batch_response();
    test_python_errors();
    test_timeouts();
    test_python_init_errors();
    test_exit_after_answer();
    test_detached();
    test_python_environment();
    test_python_probes();
    test_error_type_from_body();
    test_invalid_response_mode();
    test_raw_answers();
    test_environments();
    test_parallel();
    test_open_files_limit();
    test_interrupted();
    test_kill_all();
    test_node();
    return check_done();
}
