/*
 * handler_proc.c - the handler's processes (handler.h, SPEC section 4): the
 * process-group registry that lets any exit path kill them (atexit, SIGINT,
 * SIGTERM, SIGHUP), the program resolved, the environment a process gets, and
 * a process's life: started by a keeper of its own with its Runtime API
 * endpoint, its output read, its exit described, its peak memory read, its
 * group and everything its keeper adopted killed, all of it reaped.  The
 * pool (handler_pool.c) resolves the program and takes the environment on the
 * caller's thread when it is created, and does the rest on its I/O thread,
 * under its lock; nothing here knows an invocation beyond where its output
 * goes.
 */
#define _GNU_SOURCE
#include "handler_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errmsg.h"

extern char **environ;

#define READ_CHUNK 65536
#define MEMORY_READ_US 50000 /* how often a process's peak memory is read again */
#define KEEPER_TICK_MS 1000  /* how often a keeper reaps the orphans that ended */
#define EXIT_TICK_MS 100     /* how often a keeper looks for its process's exit without pidfd */

/* ---- the process-group registry -------------------------------------------- */

/*
 * Every live process group of every pool, for the paths that cannot take a
 * lock: a signal handler and atexit().  Process-wide by nature (signals and
 * exit are), hence global state, as the open-files limit's record below is;
 * lock-free atomics.  A group is killed only by the process that started it
 * (owner), so a child forked by `sweep` never kills its parent's handlers
 * when it exits.
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

void hdli_exit_paths(void)
{
    pthread_once(&exit_paths_once, install_exit_paths);
}

/* ---- small pieces ------------------------------------------------------------ */

void hdli_buf_add(struct buf *b, const char *data, size_t n)
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

void hdli_buf_free(struct buf *b)
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

/* ---- open files --------------------------------------------------------------- */

/* Descriptors an environment holds besides its runtime's connections
 * (measured: 5 to 6): its output pipe, keeper socket and status file, its
 * endpoint's epoll, listening socket and wake-up descriptor; a runtime keeps
 * one or two connections, at least FILES_MIN_CONNECTIONS are served; and
 * esmsim's own beside them (stdio, the run log and its journal, the dump, the
 * pool's, a process being started). */
#define FILES_PER_ENV 6
#define FILES_MIN_CONNECTIONS 2
#define FILES_SPARE 64

/*
 * The soft limit is the process's, so every pool in it shares it: the limit
 * the process had before its first live pool is kept here, the processes of
 * every pool get it back, and the last pool to end restores it (unless the
 * limit was changed since a pool raised it: then it is not ours to undo).
 * Not before the last: a pool made while another's raise held counted its
 * connections within it.  Process-wide by nature, as the registry above.
 */
static pthread_mutex_t files_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned files_pools;         /* live pools (hdli_reserve_files, not yet released) */
static struct rlimit files_before;   /* RLIMIT_NOFILE before the first of them */
static rlim_t files_raised_to;       /* the soft limit a pool set it to; 0: none did */

/* Room for instances environments within the limit now: see hdli_reserve_files. */
static int files_room(uint32_t instances, struct rlimit *now, unsigned *connections,
                      rlim_t *limit, char *err, size_t errlen)
{
    rlim_t need = (rlim_t)instances * (FILES_PER_ENV + FILES_MIN_CONNECTIONS) + FILES_SPARE;
    rlim_t want = (rlim_t)instances * (FILES_PER_ENV + RAPI_CONNECTION_LIMIT) + FILES_SPARE;
    rlim_t hard = now->rlim_max;
    if (hard != RLIM_INFINITY && hard < need) {
        errmsg_set(err, errlen, "%u execution environments need at least %llu open files, over "
                   "the most this process may open, %llu (ulimit -Hn): lower instances or raise "
                   "the limit", instances, (unsigned long long)need, (unsigned long long)hard);
        return -1;
    }
    *limit = now->rlim_cur;
    if (*limit < want) {   /* as far as every environment's connections need, or may */
        struct rlimit to = { hard != RLIM_INFINITY && hard < want ? hard : want, hard };
        if (setrlimit(RLIMIT_NOFILE, &to) == 0) {
            *limit = files_raised_to = to.rlim_cur;
        } else if (*limit < need) {
            errmsg_set(err, errlen, "%u execution environments need at least %llu open files: "
                       "cannot raise the limit of %llu (ulimit -n): %s", instances,
                       (unsigned long long)need, (unsigned long long)*limit, strerror(errno));
            return -1;
        }
    }
    /* Each environment's share: a runtime that never closes a connection
     * meets its environment's bound, the same in every run, never esmsim's
     * (which of them ran out first was a race). */
    rlim_t share = (*limit - FILES_SPARE) / instances - FILES_PER_ENV;
    if (share < RAPI_CONNECTION_LIMIT)
        *connections = (unsigned)share;
    return 0;
}

int hdli_reserve_files(uint32_t instances, struct rlimit *given, unsigned *connections,
                       rlim_t *limit, char *err, size_t errlen)
{
    *connections = RAPI_CONNECTION_LIMIT;
    *limit = RLIM_INFINITY;
    pthread_mutex_lock(&files_mu);
    struct rlimit now;
    bool known = getrlimit(RLIMIT_NOFILE, &now) == 0;
    if (files_pools == 0) {
        files_before = known ? now : (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
        files_raised_to = 0;
    }
    *given = files_before;
    int rc = known && now.rlim_cur != RLIM_INFINITY
             ? files_room(instances, &now, connections, limit, err, errlen) : 0;
    if (rc == 0)
        files_pools++;
    pthread_mutex_unlock(&files_mu);
    return rc;
}

void hdli_release_files(void)
{
    pthread_mutex_lock(&files_mu);
    struct rlimit now;
    if (--files_pools == 0 && files_raised_to && getrlimit(RLIMIT_NOFILE, &now) == 0 &&
        now.rlim_cur == files_raised_to)
        setrlimit(RLIMIT_NOFILE, &(struct rlimit){ files_before.rlim_cur, now.rlim_max });
    pthread_mutex_unlock(&files_mu);
}

/* ---- the program ------------------------------------------------------------- */

static bool is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The program's path as execve() wants it, malloc'd; NULL with what is
 * wrong with it (the caller names the key, function.handler.command). */
char *hdli_resolve_program(const char *prog, const char *cwd, char *err, size_t errlen)
{
    if (strchr(prog, '/')) {
        size_t n = strlen(cwd) + strlen(prog) + 2;
        char *path = malloc(n);
        if (!path) {
            errmsg_set(err, errlen, "out of memory");
            return NULL;
        }
        if (prog[0] == '/')
            snprintf(path, n, "%s", prog);
        else
            snprintf(path, n, "%s/%s", cwd, prog);
        struct stat st;
        if (stat(path, &st) != 0)
            errmsg_set(err, errlen, "program '%s' not found (%s)", prog, path);
        else if (!S_ISREG(st.st_mode))
            errmsg_set(err, errlen, "'%s' is not a file", path);
        else if (access(path, X_OK) != 0)
            errmsg_set(err, errlen, "'%s' is not executable "
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
            errmsg_set(err, errlen, "out of memory");
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
    errmsg_set(err, errlen, "program '%s' not found in PATH", prog);
    return NULL;
}

char **hdli_copy_strings(const char *const *v, size_t *count)
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

void hdli_free_strings(char **v)
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
char **hdli_inherited_environment(void)
{
    size_t n = 0;
    for (char **v = environ; v && *v; v++)
        n += inherited(*v);
    char **out = calloc(n + 1, sizeof *out);
    size_t i = 0;
    for (char **v = environ; out && v && *v; v++)
        if (inherited(*v) && !(out[i++] = strdup(*v))) {
            hdli_free_strings(out);
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
    uint64_t a = hdli_splitmix64(&seed), b = hdli_splitmix64(&seed);
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

/* What a child that could not start says through its pipe: the step that
 * failed and its errno. */
enum start_step { START_EXEC, START_CHDIR, START_DUP };
struct start_failure {
    int step;
    int err;
};

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
    if (p->files_given.rlim_cur != RLIM_INFINITY)   /* the limit we were given, raised or not */
        setrlimit(RLIMIT_NOFILE, &p->files_given);
    static const int reset[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD };
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
        sigaction(reset[i], &dfl, NULL);
    struct start_failure f = { START_DUP, 0 };
    if (dup2(p->devnull, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0)
        f.err = errno;
    else if (chdir(p->cwd) < 0)   /* it may have gone since the pool checked it */
        f = (struct start_failure){ START_CHDIR, errno };
    else {
        close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);   /* whatever esmsim left without the flag */
        execve(p->path, p->argv, envp);
        f = (struct start_failure){ START_EXEC, errno };
    }
    ssize_t w = write(err_w, &f, sizeof f);
    (void)w;
    _exit(127);
}

/* ---- the keeper ------------------------------------------------------------------ */

/*
 * Each handler process runs under a keeper of its own: a process forked by
 * esmsim (its I/O thread) that forks the handler, is the subreaper of
 * everything the handler starts (PR_SET_CHILD_SUBREAPER: a process that
 * leaves the handler's group, setsid, Python's start_new_session, Node's
 * detached, is the keeper's child once the one that started it ended), and
 * ends all of it, the handler's group and every process under it, when its
 * socket to esmsim closes: when esmsim ends the process, and when esmsim
 * dies, even by SIGKILL (the kernel closes esmsim's end).  Esmsim itself
 * cannot be the subreaper for this: what it adopts goes to init when it is
 * killed.  The keeper runs in a process group of its own (what kills esmsim's
 * group spares it, so it still ends the rest), with every signal blocked as
 * the I/O thread had them (SIGINT, SIGTERM, SIGHUP, SIGPIPE are esmsim's to
 * act on), and, forked from a threaded program, makes async-signal-safe
 * calls only.
 *
 * The socket (SOCK_SEQPACKET) carries two messages from the keeper: the
 * handler's pid (or 0 and the fork's errno), and, when the handler ended, its
 * si_code and si_status.  The handler stays unreaped until esmsim closes its
 * end, so its pid, its group's id, is never reused while esmsim may kill it.
 * Only when /proc lists a task's children (Linux 3.5+, CONFIG_PROC_CHILDREN)
 * are the orphans ended: without the list the keeper cannot find them.
 */
struct keeper_msg {
    int32_t a, b;
};

static void keeper_send(int sock, int32_t a, int32_t b)
{
    struct keeper_msg m = { a, b };
    ssize_t w = send(sock, &m, sizeof m, MSG_NOSIGNAL);
    (void)w;   /* esmsim gone: the socket's end of file ends the keeper next */
}

/* Close every descriptor but the n in keep (n small). */
static void close_all_but(const int *keep, int n)
{
    int lo = 0;
    for (;;) {
        int next = -1;   /* the lowest kept descriptor at or above lo */
        for (int i = 0; i < n; i++)
            if (keep[i] >= lo && (next < 0 || keep[i] < next))
                next = keep[i];
        if (next < 0) {
            close_range((unsigned)lo, ~0u, 0);
            return;
        }
        if (next > lo)
            close_range((unsigned)lo, (unsigned)next - 1, 0);
        lo = next + 1;
    }
}

/* Reap the keeper's children that ended, but the handler (esmsim reaps it
 * through the keeper's end).  Stops at the handler when it has ended: the
 * rest waits for the keeper's end, which follows at once. */
static void keeper_reap(pid_t handler)
{
    for (;;) {
        siginfo_t info = { 0 };
        if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0 ||
            info.si_pid == handler)
            return;
        waitpid(info.si_pid, NULL, WNOHANG);
    }
}

/* Kill a child of the keeper, and its group when it leads one. */
static void keeper_kill(pid_t pid)
{
    if (getpgid(pid) == pid)
        kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

/* Kill every child the keeper has, as /proc lists them ("12 345 ..."); false
 * when it cannot list them. */
static bool keeper_kill_children(void)
{
    int fd = open("/proc/thread-self/children", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[4096];
    long pid = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] >= '0' && buf[i] <= '9') {
                pid = pid * 10 + (buf[i] - '0');
                continue;
            }
            if (pid > 0)
                keeper_kill((pid_t)pid);
            pid = 0;
        }
    if (pid > 0)   /* the last one, with no space after it */
        keeper_kill((pid_t)pid);
    close(fd);
    return true;
}

/* End the handler's group and every process under the keeper, reap them. */
static _Noreturn void keeper_end(pid_t handler)
{
    kill(-handler, SIGKILL);
    /* Rounds: a process killed leaves its own children to the keeper, which
     * lists them again after each reaping. */
    for (;;) {
        if (!keeper_kill_children()) {   /* only the handler can be found */
            while (waitpid(handler, NULL, 0) < 0 && errno == EINTR)
                ;
            _exit(0);
        }
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
            _exit(0);
    }
}

/* The keeper's life (in the child of esmsim's fork): start the handler, tell
 * esmsim its pid, tell it when it ended, reap the orphans that end; end it
 * all when esmsim's end of sock closes. */
static _Noreturn void keeper_main(const struct hdl_pool *p, char **envp, int out_w, int err_w,
                                  int sock)
{
    int keep[] = { sock, out_w, err_w, p->devnull };
    close_all_but(keep, 4);   /* esmsim's end of this socket and the other keepers' above all */
    setpgid(0, 0);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t me = getpid();
    pid_t handler = fork();
    if (handler == 0)
        child_exec(p, envp, out_w, err_w, me);
    if (handler < 0) {
        keeper_send(sock, 0, errno);
        _exit(127);
    }
    setpgid(handler, handler);   /* also in the child: whichever runs first */
    keeper_send(sock, handler, 0);
    close(out_w);   /* the handler's now: its end of file is the handler's */
    close(err_w);
    int pidfd = (int)syscall(SYS_pidfd_open, handler, 0);
    bool told = false;
    for (;;) {
        struct pollfd fds[2] = { { .fd = sock, .events = POLLIN },
                                 { .fd = told ? -1 : pidfd, .events = POLLIN } };
        int r = poll(fds, 2, told || pidfd >= 0 ? KEEPER_TICK_MS : EXIT_TICK_MS);
        if (r > 0 && fds[0].revents)
            keeper_end(handler);   /* esmsim closed its end, or died */
        siginfo_t info = { 0 };
        if (!told && waitid(P_PID, (id_t)handler, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == handler) {
            keeper_send(sock, info.si_code, info.si_status);
            told = true;
        }
        keeper_reap(handler);
    }
}

/* Start e's process: its endpoint, then its keeper, which forks and execs
 * it.  -1 with a message. */
int hdli_spawn(struct hdl_pool *p, struct env *e, const struct rapi_callbacks *cb,
               char *err, size_t errlen)
{
    e->api = rapi_create(cb, p->connections, err, errlen);
    if (!e->api)
        return -1;
    e->incarnation++;
    struct strv envp = { 0 };
    int out[2] = { -1, -1 }, ep[2] = { -1, -1 }, sock[2] = { -1, -1 };
    pid_t keeper = -1;
    if (build_env(p, e, &envp) < 0) {
        errmsg_set(err, errlen, "cannot start '%s': out of memory", p->argv[0]);
        goto fail;
    }
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0) {
        errmsg_set(err, errlen, "cannot start '%s': %s: %s", p->argv[0],
                   sock[0] < 0 && ep[0] >= 0 ? "socketpair" : "pipe", strerror(errno));
        goto fail;
    }
    keeper = fork();
    if (keeper == 0)
        keeper_main(p, envp.v, out[1], ep[1], sock[1]);
    close(out[1]);
    close(ep[1]);
    close(sock[1]);
    out[1] = ep[1] = sock[1] = -1;
    if (keeper < 0) {
        errmsg_set(err, errlen, "cannot start '%s': fork: %s", p->argv[0], strerror(errno));
        goto fail;
    }
    struct keeper_msg m;
    ssize_t n;
    do
        n = recv(sock[0], &m, sizeof m, 0);   /* the handler's pid, or the fork's errno */
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof m || m.a <= 0) {
        errmsg_set(err, errlen, "cannot start '%s': fork: %s", p->argv[0],
                   strerror(n == (ssize_t)sizeof m ? m.b : EPIPE));
        goto fail;
    }
    pid_t pid = (pid_t)m.a;
    if (!group_register(pid)) {
        kill(-pid, SIGKILL);
        errmsg_set(err, errlen, "cannot start '%s': more than %d handler processes",
                   p->argv[0], MAX_GROUPS);
        goto fail;
    }
    struct start_failure f;
    do
        n = read(ep[0], &f, sizeof f);   /* 0: exec succeeded */
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof f) {
        group_unregister(pid);
        if (f.step == START_EXEC)   /* as the Go of AWS's emulator says it */
            errmsg_set(err, errlen, "fork/exec %s: %s", p->path, strerror(f.err));
        else if (f.step == START_CHDIR)
            errmsg_set(err, errlen, "chdir %s: %s", p->cwd, strerror(f.err));
        else
            errmsg_set(err, errlen, "cannot start '%s': dup2: %s", p->argv[0], strerror(f.err));
        goto fail;
    }
    close(ep[0]);
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    e->pid = pid;
    e->keeper = keeper;
    e->keeper_fd = sock[0];
    char status[64];
    snprintf(status, sizeof status, "/proc/%d/status", (int)pid);
    e->status_fd = open(status, O_RDONLY | O_CLOEXEC);
    e->max_memory_kb = 0;
    e->out_fd = out[0];
    e->spawned_us = hdli_now_us();
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
        if (sock[i] >= 0)
            close(sock[i]);   /* the keeper's end of file: it ends what it started */
    }
    if (keeper > 0)
        while (waitpid(keeper, NULL, 0) < 0 && errno == EINTR)
            ;
    strv_free(&envp);
    rapi_destroy(e->api);
    e->api = NULL;
    return -1;
}

/* Whether e's process ended, as its keeper said (e->keeper_fd was ready):
 * its exit into *info.  A keeper that is gone (killed: the kernel killed the
 * process with it, PR_SET_PDEATHSIG) says "killed". */
bool hdli_exit_seen(struct env *e, siginfo_t *info)
{
    struct keeper_msg m;
    ssize_t n = recv(e->keeper_fd, &m, sizeof m, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return false;
    *info = (siginfo_t){ .si_pid = e->pid };
    if (n == (ssize_t)sizeof m) {
        info->si_code = m.a;
        info->si_status = m.b;
    } else {
        info->si_code = CLD_KILLED;
        info->si_status = SIGKILL;
    }
    return true;
}

/* Read what e's process printed so far into its current invocation (or the
 * pending output when none).  At end of file the pipe is closed: the
 * process may live on with its output pointed elsewhere (a wrapper's
 * `exec >/dev/null 2>&1`), and a pipe at end of file is always ready, so
 * polled on it would spin. */
void hdli_read_output(struct env *e)
{
    char chunk[READ_CHUNK];
    while (e->out_fd >= 0) {
        ssize_t n = read(e->out_fd, chunk, sizeof chunk);
        if (n > 0)
            hdli_buf_add(e->current ? &e->current->log : &e->pending, chunk, (size_t)n);
        else if (n == 0) {
            close(e->out_fd);
            e->out_fd = -1;
        } else if (errno != EINTR)
            return;
    }
}

/* Kill e's process group, have its keeper end every process under it and
 * reap them, keep its last output, close its endpoint.  The group is killed
 * before its leader is reaped (by the keeper, once its socket closed): while
 * the leader is unreaped (a zombie at worst) its pid, hence the group's id,
 * cannot be reused by another process. */
void hdli_end_process(struct hdl_pool *p, struct env *e)
{
    if (!e->pid)
        return;
    kill(-e->pid, SIGKILL);   /* the group: whatever the program started too */
    group_unregister(e->pid);
    close(e->keeper_fd);      /* the keeper ends the rest, those that left the group too */
    while (waitpid(e->keeper, NULL, 0) < 0 && errno == EINTR)
        ;
    hdli_read_output(e);   /* every process is dead: up to end of file, unless one the
                            * keeper could not find holds the pipe */
    if (e->out_fd >= 0)
        close(e->out_fd);
    if (e->status_fd >= 0)
        close(e->status_fd);
    rapi_destroy(e->api);
    e->api = NULL;
    e->pid = e->keeper = 0;
    e->keeper_fd = e->out_fd = e->status_fd = -1;
    p->running--;
}

/* "exit status 1" / "signal: killed", as the Lambda service words it;
 * *code is the exit code, or -signal. */
void hdli_describe_exit(const siginfo_t *info, char *buf, size_t len, int *code)
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


/* The process's peak resident memory (VmHWM) into v's result.  The kernel
 * renders the whole status file for it (10 us, a twentieth of a round trip):
 * read through the descriptor kept open since the spawn, at most every
 * MEMORY_READ_US; in between, the last figure (a peak only grows, and REPORT's
 * figures are the one part of a run that follows the machine anyway). */
void hdli_read_max_memory(struct env *e, struct inv *v)
{
    int64_t t = hdli_now_us();
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
