/*
 * simulation.h - one simulation into a run log: what `esmsim run` does, and
 * each run of a sweep (SPEC sections 3 and 5).  The scenario is run to its
 * end, or until SIGINT or SIGTERM, with the run log as the simulation's
 * sink; the wall clock is read here only, for the speed figure and the
 * progress line, and never reaches the simulation (SPEC 6).
 */
#ifndef ESMSIM_SIMULATION_H
#define ESMSIM_SIMULATION_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"
#include "simlog.h"

struct dump;
struct lgt;
struct rfn;
struct runlog;
struct scenario;

/* A simulation run, or being run, into a run log. */
struct simulation {
    struct rfn *handler;       /* a real handler's backend that simulation_run() made, or NULL */
    struct runlog *rl;         /* the run log, open */
    struct lgt *writer;        /* the observer's thread (--threads >= 2), or NULL */
    struct lgt *rows;          /* the run log's thread behind it (--threads >= 2), or NULL */
    struct slog sink;          /* the run log's sink */
    struct slog rows_sink;     /* the observer's next: sink, or rows's in front of it
                                  (borrowed by sim) */
    struct sim *sim;
    int64_t run_id;            /* the run appended */
    enum sim_status status;
    struct sim_summary sum;
    double wall;               /* wall seconds the simulation took */
};

/*
 * Append a run of scn to the run log at db (its events also to dump, unless
 * NULL), run it to the end or until SIGINT or SIGTERM (a progress line on
 * stderr with progress), and end the run, complete or not (r->status).
 * With threads >= 2 the observer runs on a thread of its own behind a
 * bounded queue (logthread.h), and the run log on another behind the
 * observer: the same rows in the same order; not with a real handler (its lines come from its own threads, and its runs are
 * bound by the handler anyway).  The producers' draws go on another thread
 * (sim_draw_ahead), with a real handler too: the same draws.
 * handler is the real handler's backend made already (borrowed), or NULL:
 * one is made when the scenario names a handler, before the run log is
 * opened (a program that cannot run is bad input, nothing written).
 * Returns EXIT_OK, or the exit status (exit.h) of an error it has printed
 * on stderr: EXIT_BAD_INPUT when the run log cannot be opened, EXIT_FAILED
 * when the simulation cannot be built (out of memory: scn is valid, the
 * loader checked it whole; the run is logged incomplete) or the run could
 * not be written in full (EXIT_INTERRUPTED if interrupted meanwhile).
 * Either way the caller ends with simulation_close(r); until then the
 * summary, which points into the simulation, and the run log (for
 * runlog_error()) stay valid.
 */
int simulation_run(struct simulation *r, const struct scenario *scn, const char *db,
                   struct dump *dump, bool progress, struct rfn *handler, unsigned threads);
void simulation_close(struct simulation *r);

/* The real handler's processes of scn, checked before anything is written
 * (SPEC section 4), to be given to simulation_run(); NULL with the error
 * printed.  Freed with rfn_destroy(). */
struct rfn *simulation_handler(const struct scenario *scn);

/* From now on the stop signals (stopsig.h: SIGINT and SIGTERM even when
 * ignored, as in a script's background job; SIGHUP unless nohup ignores it)
 * stop the run, the one running or the next before its first event (it is
 * then logged incomplete, exit 130).  Called as soon as `run` starts, so
 * that a signal while the scenario is loaded or the run log opened is not
 * lost; simulation_run() calls it too. */
void simulation_catch_signals(void);

/* Seconds on a monotonic wall clock: for speed figures and progress only,
 * never for the simulation (SPEC 6). */
double simulation_wall_seconds(void);

#endif
