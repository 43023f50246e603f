/*
 * merge.h - appending the runs of one run log to another (SPEC section 3:
 * one database holds many runs): `esmsim merge OUT.db IN.db...`, which
 * gathers the databases a sweep's runs wrote on other hosts, and the way
 * `esmsim sweep` collects each run from the database its process wrote.
 *
 * Every table of the input that has a run_id column is copied (runs, the
 * per-run tables of runlog.c, sweep_results), with each run_id moved up by
 * the largest run_id already in the output, so that runs never collide and
 * keep their order.  A table the output lacks (sweep_results in a plain run
 * log) is created from the input's own CREATE TABLE.  One input is one
 * transaction: it is appended whole or not at all.
 */
#ifndef ESMSIM_MERGE_H
#define ESMSIM_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/*
 * Open the run log at path for appending, creating it if missing (with the
 * tables of runlog.c).  NULL with a message when the file cannot be opened
 * or is not an esmsim run log of this schema version.
 */
sqlite3 *merge_open(const char *path, char *err, size_t errlen);

/*
 * Append every run of the run log in_path to out.  tables, when not NULL,
 * is a NULL-terminated list of the only tables to copy (a sweep without
 * --keep-runs copies "runs" and "sweep_results").  On success *offset holds
 * what was added to the input's run_ids (input run r is output run
 * r + *offset) and *n_runs the number of runs.  The input must have been
 * checked with runread_open().  Returns 0, or -1 with a message.
 */
int merge_append(sqlite3 *out, const char *in_path, const char *const *tables,
                 int64_t *offset, int64_t *n_runs, char *err, size_t errlen);

/*
 * The command: argv[0] is "merge", then OUT.db IN.db...  Returns the exit
 * status: 0 merged, 1 a write failed (inputs appended before it stay), 2 bad
 * input (usage, an input that is not a run log, an input named twice or
 * that is the output; nothing is written).
 */
int merge_main(int argc, char **argv);

#endif
