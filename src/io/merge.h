/*
 * merge.h - appending the runs of one run log to another (SPEC section 3:
 * one database holds many runs): `esmsim merge OUT.db IN.db...`, which
 * gathers the databases a sweep's runs wrote on other hosts, and the way
 * `esmsim sweep` collects each run from the database its process wrote.
 *
 * Inputs are untrusted: an input must hold exactly the tables and columns
 * of a run log of this esmsim (runs, the per-run tables of
 * runlog_schema.c, and sweep_results if any; no view or trigger), of this
 * schema version, every row of a run of its runs table; only rows are
 * copied, by statements made from esmsim's own table definitions, and the input is opened read-only.
 * Its runs get new ids, in their order: the ids after the largest run_id
 * already in the output.  A table the output lacks (sweep_results in a
 * plain run log) is created from esmsim's definition.  One input is one
 * transaction: it is appended whole or not at all.
 */
#ifndef ESMSIM_MERGE_H
#define ESMSIM_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "errmsg.h"

/*
 * Open the run log at path for appending, creating it if missing (with the
 * tables of runlog_schema.c).  NULL with a message when the file or its
 * directory cannot be written ("OUT.db: cannot write to its directory d: Read-only
 * file system"), or it is not an esmsim run log of this schema version with
 * esmsim's tables only (checked before anything is written); a file it
 * created is then removed.
 */
sqlite3 *merge_open(const char *path, char *err, size_t errlen);

/*
 * Append every run of the run log in_path to out.  tables, when not NULL,
 * is a NULL-terminated list of the only tables to copy (a sweep without
 * --keep-runs copies "runs" and "sweep_results").  On success *n_runs holds
 * the number of runs and *offset the largest run id the output had before:
 * the input's k-th run (by id) is output run *offset + k (a run log esmsim
 * wrote numbers its runs 1, 2, ..., so input run r becomes r + *offset).
 * The input is checked as merge_runs does, in the snapshot that is copied.
 * Returns 0, or ERRMSG_FAILED (a write failed) or ERRMSG_BAD_INPUT with a
 * message (errmsg.h).
 */
int merge_append(sqlite3 *out, const char *in_path, const char *const *tables,
                 int64_t *offset, int64_t *n_runs, char *err, size_t errlen);

/*
 * `esmsim merge OUT.db IN.db...`: append every run of in_paths[0..n_in) to
 * the run log out_path, one input after the other, saying on stdout which
 * run ids each got.  Every input is checked before the output is touched.
 * Returns 0, ERRMSG_FAILED when a write failed (inputs appended before it
 * stay), ERRMSG_INTERRUPTED when SIGINT, SIGTERM or SIGHUP stopped it (the
 * input being copied is not appended, those before stay), or
 * ERRMSG_BAD_INPUT (an input that is not a run log of this esmsim's schema,
 * an input named twice or that is the output, an output that cannot be
 * written or is not a run log: nothing is written); the message on stderr.
 * An output merge created is whole or not at all: removed, should any of
 * that happen, unless another process appended a run to it meanwhile.  It
 * is made under a temporary name with a lock file (leftover.h); what a
 * merge killed outright left under such names beside out_path, its lock
 * free, is removed by the next merge into out_path (said on stderr).
 */
int merge_runs(const char *out_path, const char *const *in_paths, size_t n_in);

#endif
