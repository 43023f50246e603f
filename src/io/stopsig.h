/*
 * stopsig.h - the signals that stop a command early (exit 130): SIGINT
 * (Ctrl-C) and SIGTERM always, even in a process started with them
 * ignored, as a script's background job starts with SIGINT; SIGHUP (the
 * terminal closed) unless it is ignored, as nohup leaves it for a command
 * meant to outlive its terminal.  run, sweep, merge, plot and compare share
 * them.
 */
#ifndef ESMSIM_STOPSIG_H
#define ESMSIM_STOPSIG_H

#include <signal.h>

#define STOPSIG_N 3   /* SIGINT, SIGTERM, SIGHUP */

/* The dispositions stopsig_catch replaced, for stopsig_restore. */
struct stopsig_saved {
    struct sigaction old[STOPSIG_N];
};

/* From now on the stop signals run handler (no SA_RESTART: a wait the
 * caller looks at a flag after returns on a signal); the dispositions
 * before into *saved, unless it is NULL. */
void stopsig_catch(void (*handler)(int), struct stopsig_saved *saved);

/* The dispositions stopsig_catch saved, back. */
void stopsig_restore(const struct stopsig_saved *saved);

/* Adds to set the stop signals as stopsig_catch takes them: SIGINT,
 * SIGTERM, and SIGHUP unless it is ignored (blocked, an ignored one would
 * be kept pending and wake a sigwait). */
void stopsig_add(sigset_t *set);

#endif
