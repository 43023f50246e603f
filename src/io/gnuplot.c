/*
 * gnuplot.c - running a script of plots/ with gnuplot: see gnuplot.h.
 * gnuplot is found through PATH by execvp; nothing goes through a shell, so
 * file names need no quoting beyond gnuplot's own.  A SIGINT, SIGTERM or
 * SIGHUP while it runs stops and reaps it (SIGKILL when SIGTERM is not
 * enough), and no other is started: the command cleans up and ends (exit
 * 130), and gnuplot, and what it started, never outlive it; with
 * gp_catch_signals, the same before gnuplot starts.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "gnuplot.h"
#include "stopsig.h"

#ifndef ESMSIM_PLOTS_DIR
#define ESMSIM_PLOTS_DIR "plots"
#endif

#define GP_NOT_FOUND 127   /* the child's exit status when execvp fails */
static const char NOT_FOUND[] = "gnuplot not found: install it, e.g. apt-get install gnuplot-nox";

/* the signal that stopped the command's charts (gnuplot's or before), or 0 */
static volatile sig_atomic_t stopped_by;

int gp_stopped_by(void)
{
    return stopped_by;
}

static void gp_on_signal(int sig)
{
    stopped_by = sig;
}

void gp_catch_signals(void)
{
    stopsig_catch(gp_on_signal, NULL);
}

int gp_find(char *err, size_t errlen)
{
    /* where execvp looks: PATH, else the system's default path; an empty
     * entry is the current directory */
    const char *path = getenv("PATH");
    char system_path[PATH_MAX];
    if (!path) {
        size_t n = confstr(_CS_PATH, system_path, sizeof system_path);
        path = n > 0 && n <= sizeof system_path ? system_path : "";
    }
    for (const char *p = path;; p++) {
        size_t n = strcspn(p, ":");
        char file[PATH_MAX];
        struct stat st;
        int len = snprintf(file, sizeof file, "%.*s%sgnuplot", (int)n, p, n ? "/" : "");
        if (len > 0 && (size_t)len < sizeof file && stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
            access(file, X_OK) == 0)
            return 0;
        p += n;
        if (!*p)
            break;
    }
    errmsg_set(err, errlen, "%s", NOT_FOUND);
    return -1;
}

/* "name='value'" with the value's quotes doubled, as gnuplot wants in a
 * single-quoted string; the caller frees it. */
static char *gp_assignment(const struct gp_var *v)
{
    size_t len = strlen(v->name) + 4;
    for (const char *p = v->value; *p; p++)
        len += *p == '\'' ? 2 : 1;
    char *out = malloc(len), *o = out;
    if (!out)
        return NULL;
    o += sprintf(o, "%s='", v->name);
    for (const char *p = v->value; *p; p++) {
        if (*p == '\'')
            *o++ = '\'';
        *o++ = *p;
    }
    strcpy(o, "'");
    return out;
}

/* The signals that stop gnuplot (the stop signals: a SIGHUP nohup ignores
 * is not one), with SIGCHLD for gnuplot's end. */
static void wake_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    stopsig_add(set);
}

/* How long gnuplot's process group has to end after SIGTERM before SIGKILL:
 * gnuplot ends at once; a program in its place that ignores SIGTERM must
 * not hold the command for ever. */
#define GP_GRACE_MS 1000

/* Wait for gnuplot (pid, the leader of a process group of its own) with
 * wake blocked: until it ends, or until a signal of wake comes, which stops
 * the group (SIGTERM, then SIGKILL past GP_GRACE_MS or at a second signal)
 * and is returned once gnuplot is reaped.  Whatever gnuplot started and left
 * in its group is killed before gnuplot is reaped (its pid, still held,
 * names no other group): no process of it outlives the command.  Its wait
 * status into *status; -1 when it cannot be waited for. */
static int await_gnuplot(pid_t pid, const sigset_t *wake, int *status)
{
    int stop = 0;
    bool killed = false;
    struct timespec grace = { GP_GRACE_MS / 1000, GP_GRACE_MS % 1000 * 1000000L }, since, now;
    for (;;) {
        siginfo_t ended = { 0 };
        if (waitid(P_PID, (id_t)pid, &ended, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR)
            return -1;
        if (ended.si_pid == pid)
            break;
        if (!stop) {
            int sig = sigwaitinfo(wake, NULL);
            if (sig > 0 && sig != SIGCHLD) {
                stop = sig;
                kill(-pid, SIGTERM);
                clock_gettime(CLOCK_MONOTONIC, &since);
            }
            continue;
        }
        if (killed) {   /* only its end is left: SIGCHLD, not a spin */
            sigwaitinfo(wake, NULL);
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left_ms = GP_GRACE_MS - ((now.tv_sec - since.tv_sec) * 1000L
                                      + (now.tv_nsec - since.tv_nsec) / 1000000L);
        grace = (struct timespec){ left_ms > 0 ? left_ms / 1000 : 0,
                                   left_ms > 0 ? left_ms % 1000 * 1000000L : 0 };
        int sig = left_ms > 0 ? sigtimedwait(wake, NULL, &grace) : -1;
        if ((sig < 0 && errno == EAGAIN) || left_ms <= 0 || (sig > 0 && sig != SIGCHLD)) {
            kill(-pid, SIGKILL);
            killed = true;
        }
    }
    kill(-pid, SIGKILL);   /* what it left running in its group */
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return stop;
}

/* Whether path holds a whole chart: a PNG whose last chunk is IEND, else
 * an SVG whose last tag is </svg>.  gnuplot exits 0 even when it could not
 * write its output (a full disk: the chart cut short, or empty). */
static bool gp_whole_chart(const char *path)
{
    static const unsigned char png_head[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    static const unsigned char png_end[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60,
                                               0x82 };
    unsigned char head[8], tail[64];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t nh = fread(head, 1, sizeof head, f);
    if (fseek(f, -(long)sizeof tail, SEEK_END) != 0)
        rewind(f);   /* shorter than tail */
    size_t nt = fread(tail, 1, sizeof tail, f);
    fclose(f);
    if (nh == sizeof head && !memcmp(head, png_head, sizeof head))
        return nt >= sizeof png_end && !memcmp(tail + nt - sizeof png_end, png_end, sizeof png_end);
    while (nt > 0 && isspace(tail[nt - 1]))
        nt--;
    return nt >= 6 && !memcmp(tail + nt - 6, "</svg>", 6);
}

int gp_output_done(const char *temp, const char *path, char *err, size_t errlen)
{
    if (!gp_whole_chart(temp)) {
        errmsg_set(err, errlen, "%s: the chart gnuplot wrote is cut short (is the disk full?):"
                   " not kept", path);
        return -1;
    }
    if (rename(temp, path) != 0) {
        errmsg_set(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int gp_run(const char *script, const struct gp_var *vars, size_t n, char *err, size_t errlen)
{
    const char *dir = getenv("ESMSIM_PLOTS");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : ESMSIM_PLOTS_DIR, script);
    if (stopped_by) {
        errmsg_set(err, errlen, "interrupted: %s not drawn", script);
        return -1;
    }
    struct stat stbuf;
    if (stat(path, &stbuf) != 0) {
        errmsg_set(err, errlen, "%s: cannot read the gnuplot script: %s (set ESMSIM_PLOTS to the "
                   "plots/ directory)", path, strerror(errno));
        return -1;
    }
    /* gnuplot -e 'a=...; b=...' SCRIPT */
    size_t len = 1;
    char **parts = calloc(n ? n : 1, sizeof *parts);
    int rc = -1;
    if (!parts)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (!(parts[i] = gp_assignment(&vars[i])))
            goto nomem;
        len += strlen(parts[i]) + 2;
    }
    char *assign = malloc(len);
    if (!assign)
        goto nomem;
    assign[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(assign, parts[i]);
        strcat(assign, "; ");
    }
    fflush(NULL);
    sigset_t wake, before;
    wake_set(&wake);
    sigprocmask(SIG_BLOCK, &wake, &before);   /* from before the fork: none is missed */
    pid_t pid = -1, parent = getpid();
    int status = 0, waited = stopped_by;   /* caught since the look above: none started */
    if (!waited) {
        pid = fork();
        if (pid == 0) {
            /* a process group of its own, stopped as one (await_gnuplot);
             * no terminal input, which that group could not read */
            setpgid(0, 0);
            /* the last resort: esmsim killed, so is gnuplot (the signal follows
             * the forking thread: gp_run is called from the main thread only) */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(GP_NOT_FOUND);            /* esmsim died before the line above */
            int null = open("/dev/null", O_RDONLY);   /* 0 itself when esmsim had none */
            if (null > STDIN_FILENO) {
                dup2(null, STDIN_FILENO);
                close(null);
            }
            sigprocmask(SIG_SETMASK, &before, NULL);
            signal(SIGPIPE, SIG_DFL);   /* esmsim ignores it until its command is done */
            char *argv[] = { "gnuplot", "-e", assign, path, NULL };
            execvp("gnuplot", argv);
            _exit(GP_NOT_FOUND);
        }
        if (pid > 0)
            setpgid(pid, pid);   /* as the child does: whichever runs first */
        waited = pid < 0 ? 0 : await_gnuplot(pid, &wake, &status);
    }
    sigprocmask(SIG_SETMASK, &before, NULL);
    if (waited > 0) {
        stopped_by = waited;
        errmsg_set(err, errlen, pid > 0 ? "interrupted: gnuplot stopped, %s not drawn"
                                        : "interrupted: %s not drawn", script);
    } else if (pid < 0)
        errmsg_set(err, errlen, "cannot start gnuplot: %s", strerror(errno));
    else if (waited < 0)
        errmsg_set(err, errlen, "gnuplot: %s", strerror(errno));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == GP_NOT_FOUND)
        errmsg_set(err, errlen, "%s", NOT_FOUND);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        errmsg_set(err, errlen, "%s: gnuplot failed (exit status %d)", path,
                   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    else
        rc = 0;
    free(assign);
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
    return rc;
nomem:
    for (size_t i = 0; parts && i < n; i++)
        free(parts[i]);
    free(parts);
    errmsg_set(err, errlen, "out of memory");
    return -1;
}
