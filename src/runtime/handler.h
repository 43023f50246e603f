/*
 * handler.h - a user's real handler program as Lambda execution environments
 * (SPEC section 4, issue 12 items 1-2): up to `instances` processes, each
 * started with the variables Lambda sets and its own Runtime API endpoint
 * (rapi.h), that the simulation hands invocations to and collects answers
 * from.  An edge module: the simulation core never includes it.
 *
 * Use: hdl_pool_create(); for each invocation that starts at a virtual
 * instant, hdl_submit() (returns at once: the invocation is queued on an
 * environment); then hdl_wait() for each, in the order the simulation needs
 * the answers (its virtual completion order), and hdl_result_clear().
 * Several environments run their handlers in parallel on real cores.
 *
 * Threads: one I/O thread per pool owns the processes, their output pipes
 * and their Runtime API endpoints (poll(), libmicrohttpd without threads of
 * its own).  The caller's thread only queues and waits (a mutex and a
 * condition variable).  hdl_* functions are called from one thread.
 *
 * Determinism: what decides a result never depends on which process answers
 * first.  An invocation's environment is chosen in hdl_submit(), from what
 * the caller did before (submits and waits), never from wall time: the
 * lowest-numbered environment with nothing outstanding (submitted and not yet
 * waited for), else the one with the fewest outstanding (lowest number first),
 * behind which it queues.  So, given a deterministic handler, every result
 * (kind, body, log bytes, cold_start, environment) is the same in every run;
 * only the wall-time fields differ.  A process's stdout and stderr share one
 * pipe, as they share one CloudWatch log stream: their lines keep the order
 * the program wrote them in.  A process that ends after its answer, before
 * it fetches the next invocation, ends between the two: the next one starts
 * a new process, whether it was handed over before the exit was seen or
 * after.  (A handler that ends its process on a timer of its own, after it
 * fetched the next event or not, makes which invocation it ends a race, as
 * on Lambda.)
 *
 * Environments: a process is started for an environment's first invocation
 * (a cold start) and kept warm for the next ones.  It ends, and the next
 * invocation of that environment starts a new one (again a cold start), when
 * it exits or crashes (Runtime.ExitError), posts /init/error
 * (Runtime.InitError) or is killed after a timeout (Sandbox.Timedout).
 *
 * Timeouts (wall time, safety bounds; AWS's Init and Invoke phases): a new
 * process's init, from its start to its first request for an event (GET
 * /next), is bounded by init_timeout (AWS's Init limit, 10 s: Python or Node
 * start-up on a loaded machine never counts against the function); an
 * invocation, from when the runtime fetched its event, by wall_timeout; a warm
 * process must come back for its next event within wall_timeout too.
 * Each process runs in a process group of its own, under a keeper: a small
 * process of ours that started it and is the subreaper of everything it
 * starts, so a process that leaves the group (setsid: Python's
 * start_new_session, Node's detached spawn) becomes the keeper's child once
 * the one that started it ended; the keeper reaps those that end (every
 * second).  When the process ends (its exit, a timeout, the pool stopping),
 * its group is killed and its keeper kills and reaps everything under it; so
 * it does when esmsim dies without a word (SIGKILL, a crash): the kernel
 * closes esmsim's end of the keeper's socket, which is the keeper's signal.
 * Every group is also killed (SIGKILL) by an atexit() handler and on SIGINT,
 * SIGTERM and SIGHUP when nobody else handles them (the handler kills the
 * groups, then the signal takes its default course), and a process whose
 * keeper died is killed by the kernel (PR_SET_PDEATHSIG).  Found only when
 * /proc lists a process's children (CONFIG_PROC_CHILDREN, every common
 * distribution's kernel): else a process that left its group is left alone.
 *
 * The environment (what Lambda sets, SPEC section 4): esmsim's own variables
 * as they were when the pool was created, minus those starting with AWS_,
 * LAMBDA_ or _X_AMZN and _HANDLER (a user's real credentials or profile never
 * reach the handler), then
 * AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT, _HANDLER, AWS_LAMBDA_FUNCTION_NAME,
 * AWS_LAMBDA_FUNCTION_VERSION, AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_REGION,
 * AWS_DEFAULT_REGION, AWS_LAMBDA_LOG_GROUP_NAME (/aws/lambda/NAME),
 * AWS_LAMBDA_LOG_STREAM_NAME (YYYY/MM/DD/[VERSION]32hex, the date of the
 * scenario's epoch, the hex from the environment's number and incarnation),
 * AWS_LAMBDA_INITIALIZATION_TYPE=on-demand, LAMBDA_TASK_ROOT (the working
 * directory), TZ=:UTC, and dummy AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN so SDK clients construct; last, the scenario's `env`,
 * which may override any of them.  stdin is /dev/null.
 *
 * Files: handler_pool.c (the pool, its I/O thread and this interface),
 * handler_proc.c (the processes: start, output, exit, the process-group
 * registry, the environment), handler_log.c (CloudWatch's lines); what the
 * first two share is handler_int.h.
 *
 * ---------------------------------------------------------------------------
 * Integration: realfn.c puts this pool behind function.h's fn_backend (the
 * core still knows nothing of HTTP, processes or JSON): the mapping submits
 * an invocation when it starts (the event bytes of --dump-events) and waits
 * for its answer at its virtual end, in virtual time order; realfn.c reads
 * the answer into what R7 and R15 judge and writes result.log with START /
 * END / REPORT lines to the run log's `logs` table; cold starts are the
 * model's; the CLI maps an hdl_pool_create() error to exit 2 and passes its
 * `interrupted` flag (README, "Run your own handler").
 */
#ifndef ESMSIM_HANDLER_H
#define ESMSIM_HANDLER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The output kept per invocation; beyond it bytes are counted, not kept. */
#define HDL_LOG_MAX_BYTES (4u * 1024u * 1024u)

/* A new process's init bound by default: AWS's Init phase limit for
 * on-demand functions ("Lambda execution environment lifecycle"). */
#define HDL_INIT_TIMEOUT_MS 10000

/* What function.handler says, plus what the function is (borrowed: only
 * during hdl_pool_create(), which copies what it keeps). */
struct hdl_config {
    const char *const *command;    /* argv, NULL-terminated; command[0] searched in PATH
                                    * when it has no '/', relative to cwd otherwise */
    uint32_t instances;            /* execution environments at most, >= 1 */
    const char *const *env;        /* "NAME=value" entries, NULL-terminated, or NULL */
    const char *cwd;               /* working directory and LAMBDA_TASK_ROOT; NULL: ours */
    int64_t wall_timeout_ms;       /* kill an invocation unanswered this long after its
                                    * event was fetched (wall); 0: 5 x its timeout */
    int64_t init_timeout_ms;       /* kill a new process that has not asked for an event
                                    * this long after its start (wall); 0: HDL_INIT_TIMEOUT_MS */
    const char *function_name;     /* AWS_LAMBDA_FUNCTION_NAME */
    const char *function_version;  /* NULL: "$LATEST" */
    const char *handler;           /* _HANDLER; NULL: the command's last argument when it
                                    * has two or more, else the program's file name */
    const char *region;            /* NULL: "us-east-1" */
    const char *function_arn;      /* Lambda-Runtime-Invoked-Function-Arn; NULL:
                                    * arn:aws:lambda:REGION:123456789012:function:NAME */
    uint32_t memory_mb;            /* AWS_LAMBDA_FUNCTION_MEMORY_SIZE; 0: 128 */
    int64_t epoch_ms;              /* the scenario's wall time of virtual 0 (log stream date) */
    volatile sig_atomic_t *interrupted;  /* when set and nonzero, hdl_wait() gives up; may be NULL */
};

/* How an invocation ended. */
enum hdl_kind {
    HDL_RESPONSE,     /* the handler returned: body is its result, as posted */
    HDL_ERROR,        /* it posted /error (it threw): body as posted, error_type its
                       * Lambda-Runtime-Function-Error-Type header, else the body's
                       * errorType (aws-lambda-ric 3 sends no header), else "" */
    HDL_TOO_LARGE,    /* its response was over RAPI_MAX_RESPONSE_BYTES: Function.ResponseSizeTooLarge */
    HDL_INIT_ERROR,   /* its runtime posted /init/error: error_type as posted
                       * ("Runtime.InitError" when it sent none), body as posted */
    HDL_EXIT,         /* the process ended before answering: Runtime.ExitError
                       * (Runtime.InvalidEntrypoint when it could not be executed) */
    HDL_TIMEOUT,      /* no event fetched within the init timeout, or no answer within
                       * the wall timeout of the fetch; killed: Sandbox.Timedout */
};

/* What hdl_wait() gives; every pointer is malloc'd and owned by the result
 * until hdl_result_clear(). */
struct hdl_result {
    enum hdl_kind kind;
    char *error_type;        /* "" for HDL_RESPONSE; else as enum hdl_kind says */
    char *body;              /* NUL-terminated, body_len bytes: the response or error
                              * document; for EXIT / TOO_LARGE / TIMEOUT, AWS's JSON:
                              * {"errorType":"Runtime.ExitError","errorMessage":"RequestId:
                              * ID Error: Runtime exited with error: exit status 1"} */
    size_t body_len;
    char *log;               /* what the process printed (stdout and stderr), log_len bytes */
    size_t log_len;
    size_t log_init_len;     /* its first bytes came before the invocation was fetched:
                              * the init of a cold start, or printed after the previous
                              * answer (CloudWatch shows them before START) */
    uint64_t log_dropped;    /* bytes printed beyond HDL_LOG_MAX_BYTES */
    bool cold_start;         /* a new process was started for it */
    uint32_t instance;       /* its environment, 0 .. instances-1 */
    uint64_t incarnation;    /* that environment's process number, from 1 */
    int64_t init_wall_us;    /* cold start: process start to its first /next; else 0 */
    int64_t wall_us;         /* the event fetched (or the process started, when it never
                              * fetched it) to the end */
    int exit_status;         /* HDL_EXIT: the exit code, or -signal */
    uint64_t max_memory_kb;  /* the process's peak resident memory so far (VmHWM, read at most
                              * every 50 ms), 0 unknown */
};

void hdl_result_clear(struct hdl_result *r);

struct hdl_pool;

/*
 * Check the command (the program exists and may be executed, cwd is a
 * directory) and start the I/O thread; no process starts before the first
 * hdl_submit().  NULL when unusable, with the scenario key at fault in *key
 * (a static string, "function.handler.command") and what is wrong with it in
 * err ("program 'x' not found in PATH"): the caller says where it was set.
 */
struct hdl_pool *hdl_pool_create(const struct hdl_config *cfg, const char **key,
                                 char *err, size_t errlen);

/* Kill and reap every process, stop the endpoints and the thread, free all;
 * invocations not waited for are dropped.  NULL is fine. */
void hdl_pool_destroy(struct hdl_pool *p);

/*
 * Queue an invocation (returns at once).  invocation_id is the caller's and
 * unique among those not yet waited for; request_id (Lambda-Runtime-Aws-
 * Request-Id) at most RAPI_REQUEST_ID_MAX characters; the event is copied;
 * timeout_ms is the function's timeout: the deadline the runtime sees is the
 * wall time when it fetches the event plus timeout_ms.  -1 with a message.
 */
int hdl_submit(struct hdl_pool *p, uint64_t invocation_id, const char *request_id,
               const char *event, size_t event_len, int64_t timeout_ms,
               char *err, size_t errlen);

/*
 * Block until that invocation has ended and move its result to *out.  -1
 * with a message when the id is unknown, the pool failed, or the config's
 * interrupted flag was raised (within 50 ms).
 */
int hdl_wait(struct hdl_pool *p, uint64_t invocation_id, struct hdl_result *out,
             char *err, size_t errlen);

/*
 * Stop every process and the I/O thread, then hand over, on the caller's
 * thread, what each environment's process printed after its last answer
 * (which no invocation's result carries: no next invocation fetched it).
 * A process that answered is first given up to 2 s to ask for its next
 * event, so that what it prints until then is all there whatever the
 * machine's speed; one still running an invocation is killed at once (what
 * that invocation printed is dropped with it: how far it got is a race).
 * After it, hdl_submit() and hdl_wait() fail; hdl_pool_destroy() still
 * frees.  text is borrowed for the call; dropped counts bytes beyond
 * HDL_LOG_MAX_BYTES.  cb may be NULL (the output is dropped).
 */
typedef void (*hdl_leftover_fn)(void *ctx, uint32_t instance, const char *text, size_t len,
                                uint64_t dropped);
void hdl_pool_finish(struct hdl_pool *p, hdl_leftover_fn cb, void *ctx);

/* Processes alive now, and started since the pool was created. */
uint32_t hdl_running(struct hdl_pool *p);
uint64_t hdl_started(struct hdl_pool *p);

/*
 * Kill every process group of every pool at once (SIGKILL): async-signal-
 * safe, for a signal handler of the caller's; hdl_pool_destroy() still reaps.
 */
void hdl_kill_all(void);

/*
 * CloudWatch's lines around an invocation's output, as Lambda writes them
 * (no newline at the end; buf of HDL_LOG_LINE_MAX bytes):
 *   START RequestId: ID Version: $LATEST
 *   END RequestId: ID
 *   REPORT RequestId: ID\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB
 *     \tMax Memory Used: 50 MB[\tInit Duration: 101.20 ms]
 * durations in microseconds; init_us 0 leaves Init Duration out.
 */
#define HDL_LOG_LINE_MAX 256
void hdl_log_start(char *buf, const char *request_id, const char *version);
void hdl_log_end(char *buf, const char *request_id);
void hdl_log_report(char *buf, const char *request_id, int64_t duration_us, uint32_t memory_mb,
                    uint64_t max_memory_kb, int64_t init_us);

#endif
