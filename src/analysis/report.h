/*
 * report.h - `esmsim report RUN.db [--run ID] [--json]` (SPEC section 5):
 * what happened to one run's messages, read from its run log:
 * fates, consumer and producer duplicates, per-key ordering violations,
 * discards, records lost to retention, IteratorAge percentiles, throttles.
 */
#ifndef ESMSIM_REPORT_H
#define ESMSIM_REPORT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The report of run run_id (0: the latest) of the run log at path, on
 * stdout: text, or with json one JSON object; a warning on stderr when the
 * run is incomplete.  The figures are read from the summary tables the
 * run's observer wrote (observer.h); with recompute, or for a run without
 * them (an older esmsim's, with a note on stderr), computed in SQL over the
 * per-record tables, with the same definitions.  0, or ERRMSG_BAD_INPUT
 * (errmsg.h) with the message on stderr: an unreadable file, not a run log,
 * an unknown run.
 */
int report_show(const char *path, int64_t run_id, bool json, bool recompute);

#endif
