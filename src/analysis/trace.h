/*
 * trace.h - `esmsim trace RUN.db --key KEY` and `--sequence N [--shard ID]`
 * (SPEC section 5): the timeline of one partition key, or of one record,
 * from its run log: writes and producer retries, every delivery with its
 * invocation, outcome, attempt, place in the batch and bisect depth, the
 * checkpoints that pass the records, discards, fates, and the points where
 * the key's order breaks.
 */
#ifndef ESMSIM_TRACE_H
#define ESMSIM_TRACE_H

/* The command: argv[0] is "trace".  Returns the exit status: 0, or 2 for
 * bad input (bad option, unreadable file, not a run log, unknown run, a run
 * without per-record tables, an unknown key or sequence number). */
int trace_main(int argc, char **argv);

#endif
