/*
 * logs.h - `esmsim logs RUN.db [--invocation N] [--key K] [--run ID]` (SPEC
 * sections 4 and 5): what a real handler printed, per invocation, between
 * the START / END / REPORT lines CloudWatch Logs shows, from the run log's
 * `logs` table; and the same lines for `esmsim trace`.
 */
#ifndef ESMSIM_LOGS_H
#define ESMSIM_LOGS_H

#include <stdint.h>
#include <stdio.h>

struct runread;

/*
 * The log lines of run run_id (0: the latest) of the run log at path, on
 * stdout: of every invocation, of invocation (when not 0), of those that
 * delivered a record of key (when not NULL), or both.  0, or
 * ERRMSG_BAD_INPUT (errmsg.h) with the message on stderr: an unreadable
 * file, not a run log, an unknown run, a run without a handler or without
 * log lines for what was asked.
 */
int logs_show(const char *path, int64_t run_id, int64_t invocation, const char *key);

/*
 * Print the log lines of the invocations that invocations_sql selects (one
 * column of invocation ids; ?1 is bound to the run id), invocation by
 * invocation, each under a heading from the invocations table, after
 * heading (may be NULL) when there is a line.  Returns the lines printed: 0
 * when the run log has no logs table (written before schema 5) or no line
 * for them; errors are latched in rr.
 */
int64_t logs_print(struct runread *rr, const char *invocations_sql, const char *heading,
                   FILE *out);

#endif
