/*
 * cli.h - the esmsim command line: argv in, exit status out.
 */
#ifndef ESMSIM_CLI_H
#define ESMSIM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"
#include "simlog.h"

struct dump;
struct rfn;
struct runlog;
struct scenario;

/* Run one esmsim command; returns the process exit status (SPEC 5). */
int cli_main(int argc, char **argv);

/* Seconds on a monotonic wall clock: for speed figures and progress only,
 * never for the simulation (SPEC 6). */
double cli_wall_seconds(void);

/*
 * One simulation into a run log: what `esmsim run` does, and each run of a
 * sweep.  cli_simulate() appends a run of scn to the run log at db (its
 * events also to dump, unless NULL), runs it to the end or until SIGINT or
 * SIGTERM, and ends the run, complete or not (r->status).  Returns 0, or the
 * exit status of an error it has printed on stderr: 2 when the run log
 * cannot be opened, 1 when the simulation cannot be built (out of memory:
 * scn is valid, the loader checked it whole; the run is logged incomplete)
 * or the run could not be written in full (130 if interrupted meanwhile).
 * Either way the caller ends with cli_run_close(r); until then the summary,
 * which points into the simulation, and the run log (for runlog_error())
 * stay valid.
 */
struct cli_run {
    struct rfn *handler;       /* a real handler's backend that cli_simulate() made, or NULL */
    struct runlog *rl;         /* the run log, open */
    struct slog sink;          /* the simulation's log (borrowed by sim) */
    struct sim *sim;
    int64_t run_id;            /* the run appended */
    enum sim_status status;
    struct sim_summary sum;
    double wall;               /* wall seconds the simulation took */
};
int cli_simulate(struct cli_run *r, const struct scenario *scn, const char *db,
                 struct dump *dump, bool progress);
/* The same with the real handler's backend made already (borrowed; NULL:
 * cli_simulate makes one when the scenario names a handler, before the run
 * log is opened: a program that cannot run is bad input, nothing written). */
int cli_simulate_with(struct cli_run *r, const struct scenario *scn, const char *db,
                      struct dump *dump, bool progress, struct rfn *handler);
void cli_run_close(struct cli_run *r);

#endif
