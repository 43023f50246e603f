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
#include <stdbool.h>

#define STOPSIG_N 3   /* SIGINT, SIGTERM, SIGHUP */

/* The dispositions stopsig_catch replaced, for stopsig_restore. */
struct stopsig_saved {
    struct sigaction old[STOPSIG_N];
    void (*handler)(int);   /* the handler stopsig_catch had been given before */
};

/* From now on the stop signals run handler (no SA_RESTART: a wait the
 * caller looks at a flag after returns on a signal); the dispositions
 * before into *saved, unless it is NULL.  Before handler, a stop signal
 * that finds standard output with no room (its reader does not read) gives
 * it up: a write blocked there returns, and what is written after goes to
 * /dev/null (stopsig_output_dropped), for a stop that waited for a reader
 * that does not read would never come. */
void stopsig_catch(void (*handler)(int), struct stopsig_saved *saved);

/* The dispositions stopsig_catch saved, back. */
void stopsig_restore(const struct stopsig_saved *saved);

/* Whether a stop signal gave standard output up (stopsig_catch). */
bool stopsig_output_dropped(void);

/* Adds to set the stop signals as stopsig_catch takes them: SIGINT,
 * SIGTERM, and SIGHUP unless it is ignored (blocked, an ignored one would
 * be kept pending and wake a sigwait). */
void stopsig_add(sigset_t *set);

#endif
