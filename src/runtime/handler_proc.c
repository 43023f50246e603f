/*
 * handler_proc.c - the handler's processes (handler.h, SPEC section 4): the
 * process-group registry that lets any exit path kill them (atexit, SIGINT,
 * SIGTERM, SIGHUP, PR_SET_PDEATHSIG), the program resolved, the environment a
 * process gets, and a process's life: started with its Runtime API endpoint,
 * its output read, its exit described, its peak memory read, its group killed
 * and its leader reaped.  The pool (handler_pool.c) resolves the program and
 * takes the environment on the caller's thread when it is created, and does
 * the rest on its I/O thread, under its lock; nothing here knows an
 * invocation beyond where its output goes.
 */
#define _GNU_SOURCE
#include "handler_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errmsg.h"

extern char **environ;

#define READ_CHUNK 65536
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

/* ---- orphans -------------------------------------------------------------------- */

/*
 * A program's own processes that leave its process group (setsid: Python's
 * start_new_session, Node's detached spawn) are not killed with the group.
 * esmsim is their subreaper (PR_SET_CHILD_SUBREAPER): once the process that
 * started them ends, they are esmsim's children, not init's, so that a pool
 * can end them.  An orphan is a child of ours in a process group that is not
 * ours and not a handler process's own (those are the pool's to reap): the
 * program that embeds the pool keeps its own children in its group.  Only
 * when /proc lists a thread's children (Linux 3.5+, CONFIG_PROC_CHILDREN):
 * an orphan that is never listed would stay a zombie.
 */
static atomic_bool orphans_followed;

static bool is_leader(pid_t pid)
{
    int me = (int)getpid();
    for (int i = 0; i < MAX_GROUPS; i++)
        if (atomic_load(&group_ids[i]) == (int)pid && atomic_load(&group_owner[i]) == me)
            return true;
    return false;
}

/* Whether pid, a child of ours, is an orphan; its state ('Z': it ended) and
 * process group into *state and *pgrp. */
static bool is_orphan(pid_t pid, char *state, pid_t *pgrp)
{
    if (is_leader(pid))
        return false;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *comm_end = strrchr(buf, ')');   /* the command's name may hold anything */
    int ppid, group;
    if (!comm_end || sscanf(comm_end + 1, " %c %d %d", state, &ppid, &group) != 3)
        return false;
    *pgrp = (pid_t)group;
    return *pgrp != getpgrp();
}

void hdli_reap_orphans(bool kill_them)
{
    if (!atomic_load(&orphans_followed))
        return;
    /* Rounds: an orphan killed leaves its own children to us in turn. */
    for (int round = 0; round < 64; round++) {
        bool killed = false;
        DIR *tasks = opendir("/proc/self/task");
        for (struct dirent *t; tasks && (t = readdir(tasks));) {
            char path[300];
            snprintf(path, sizeof path, "/proc/self/task/%s/children", t->d_name);
            FILE *f = t->d_name[0] != '.' ? fopen(path, "re") : NULL;
            int pid;
            while (f && fscanf(f, "%d", &pid) == 1) {
                char state;
                pid_t pgrp;
                if (!is_orphan(pid, &state, &pgrp) || (!kill_them && state != 'Z'))
                    continue;
                if (kill_them) {
                    kill(pgrp == pid ? -pid : pid, SIGKILL);   /* its group when it leads one */
                    killed = true;
                }
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                    ;
            }
            if (f)
                fclose(f);
        }
        if (tasks)
            closedir(tasks);
        if (!killed)
            return;
    }
}

static void follow_orphans(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)gettid());
    if (access(path, R_OK) == 0 && prctl(PR_SET_CHILD_SUBREAPER, 1) == 0)
        atomic_store(&orphans_followed, true);
}

static void install_exit_paths(void)
{
    follow_orphans();
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

/* Descriptors an environment holds at most, with a runtime that keeps two
 * connections (measured: 5 to 6): its output pipe, pidfd and status file,
 * its endpoint's epoll, listening socket and wake-up descriptor, the
 * connections; and esmsim's own beside them (stdio, the run log and its
 * journal, the dump, the pool's). */
#define FILES_PER_ENV 8
#define FILES_SPARE 64

int hdli_reserve_files(uint32_t instances, struct rlimit *given, char *err, size_t errlen)
{
    rlim_t need = (rlim_t)instances * FILES_PER_ENV + FILES_SPARE;
    if (getrlimit(RLIMIT_NOFILE, given) != 0 || given->rlim_cur == RLIM_INFINITY ||
        given->rlim_cur >= need)
        return 0;
    struct rlimit raised = { need, given->rlim_max };
    if (given->rlim_max != RLIM_INFINITY && given->rlim_max < need) {
        errmsg_set(err, errlen, "%u execution environments need up to %llu open files, over the "
                   "most this process may open, %llu (ulimit -Hn): lower instances or raise the "
                   "limit", instances, (unsigned long long)need,
                   (unsigned long long)given->rlim_max);
        return -1;
    }
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
        errmsg_set(err, errlen, "%u execution environments need up to %llu open files: cannot "
                   "raise the limit of %llu (ulimit -n): %s", instances, (unsigned long long)need,
                   (unsigned long long)given->rlim_cur, strerror(errno));
        return -1;
    }
    return 1;
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
    if (p->files_raised)
        setrlimit(RLIMIT_NOFILE, &p->files_given);   /* the program gets the limit we were given */
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

/* Start e's process: its endpoint, then fork and exec.  -1 with a message. */
int hdli_spawn(struct hdl_pool *p, struct env *e, const struct rapi_callbacks *cb,
               char *err, size_t errlen)
{
    e->api = rapi_create(cb, err, errlen);
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
    struct start_failure f;
    ssize_t n;
    do
        n = read(ep[0], &f, sizeof f);   /* 0: exec succeeded */
    while (n < 0 && errno == EINTR);
    close(ep[0]);
    ep[0] = -1;
    if (n == (ssize_t)sizeof f) {
        group_unregister(pid);
        waitpid(pid, NULL, 0);
        if (f.step == START_EXEC)   /* as the Go of AWS's emulator says it */
            errmsg_set(err, errlen, "fork/exec %s: %s", p->path, strerror(f.err));
        else if (f.step == START_CHDIR)
            errmsg_set(err, errlen, "chdir %s: %s", p->cwd, strerror(f.err));
        else
            errmsg_set(err, errlen, "cannot start '%s': dup2: %s", p->argv[0], strerror(f.err));
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
    }
    strv_free(&envp);
    rapi_destroy(e->api);
    e->api = NULL;
    return -1;
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

/* Kill e's process group, reap its leader, keep its last output, close its
 * endpoint.  The group is killed before the leader is reaped: while the
 * leader is unreaped (a zombie at worst) its pid, hence the group's id,
 * cannot be reused by another process. */
void hdli_end_process(struct hdl_pool *p, struct env *e)
{
    if (!e->pid)
        return;
    kill(-e->pid, SIGKILL);   /* the group: whatever the program started too */
    group_unregister(e->pid);
    while (waitpid(e->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    hdli_read_output(e);   /* the group is dead: up to end of file, unless a process
                            * that left it holds the pipe */
    if (e->out_fd >= 0)
        close(e->out_fd);
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
