/*
 * handler_int.h - what the two halves of the handler module share (not a
 * public face: handler.h is): the pool, its execution environments and its
 * invocations (handler_pool.c), and the processes that run in them
 * (handler_proc.c).  Internal functions carry the prefix hdli_.
 */
#ifndef ESMSIM_HANDLER_INT_H
#define ESMSIM_HANDLER_INT_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include "handler.h"
#include "rapi.h"

static inline int64_t hdli_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline uint64_t hdli_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Output bytes, kept up to HDL_LOG_MAX_BYTES, the rest counted. */
struct buf {
    char *p;
    size_t len, cap;
    uint64_t dropped;
};

struct inv;

/* One execution environment: at most one process at a time. */
struct env {
    struct hdl_pool *pool;
    uint32_t index;
    pid_t pid;                   /* 0: no process */
    pid_t keeper;                /* its keeper (handler_proc.c), our child */
    int keeper_fd;               /* our end of the keeper's socket: ready when the process
                                  * ended; closed, the keeper ends everything; -1 */
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
    int64_t deadline_us;         /* killed then: see dispatch_env and on_delivered */
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
    int64_t epoch_ms, wall_timeout_ms, init_timeout_ms;
    struct rlimit files_given;   /* RLIMIT_NOFILE before any pool raised it: the processes get it back */
    rlim_t files_limit;          /* RLIMIT_NOFILE now */
    unsigned connections;        /* an environment's endpoint serves these at once */
    volatile sig_atomic_t *interrupted;
};

/* ---- handler_proc.c: the processes ----------------------------------------------- */

void hdli_exit_paths(void);   /* once per program: atexit() and the fatal signals kill every group */

void hdli_buf_add(struct buf *b, const char *data, size_t n);
void hdli_buf_free(struct buf *b);

/* Make room for the descriptors `instances` environments hold: raise the
 * soft RLIMIT_NOFILE as far as they need with RAPI_CONNECTION_LIMIT
 * connections each, or as far as the hard limit allows; the limit the process
 * had before any live pool raised it in *given (what the processes get), the
 * limit now in *limit, the connections each environment may serve within it
 * in *connections.  0, or -1 with a message when the hard limit is too low
 * even for FILES_MIN_CONNECTIONS.  Each 0 is paired with hdli_release_files()
 * when the pool ends: the last one gives the process its limit back. */
int hdli_reserve_files(uint32_t instances, struct rlimit *given, unsigned *connections,
                       rlim_t *limit, char *err, size_t errlen);
void hdli_release_files(void);
char *hdli_resolve_program(const char *prog, const char *cwd, char *err, size_t errlen);
char **hdli_copy_strings(const char *const *v, size_t *count);
void hdli_free_strings(char **v);
char **hdli_inherited_environment(void);

/* cb: the callbacks of the process's Runtime API endpoint (ctx, the environment). */
int hdli_spawn(struct hdl_pool *p, struct env *e, const struct rapi_callbacks *cb,
               char *err, size_t errlen);
void hdli_read_output(struct env *e);
bool hdli_exit_seen(struct env *e, siginfo_t *info);
void hdli_end_process(struct hdl_pool *p, struct env *e);
void hdli_describe_exit(const siginfo_t *info, char *buf, size_t len, int *code);
void hdli_read_max_memory(struct env *e, struct inv *v);

#endif
