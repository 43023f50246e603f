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

#include <stdint.h>

/*
 * The timeline of partition key key, or (key NULL) of the record of
 * sequence number seq (> 0; unique in a stream) and its key, in shard
 * unless shard is NULL, in run run_id (0: the latest) of the run log at path, on stdout.  0, or
 * ERRMSG_BAD_INPUT (errmsg.h) with the message on stderr: an unreadable
 * file, not a run log, an unknown run, a run without per-record tables, an
 * unknown key or sequence number.
 */
int trace_show(const char *path, int64_t run_id, const char *key, int64_t seq,
               const char *shard);

#endif
