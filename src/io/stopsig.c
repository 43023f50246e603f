/*
 * stopsig.c - the signals that stop a command early: see stopsig.h.  A
 * model of the user's ways to stop esmsim (Ctrl-C, kill, the terminal
 * closed) and of the one way to say "do not" (nohup), in one place.
 */
#include "stopsig.h"

#include <stdbool.h>
#include <stddef.h>

static const int stops[STOPSIG_N] = { SIGINT, SIGTERM, SIGHUP };

/* Whether sig, now disposed as now, is caught: SIGHUP not when ignored. */
static bool stopsig_takes(int sig, const struct sigaction *now)
{
    return sig != SIGHUP || now->sa_handler != SIG_IGN;
}

void stopsig_catch(void (*handler)(int), struct stopsig_saved *saved)
{
    struct sigaction sa = { .sa_handler = handler };
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
