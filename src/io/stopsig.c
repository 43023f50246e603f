/*
 * stopsig.c - the signals that stop a command early: see stopsig.h.  A
 * model of the user's ways to stop esmsim (Ctrl-C, kill, the terminal
 * closed) and of the one way to say "do not" (nohup), in one place.
 */
#include "stopsig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

static const int stops[STOPSIG_N] = { SIGINT, SIGTERM, SIGHUP };

/* Process-wide, as signal dispositions are. */
static void (*volatile stop_handler)(int);    /* the command's, which stopsig_on calls */
static volatile sig_atomic_t output_dropped;  /* stdout is /dev/null now: see stopsig.h */

/* Every stop signal comes here first.  Standard output with no room (a pipe
 * or terminal whose reader does not read) is given up: a write blocked on it
 * returns (EINTR), and every later one, which would block again, goes to
 * /dev/null; one with room is kept, as an interrupted run's summary is. */
static void stopsig_on(int sig)
{
    int saved = errno;
    struct pollfd out = { .fd = STDOUT_FILENO, .events = POLLOUT };
    if (!output_dropped && poll(&out, 1, 0) == 0) {
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0) {
            if (dup2(null, STDOUT_FILENO) == STDOUT_FILENO)   /* (dup2 clears O_CLOEXEC) */
                output_dropped = 1;
            close(null);
        }
    }
    void (*handler)(int) = stop_handler;
    if (handler)
        handler(sig);
    errno = saved;
}

/* Whether sig, now disposed as now, is caught: SIGHUP not when ignored. */
static bool stopsig_takes(int sig, const struct sigaction *now)
{
    return sig != SIGHUP || now->sa_handler != SIG_IGN;
}

void stopsig_catch(void (*handler)(int), struct stopsig_saved *saved)
{
    if (saved)
        saved->handler = stop_handler;
    stop_handler = handler;
    struct sigaction sa = { .sa_handler = stopsig_on };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < STOPSIG_N; i++) {
        struct sigaction now = { .sa_handler = SIG_DFL };
        sigaction(stops[i], NULL, &now);   /* cannot fail: a valid signal, no new action */
        if (saved)
            saved->old[i] = now;
        if (stopsig_takes(stops[i], &now))
            sigaction(stops[i], &sa, NULL);
    }
}

void stopsig_restore(const struct stopsig_saved *saved)
{
    stop_handler = saved->handler;
    for (size_t i = 0; i < STOPSIG_N; i++)
        sigaction(stops[i], &saved->old[i], NULL);
}

void stopsig_add(sigset_t *set)
{
    for (size_t i = 0; i < STOPSIG_N; i++) {
        struct sigaction now = { .sa_handler = SIG_DFL };
        sigaction(stops[i], NULL, &now);
        if (stopsig_takes(stops[i], &now))
            sigaddset(set, stops[i]);
    }
}

bool stopsig_output_dropped(void)
{
    return output_dropped;
}
