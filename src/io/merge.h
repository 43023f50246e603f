/*
 * merge.h - appending the runs of one run log to another (SPEC section 3:
 * one database holds many runs): `esmsim merge OUT.db IN.db...`, which
 * gathers the databases a sweep's runs wrote on other hosts, and the way
 * `esmsim sweep` collects each run from the database its process wrote.
 *
 * Inputs are untrusted: an input must hold exactly the tables and columns
 * of a run log of this esmsim (runs, the per-run tables of runlog.c, and
 * sweep_results if any; no view or trigger), of this schema version, every
 * row of a run of its runs table; only rows are copied, by statements made
 * from esmsim's own table definitions, and the input is opened read-only.
 * Its runs get new ids, in their order: the ids after the largest run_id
 * already in the output.  A table the output lacks (sweep_results in a
 * plain run log) is created from esmsim's definition.  One input is one
 * transaction: it is appended whole or not at all.
 */
#ifndef ESMSIM_MERGE_H
#define ESMSIM_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* merge_append's return for bad input (exit status 2), beside -1 for a
 * failure to write. */
#define MERGE_BAD_INPUT (-2)

/*
 * Open the run log at path for appending, creating it if missing (with the
 * tables of runlog.c).  NULL with a message when the file or its directory
 * cannot be written ("OUT.db: cannot write to its directory d: Read-only
 * file system"), or it is not an esmsim run log of this schema version with
 * esmsim's tables only (checked before anything is written).
 */
sqlite3 *merge_open(const char *path, char *err, size_t errlen);

/*
 * Append every run of the run log in_path to out.  tables, when not NULL,
 * is a NULL-terminated list of the only tables to copy (a sweep without
 * --keep-runs copies "runs" and "sweep_results").  On success *n_runs holds
 * the number of runs and *offset the largest run id the output had before:
 * the input's k-th run (by id) is output run *offset + k (a run log esmsim
 * wrote numbers its runs 1, 2, ..., so input run r becomes r + *offset).
 * The input is checked as merge_main does, in the snapshot that is copied.
 * Returns 0, or -1 (a write failed) or MERGE_BAD_INPUT with a message.
 */
int merge_append(sqlite3 *out, const char *in_path, const char *const *tables,
                 int64_t *offset, int64_t *n_runs, char *err, size_t errlen);

/*
 * The command: argv[0] is "merge", then OUT.db IN.db...  Every input is
 * checked before the output is touched.  Returns the exit status: 0 merged,
 * 1 a write failed (inputs appended before it stay), 2 bad input (usage, an
 * input that is not a run log of this esmsim's schema, an input named twice
 * or that is the output, an output that cannot be written or is not a run
 * log: nothing is written).
 */
int merge_main(int argc, char **argv);

#endif
