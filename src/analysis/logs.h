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

/* The command: argv[0] is "logs".  Returns the exit status: 0, or 2 for bad
 * input (bad option, unreadable file, not a run log, unknown run, a run
 * without a handler or without log lines for what was asked). */
int logs_main(int argc, char **argv);

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
