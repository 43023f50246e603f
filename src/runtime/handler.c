/*
 * handler.c - execution environments running a real handler program
 * (handler.h, SPEC section 4): the pool, its I/O thread, starting and ending
 * processes, their output, and the process-group registry that lets any exit
 * path kill them.
 *
 * The I/O thread does all the work with processes and sockets, under the
 * pool's lock except while it sleeps in poll(): it hands queued invocations
 * to their environments (starting processes), runs the Runtime API endpoints
 * (rapi.c, whose callbacks land here), reads the output pipes, notices exits
 * (pidfd) and wall timeouts.  The caller's thread queues (hdl_submit) and
 * sleeps on the condition variable until a result is there (hdl_wait).
 */
#define _GNU_SOURCE
#include "handler.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "errmsg.h"
#include "rapi.h"

extern char **environ;

#define MAX_INSTANCES 256
#define READ_CHUNK 65536
#define EXIT_TICK_MS 100     /* how often exits are polled for when pidfd_open is missing */
#define FINISH_GRACE_MS 2000 /* hdl_pool_finish: how long an answered process may take to be idle */
#define MEMORY_READ_US 50000 /* how often a process's peak memory is read again */

/* ---- the process-group registry -------------------------------------------- */

/*
 * Every live process group of every pool, for the paths that cannot take a
 * lock: a signal handler and atexit().  Process-wide by nature (signals and
 * exit are), hence the one global state of the program; lock-free atomics.
 * A group is killed only by the process that started it (owner), so a child
 * forked by `sweep` never kills its parent's handlers when it exits.
 */
#define MAX_GROUPS 1024
static atomic_int group_ids[MAX_GROUPS];
static atomic_int group_owner[MAX_GROUPS];
static pthread_once_t exit_paths_once = PTHREAD_ONCE_INIT;

static bool group_register(pid_t pgid)
{
    for (int i = 0; i < MAX_GROUPS; i++) {
        int zero = 0;
        if (atomic_load(&group_ids[i]) == 0 &&
            atomic_compare_exchange_strong(&group_ids[i], &zero, -1)) {
            atomic_store(&group_owner[i], (int)getpid());
            atomic_store(&group_ids[i], (int)pgid);
            return true;
        }
    }
    return false;
}

static void group_unregister(pid_t pgid)
{
    for (int i = 0; i < MAX_GROUPS; i++) {
        int id = (int)pgid;
        if (atomic_compare_exchange_strong(&group_ids[i], &id, 0))
            return;
    }
}

void hdl_kill_all(void)
{
    int me = (int)getpid();
    for (int i = 0; i < MAX_GROUPS; i++) {
        int id = atomic_load(&group_ids[i]);
        if (id > 0 && atomic_load(&group_owner[i]) == me)
            kill(-id, SIGKILL);
    }
}

/* SIGINT / SIGTERM / SIGHUP nobody else handles: kill the handlers, then die
 * of the signal as before (SA_RESETHAND restored the default). */
static void on_fatal_signal(int sig)
{
    int saved = errno;
    hdl_kill_all();
    raise(sig);
    errno = saved;
}

static void install_exit_paths(void)
{
    atexit(hdl_kill_all);
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
            old.sa_handler == SIG_DFL) {
            struct sigaction sa = { .sa_handler = on_fatal_signal, .sa_flags = SA_RESETHAND };
            sigemptyset(&sa.sa_mask);
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

/* ---- small pieces ------------------------------------------------------------ */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Output bytes, kept up to HDL_LOG_MAX_BYTES, the rest counted. */
struct buf {
    char *p;
    size_t len, cap;
    uint64_t dropped;
};

static void buf_add(struct buf *b, const char *data, size_t n)
{
    size_t room = HDL_LOG_MAX_BYTES - b->len;
    size_t keep = n < room ? n : room;
    b->dropped += n - keep;
    if (!keep)
        return;
    if (b->len + keep + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + keep + 1)
            cap *= 2;
        char *grown = realloc(b->p, cap);
        if (!grown) {
            b->dropped += keep;
            return;
        }
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, keep);
    b->len += keep;
    b->p[b->len] = 0;
}

static void buf_free(struct buf *b)
{
    free(b->p);
    *b = (struct buf){ 0 };
}

/* A NULL-terminated list of "NAME=value" strings (each malloc'd). */
struct strv {
    char **v;
    size_t n, cap;
};

static int strv_set(struct strv *s, const char *name, size_t name_len, const char *value)
{
    size_t vlen = strlen(value);
    char *entry = malloc(name_len + vlen + 2);
    if (!entry)
        return -1;
    memcpy(entry, name, name_len);
    entry[name_len] = '=';
    memcpy(entry + name_len + 1, value, vlen + 1);
    for (size_t i = 0; i < s->n; i++)
        if (strncmp(s->v[i], name, name_len) == 0 && s->v[i][name_len] == '=') {
            free(s->v[i]);
            s->v[i] = entry;
            return 0;
        }
    if (s->n + 2 > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        char **grown = realloc(s->v, cap * sizeof *grown);
        if (!grown) {
            free(entry);
            return -1;
        }
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->n++] = entry;
    s->v[s->n] = NULL;
    return 0;
}

static int strv_put(struct strv *s, const char *name, const char *value)
{
    return strv_set(s, name, strlen(name), value);
}

/* "NAME=value" as one entry. */
static int strv_put_entry(struct strv *s, const char *entry)
{
    const char *eq = strchr(entry, '=');
    return eq ? strv_set(s, entry, (size_t)(eq - entry), eq + 1) : 0;
}

static void strv_free(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    *s = (struct strv){ 0 };
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

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

/* ---- the pool ------------------------------------------------------------------ */

struct inv;

/* One execution environment: at most one process at a time. */
struct env {
    struct hdl_pool *pool;
    uint32_t index;
    pid_t pid;                   /* 0: no process */
    int pidfd;                   /* -1 when pidfd_open is missing */
    int status_fd;               /* its /proc/PID/status, kept open (peak memory); -1 */
    uint64_t max_memory_kb;      /* its VmHWM when last read; 0: not read yet */
    int64_t max_memory_read_us;  /* then (monotonic) */
    int out_fd;                  /* read end of its stdout+stderr; -1 */
    struct rapi *api;
    uint64_t incarnation;        /* processes started here so far */
    int64_t spawned_us;
    bool served;                 /* the process has fetched an invocation */
    bool doomed;                 /* end the process after rapi_run (its init failed) */
    struct inv *head, *tail;     /* its queue; head is current once handed over */
    struct inv *current;
    uint32_t outstanding;        /* submitted here and not yet waited for */
    struct buf pending;          /* output printed with no invocation in progress */
};

/* One submitted invocation. */
struct inv {
    uint64_t id;
    char request_id[RAPI_REQUEST_ID_MAX + 1];
    char *event;
    size_t event_len;
    int64_t timeout_ms, wall_timeout_ms;
    struct env *env;
    bool done;
    bool fetched;
    int64_t started_us;          /* handed to its environment */
    int64_t fetched_us;
    int64_t deadline_us;         /* started_us + wall timeout */
    struct buf log;
    struct hdl_result res;
    struct inv *next;            /* the pool's list */
    struct inv *next_queued;     /* its environment's queue */
};

struct hdl_pool {
    pthread_mutex_t mu;
    pthread_cond_t done;         /* a result is there, or the pool failed */
    pthread_t thread;
    bool thread_started;
    int wake_fd;                 /* eventfd: the caller queued something or stops */
    int devnull;
    bool stop;
    bool finished;               /* a result came in: wake the waiters after unlocking */
    bool failed;
    char fail_msg[256];
    struct env *envs;
    uint32_t n_env;
    struct inv *invs;
    struct pollfd *pfd;          /* 1 + 3 per environment */
    uint32_t running;
    uint64_t started;
    /* the configuration, copied */
    char *path;                  /* the program, resolved */
    char **argv;
    size_t argc;
    char **inherited_env;        /* esmsim's environment when the pool was created, filtered */
    char **user_env;             /* the scenario's entries */
    char *cwd;                   /* absolute */
    char *function_name, *function_version, *handler, *region, *function_arn;
    uint32_t memory_mb;
    int64_t epoch_ms, wall_timeout_ms;
    volatile sig_atomic_t *interrupted;
};

void hdl_result_clear(struct hdl_result *r)
{
    free(r->error_type);
    free(r->body);
    free(r->log);
    *r = (struct hdl_result){ 0 };
}

/* ---- the program ------------------------------------------------------------- */

static bool is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The program's path as execve() wants it, malloc'd; NULL with a message. */
static char *resolve_program(const char *prog, const char *cwd, char *err, size_t errlen)
{
    if (strchr(prog, '/')) {
        size_t n = strlen(cwd) + strlen(prog) + 2;
        char *path = malloc(n);
        if (!path) {
            errmsg_set(err, errlen, "function.handler.command: out of memory");
            return NULL;
        }
        if (prog[0] == '/')
            snprintf(path, n, "%s", prog);
        else
            snprintf(path, n, "%s/%s", cwd, prog);
        struct stat st;
        if (stat(path, &st) != 0)
            errmsg_set(err, errlen, "function.handler.command: program '%s' not found (%s)",
                       prog, path);
        else if (!S_ISREG(st.st_mode))
            errmsg_set(err, errlen, "function.handler.command: '%s' is not a file", path);
        else if (access(path, X_OK) != 0)
            errmsg_set(err, errlen, "function.handler.command: '%s' is not executable "
                       "(chmod +x, or name its interpreter first)", path);
        else
            return path;
        free(path);
        return NULL;
    }
    const char *dirs = getenv("PATH");
    if (!dirs)
        dirs = "/usr/local/bin:/usr/bin:/bin";
    for (const char *d = dirs;; ) {
        const char *end = strchr(d, ':');
        size_t dlen = end ? (size_t)(end - d) : strlen(d);
        size_t n = dlen + strlen(prog) + 2;
        char *path = malloc(n);
        if (!path) {
            errmsg_set(err, errlen, "function.handler.command: out of memory");
            return NULL;
        }
        if (dlen == 0)
            snprintf(path, n, "%s", prog);   /* an empty entry: the current directory */
        else
            snprintf(path, n, "%.*s/%s", (int)dlen, d, prog);
        if (is_executable_file(path))
            return path;
        free(path);
        if (!end)
            break;
        d = end + 1;
    }
    errmsg_set(err, errlen, "function.handler.command: program '%s' not found in PATH", prog);
    return NULL;
}

static char **copy_strings(const char *const *v, size_t *count)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **out = calloc(n + 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(out[i] = strdup(v[i]))) {
            for (size_t j = 0; j < i; j++)
                free(out[j]);
            free(out);
            return NULL;
        }
    if (count)
        *count = n;
    return out;
}

static void free_strings(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* ---- the environment a process gets ------------------------------------------- */

static bool inherited(const char *entry)
{
    return strncmp(entry, "AWS_", 4) != 0 && strncmp(entry, "LAMBDA_", 7) != 0 &&
           strncmp(entry, "_X_AMZN", 7) != 0 && strncmp(entry, "_HANDLER=", 9) != 0;
}

/* A copy of our environment without what must not reach a handler; taken
 * once, on the caller's thread (the I/O thread never reads environ, which
 * setenv() may change under it). */
static char **inherited_environment(void)
{
    size_t n = 0;
    for (char **v = environ; v && *v; v++)
        n += inherited(*v);
    char **out = calloc(n + 1, sizeof *out);
    size_t i = 0;
    for (char **v = environ; out && v && *v; v++)
        if (inherited(*v) && !(out[i++] = strdup(*v))) {
            free_strings(out);
            return NULL;
        }
    return out;
}

static int build_env(const struct hdl_pool *p, const struct env *e, struct strv *s)
{
    char mem[16], api[32], stream[96], group[300];
    snprintf(mem, sizeof mem, "%u", p->memory_mb);
    snprintf(api, sizeof api, "127.0.0.1:%u", (unsigned)rapi_port(e->api));
    snprintf(group, sizeof group, "/aws/lambda/%s", p->function_name);
    /* The log stream: the scenario's date, then 32 hex digits from the
     * environment and its incarnation (the same in every run). */
    time_t day = (time_t)(p->epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&day, &tm);
    uint64_t seed = ((uint64_t)e->index << 32) ^ e->incarnation;
    uint64_t a = splitmix64(&seed), b = splitmix64(&seed);
    snprintf(stream, sizeof stream, "%04d/%02d/%02d/[%s]%016llx%016llx", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, p->function_version, (unsigned long long)a,
             (unsigned long long)b);
    int rc = 0;
    for (char **v = p->inherited_env; v && *v; v++)
        rc |= strv_put_entry(s, *v);
    rc |= strv_put(s, "_HANDLER", p->handler);
    rc |= strv_put(s, "AWS_LAMBDA_FUNCTION_NAME", p->function_name);
    rc |= strv_put(s, "AWS_LAMBDA_FUNCTION_VERSION", p->function_version);
    rc |= strv_put(s, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", mem);
    rc |= strv_put(s, "AWS_REGION", p->region);
    rc |= strv_put(s, "AWS_DEFAULT_REGION", p->region);
    rc |= strv_put(s, "AWS_LAMBDA_LOG_GROUP_NAME", group);
    rc |= strv_put(s, "AWS_LAMBDA_LOG_STREAM_NAME", stream);
    rc |= strv_put(s, "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    rc |= strv_put(s, "LAMBDA_TASK_ROOT", p->cwd);
    rc |= strv_put(s, "TZ", ":UTC");
    /* Dummies, so SDK clients construct and never find real credentials. */
    rc |= strv_put(s, "AWS_ACCESS_KEY_ID", "ESMSIMDUMMYACCESSKEY");
    rc |= strv_put(s, "AWS_SECRET_ACCESS_KEY", "esmsim-dummy-secret-access-key");
    rc |= strv_put(s, "AWS_SESSION_TOKEN", "esmsim-dummy-session-token");
    for (char **v = p->user_env; v && *v; v++)
        rc |= strv_put_entry(s, *v);
    rc |= strv_put(s, "AWS_LAMBDA_RUNTIME_API", api);   /* never overridden: it is ours */
    return rc ? -1 : 0;
}

/* ---- processes ---------------------------------------------------------------- */

/* In the child, between fork and exec: async-signal-safe calls only. */
static _Noreturn void child_exec(const struct hdl_pool *p, char **envp, int out_w, int err_w,
                                 pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);   /* the last resort: esmsim dies, so does this */
    if (getppid() != parent)
        _exit(127);                     /* esmsim died before the line above */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);   /* the I/O thread blocks every signal */
    static const int reset[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD };
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
        sigaction(reset[i], &dfl, NULL);
    int e = 0;
    if (dup2(p->devnull, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0 || chdir(p->cwd) < 0)
        e = errno;
    if (!e) {
        close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);   /* whatever esmsim left without the flag */
        execve(p->path, p->argv, envp);
        e = errno;
    }
    ssize_t w = write(err_w, &e, sizeof e);
    (void)w;
    _exit(127);
}

static void on_delivered(void *ctx);
static void on_answered(void *ctx, enum rapi_answer kind, const char *error_type,
                        const char *body, size_t len);

/* Start e's process: its endpoint, then fork and exec.  -1 with a message. */
static int spawn(struct hdl_pool *p, struct env *e, char *err, size_t errlen)
{
    struct rapi_callbacks cb = { .ctx = e, .delivered = on_delivered, .answered = on_answered };
    e->api = rapi_create(&cb, err, errlen);
    if (!e->api)
        return -1;
    e->incarnation++;
    struct strv envp = { 0 };
    int out[2] = { -1, -1 }, ep[2] = { -1, -1 };
    if (build_env(p, e, &envp) < 0) {
        errmsg_set(err, errlen, "cannot start '%s': out of memory", p->argv[0]);
        goto fail;
    }
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
        errmsg_set(err, errlen, "cannot start '%s': pipe: %s", p->argv[0], strerror(errno));
        goto fail;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        child_exec(p, envp.v, out[1], ep[1], parent);
    close(out[1]);
    close(ep[1]);
    out[1] = ep[1] = -1;
    if (pid < 0) {
        errmsg_set(err, errlen, "cannot start '%s': fork: %s", p->argv[0], strerror(errno));
        goto fail;
    }
    setpgid(pid, pid);   /* also in the child: whichever runs first */
    if (!group_register(pid)) {
        kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
        errmsg_set(err, errlen, "cannot start '%s': more than %d handler processes",
                   p->argv[0], MAX_GROUPS);
        goto fail;
    }
    int child_errno = 0;
    ssize_t n;
    do
        n = read(ep[0], &child_errno, sizeof child_errno);   /* 0: exec succeeded */
    while (n < 0 && errno == EINTR);
    close(ep[0]);
    ep[0] = -1;
    if (n == (ssize_t)sizeof child_errno) {
        group_unregister(pid);
        waitpid(pid, NULL, 0);
        errmsg_set(err, errlen, "fork/exec %s: %s", p->path, strerror(child_errno));
        goto fail;
    }
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    e->pid = pid;
    e->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    char status[64];
    snprintf(status, sizeof status, "/proc/%d/status", (int)pid);
    e->status_fd = open(status, O_RDONLY | O_CLOEXEC);
    e->max_memory_kb = 0;
    e->out_fd = out[0];
    e->spawned_us = now_us();
    e->served = false;
    e->doomed = false;
    p->running++;
    p->started++;
    strv_free(&envp);
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (ep[i] >= 0)
            close(ep[i]);
    }
    strv_free(&envp);
    rapi_destroy(e->api);
    e->api = NULL;
    return -1;
}

/* Read what e's process printed so far into its current invocation (or the
 * pending output when none).  Returns false at end of file. */
static bool read_output(struct env *e)
{
    char chunk[READ_CHUNK];
    for (;;) {
        ssize_t n = read(e->out_fd, chunk, sizeof chunk);
        if (n > 0) {
            buf_add(e->current ? &e->current->log : &e->pending, chunk, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n != 0;
    }
}

/* Kill e's process group, reap its leader, keep its last output, close its
 * endpoint.  The group is killed before the leader is reaped: while the
 * leader is unreaped (a zombie at worst) its pid, hence the group's id,
 * cannot be reused by another process. */
static void end_process(struct hdl_pool *p, struct env *e)
{
    if (!e->pid)
        return;
    kill(-e->pid, SIGKILL);   /* the group: whatever the program started too */
    group_unregister(e->pid);
    while (waitpid(e->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (e->out_fd >= 0) {
        read_output(e);       /* the writers are dead: up to end of file */
        close(e->out_fd);
    }
    if (e->pidfd >= 0)
        close(e->pidfd);
    if (e->status_fd >= 0)
        close(e->status_fd);
    e->status_fd = -1;
    rapi_destroy(e->api);
    e->api = NULL;
    e->pid = 0;
    e->pidfd = e->out_fd = -1;
    p->running--;
}

/* The current invocation of e is over: its result is complete. */
static void finish(struct hdl_pool *p, struct env *e)
{
    struct inv *v = e->current;
    int64_t t = now_us();
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

/* "exit status 1" / "signal: killed", as the Lambda service words it;
 * *code is the exit code, or -signal. */
static void describe_exit(const siginfo_t *info, char *buf, size_t len, int *code)
{
    if (info->si_code == CLD_EXITED) {
        *code = info->si_status;
        snprintf(buf, len, "exit status %d", info->si_status);
        return;
    }
    *code = -info->si_status;
    const char *d = sigdescr_np(info->si_status);
    if (d)   /* "Segmentation fault" -> "segmentation fault" */
        snprintf(buf, len, "signal: %c%s", d[0] >= 'A' && d[0] <= 'Z' ? d[0] - 'A' + 'a' : d[0],
                 d + 1);
    else
        snprintf(buf, len, "signal: %d", info->si_status);
}

/* e's process ended on its own (seen, not reaped yet). */
static void on_exit_seen(struct hdl_pool *p, struct env *e, const siginfo_t *info)
{
    /* An answer posted just before exiting may still sit in the socket. */
    for (int i = 0; i < 4 && !e->doomed && e->current; i++)
        rapi_run(e->api);
    end_process(p, e);
    if (!e->current)
        return;
    if (e->doomed) {
        finish(p, e);   /* its init failed: already described */
        return;
    }
    char why[96], msg[160];
    describe_exit(info, why, sizeof why, &e->current->res.exit_status);
    snprintf(msg, sizeof msg, "Runtime exited with error: %s", why);
    finish_error(p, e, HDL_EXIT, "Runtime.ExitError", msg);
}

/* The process's peak resident memory (VmHWM) into v's result.  The kernel
 * renders the whole status file for it (10 us, a twentieth of a round trip):
 * read through the descriptor kept open since the spawn, at most every
 * MEMORY_READ_US; in between, the last figure (a peak only grows, and REPORT's
 * figures are the one part of a run that follows the machine anyway). */
static void read_max_memory(struct env *e, struct inv *v)
{
    int64_t t = now_us();
    if (e->max_memory_kb == 0 || t - e->max_memory_read_us >= MEMORY_READ_US) {
        char buf[4096];
        ssize_t n = e->status_fd >= 0 ? pread(e->status_fd, buf, sizeof buf - 1, 0) : -1;
        if (n > 0) {
            buf[n] = 0;
            const char *hwm = strstr(buf, "\nVmHWM:");
            if (hwm)
                e->max_memory_kb = strtoull(hwm + 7, NULL, 10);
        }
        e->max_memory_read_us = t;
    }
    v->res.max_memory_kb = e->max_memory_kb;
}

/* rapi callbacks (inside rapi_run, on the I/O thread, lock held) */

static void on_delivered(void *ctx)
{
    struct env *e = ctx;
    struct inv *v = e->current;
    if (!v)
        return;
    read_output(e);   /* what init printed belongs before START */
    v->fetched = true;
    v->fetched_us = now_us();
    v->res.log_init_len = v->log.len;
    if (!e->served) {
        e->served = true;
        v->res.init_wall_us = v->fetched_us - e->spawned_us;
    }
}

/* An error's type: the Lambda-Runtime-Function-Error-Type header, else the
 * body's errorType (aws-lambda-ric 3 posts its errors through aws-lambda-cpp,
 * which sends no such header), else "" (the caller says "Unhandled").
 * malloc'd; NULL when out of memory. */
static char *error_type_of(const char *header, const char *body, size_t len)
{
    if (header[0])
        return strdup(header);
    cJSON *doc = cJSON_ParseWithLength(body, len);
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "errorType"));
    char *type = strdup(t ? t : "");
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
    read_output(e);   /* printed before the answer was posted: this invocation's */
    read_max_memory(e, v);
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
        v->res.error_type = strdup(error_type[0] ? error_type : "Runtime.InitError");
        e->doomed = true;   /* ended after rapi_run returns; finished then */
        return;
    }
    v->res.kind = kind == RAPI_RESPONSE ? HDL_RESPONSE : HDL_ERROR;
    v->res.error_type = kind == RAPI_RESPONSE ? strdup("") : error_type_of(error_type, body, len);
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
    uint64_t a = splitmix64(&h), b = splitmix64(&h), c = splitmix64(&h);
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
        v->started_us = now_us();
        v->deadline_us = v->started_us + v->wall_timeout_ms * 1000;
        v->res.instance = e->index;
        if (e->pending.len || e->pending.dropped) {   /* printed since the last answer */
            buf_add(&v->log, e->pending.p ? e->pending.p : "", e->pending.len);
            v->log.dropped += e->pending.dropped;
            buf_free(&e->pending);
        }
        if (!e->pid) {
            char err[256];
            if (spawn(p, e, err, sizeof err) < 0) {
                finish_error(p, e, HDL_EXIT, "Runtime.InvalidEntrypoint", err);
                continue;
            }
            v->res.cold_start = true;
        }
        v->res.incarnation = e->incarnation;
        char trace[96];
        trace_id(v->request_id, trace, sizeof trace);
        struct rapi_invocation ri = {
            .request_id = v->request_id, .event = v->event, .event_len = v->event_len,
            .timeout_ms = v->timeout_ms, .function_arn = p->function_arn, .trace_id = trace,
        };
        if (rapi_offer(e->api, &ri) < 0) {
            end_process(p, e);
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
        int64_t t = now_us(), wait_ms = -1;
        nfds_t n = 0;
        p->pfd[n++] = (struct pollfd){ .fd = p->wake_fd, .events = POLLIN };
        for (uint32_t i = 0; i < p->n_env; i++) {
            struct env *e = &p->envs[i];
            int api_fd = e->api ? rapi_fd(e->api) : -1;
            p->pfd[n++] = (struct pollfd){ .fd = api_fd, .events = POLLIN };
            p->pfd[n++] = (struct pollfd){ .fd = e->out_fd, .events = POLLIN };
            p->pfd[n++] = (struct pollfd){ .fd = e->pidfd, .events = POLLIN };
            int64_t w = -1;
            if (e->current)
                w = e->current->deadline_us > t ? (e->current->deadline_us - t + 999) / 1000 : 0;
            if (e->api) {
                int rt = rapi_timeout_ms(e->api);
                if (rt >= 0 && (w < 0 || rt < w))
                    w = rt;
            }
            if (e->pid && e->pidfd < 0 && (w < 0 || w > EXIT_TICK_MS))
                w = EXIT_TICK_MS;
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
        t = now_us();
        for (uint32_t i = 0; i < p->n_env; i++) {
            struct env *e = &p->envs[i];
            struct pollfd *api = &p->pfd[1 + 3 * i], *out = api + 1, *pid = api + 2;
            if (e->out_fd >= 0 && out->fd == e->out_fd && out->revents)
                read_output(e);
            if (e->api && api->fd == rapi_fd(e->api) &&
                (api->revents || rapi_timeout_ms(e->api) == 0))
                rapi_run(e->api);
            if (e->doomed) {
                end_process(p, e);
                if (e->current)
                    finish(p, e);
                continue;
            }
            if (e->pid && (e->pidfd < 0 || (pid->fd == e->pidfd && pid->revents))) {
                siginfo_t info = { 0 };   /* WNOWAIT: the group is killed before the reaping */
                if (waitid(P_PID, (id_t)e->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                    info.si_pid == e->pid)
                    on_exit_seen(p, e, &info);
            }
            if (e->current && e->current->deadline_us <= t) {
                struct inv *v = e->current;
                end_process(p, e);
                char msg[96];
                snprintf(msg, sizeof msg, "Task timed out after %lld.%02lld seconds",
                         (long long)(v->wall_timeout_ms / 1000),
                         (long long)(v->wall_timeout_ms % 1000 / 10));
                finish_error(p, e, HDL_TIMEOUT, "Sandbox.Timedout", msg);
            }
        }
    }
    for (uint32_t i = 0; i < p->n_env; i++)
        end_process(p, &p->envs[i]);
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
        buf_free(&v->log);
        hdl_result_clear(&v->res);
        free(v);
    }
    for (uint32_t i = 0; p->envs && i < p->n_env; i++)
        buf_free(&p->envs[i].pending);
    free(p->envs);
    free(p->pfd);
    free(p->path);
    free_strings(p->argv);
    free_strings(p->user_env);
    free_strings(p->inherited_env);
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
}

struct hdl_pool *hdl_pool_create(const struct hdl_config *cfg, char *err, size_t errlen)
{
    if (!cfg->command || !cfg->command[0] || !cfg->command[0][0]) {
        errmsg_set(err, errlen, "function.handler.command: expected a non-empty array of strings");
        return NULL;
    }
    if (cfg->instances < 1 || cfg->instances > MAX_INSTANCES) {
        errmsg_set(err, errlen, "function.handler.instances: expected 1 to %d, got %u",
                   MAX_INSTANCES, cfg->instances);
        return NULL;
    }
    for (const char *const *v = cfg->env; v && *v; v++)
        if (!strchr(*v, '=') || **v == '=') {
            errmsg_set(err, errlen, "function.handler.env: expected NAME=value, got '%s'", *v);
            return NULL;
        }
    struct hdl_pool *p = calloc(1, sizeof *p);
    if (!p) {
        errmsg_set(err, errlen, "function.handler: out of memory");
        return NULL;
    }
    p->wake_fd = p->devnull = -1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->done, NULL);
    char cwd_buf[PATH_MAX];
    const char *cwd = cfg->cwd;
    if (!cwd) {
        if (!getcwd(cwd_buf, sizeof cwd_buf)) {
            errmsg_set(err, errlen, "function.handler.cwd: cannot read the current directory: %s",
                       strerror(errno));
            goto fail;
        }
        cwd = cwd_buf;
    }
    struct stat st;
    if (stat(cwd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errmsg_set(err, errlen, "function.handler.cwd: '%s' is not a directory", cwd);
        goto fail;
    }
    p->cwd = realpath(cwd, NULL);
    if (!p->cwd) {
        errmsg_set(err, errlen, "function.handler.cwd: '%s': %s", cwd, strerror(errno));
        goto fail;
    }
    p->path = resolve_program(cfg->command[0], p->cwd, err, errlen);
    if (!p->path)
        goto fail;
    p->argv = copy_strings(cfg->command, &p->argc);
    p->user_env = copy_strings(cfg->env, NULL);
    p->inherited_env = inherited_environment();
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
    p->interrupted = cfg->interrupted;
    p->n_env = cfg->instances;
    p->envs = calloc(p->n_env, sizeof *p->envs);
    p->pfd = calloc(1 + 3 * (size_t)p->n_env, sizeof *p->pfd);
    if (!p->argv || !p->user_env || !p->inherited_env || !p->function_name ||
        !p->function_version || !p->handler ||
        !p->region || !p->function_arn || !p->envs || !p->pfd) {
        errmsg_set(err, errlen, "function.handler: out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < p->n_env; i++)
        p->envs[i] = (struct env){ .pool = p, .index = i, .pidfd = -1, .out_fd = -1,
                                   .status_fd = -1 };
    p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    p->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (p->wake_fd < 0 || p->devnull < 0) {
        errmsg_set(err, errlen, "function.handler: %s", strerror(errno));
        goto fail;
    }
    pthread_once(&exit_paths_once, install_exit_paths);
    /* The I/O thread blocks every signal: they reach the caller's thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&p->thread, NULL, io_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        errmsg_set(err, errlen, "function.handler: cannot start a thread: %s", strerror(rc));
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
    int64_t until = now_us() + FINISH_GRACE_MS * 1000;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        bool idle = !p->thread_started || p->failed || (p->interrupted && *p->interrupted) ||
                    all_idle(p);
        pthread_mutex_unlock(&p->mu);
        if (idle || now_us() >= until)
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

/* ---- CloudWatch's lines ------------------------------------------------------------ */

/* Microseconds as milliseconds with two decimals, rounded ("12.35"). */
static void ms2(char *buf, size_t len, int64_t us)
{
    int64_t centi = (us + 5) / 10;
    snprintf(buf, len, "%lld.%02lld", (long long)(centi / 100), (long long)(centi % 100));
}

void hdl_log_start(char *buf, const char *request_id, const char *version)
{
    snprintf(buf, HDL_LOG_LINE_MAX, "START RequestId: %s Version: %s", request_id,
             version ? version : "$LATEST");
}

void hdl_log_end(char *buf, const char *request_id)
{
    snprintf(buf, HDL_LOG_LINE_MAX, "END RequestId: %s", request_id);
}

void hdl_log_report(char *buf, const char *request_id, int64_t duration_us, uint32_t memory_mb,
                    uint64_t max_memory_kb, int64_t init_us)
{
    char dur[32], init[64] = "";
    ms2(dur, sizeof dur, duration_us);
    if (init_us > 0) {
        char i[32];
        ms2(i, sizeof i, init_us);
        snprintf(init, sizeof init, "\tInit Duration: %s ms", i);
    }
    snprintf(buf, HDL_LOG_LINE_MAX, "REPORT RequestId: %s\tDuration: %s ms\tBilled Duration: "
             "%lld ms\tMemory Size: %u MB\tMax Memory Used: %llu MB%s", request_id, dur,
             (long long)((duration_us + 999) / 1000), memory_mb,
             (unsigned long long)((max_memory_kb + 1023) / 1024), init);
}
