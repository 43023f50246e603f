/*
 * dump.h - `esmsim run --dump-events DIR`: the exact Lambda event of every
 * invocation and what the function answered, as files a user can feed to
 * their own handler.  An edge module, fed through the optional event hook of
 * the simulation's sink (slog.event in simlog.h).
 *
 * Layout, for invocation_id N printed as %09 (000000001, ...):
 *   DIR/N.event.json     the event {"Records":[...]} exactly as it was
 *                        sized for R2, plus a newline
 *   DIR/N.response.json  what the function returned (R7), or the error
 *                        payload of a throw or a timeout, plus a newline; with a
 *                        real handler, its answer as it posted it
 *   DIR/index.jsonl      one compact JSON object per dumped invocation, in
 *                        the order they completed: invocation_id, shard_id,
 *                        attempt, outcome, record_count,
 *                        first_sequence_number and last_sequence_number
 *                        (strings, as AWS prints them), event_file and
 *                        response_file (names within DIR)
 * Files of the same names are overwritten; index.jsonl lists this run's.
 *
 * Life cycle: dump_open(), dump_begin() once the run log is open,
 * dump_event() as the sink's event hook (ctx is the dump), dump_close().
 * The first `limit` invocations to complete are written (the mapping passes
 * no throttled attempt: they are no invocations); the later ones are
 * counted as skipped.  A write that fails (disk full) is latched: nothing
 * more is written, and dump_close() returns -1 with the first error
 * ("out/000000012.event.json: No space left on device").
 */
#ifndef ESMSIM_DUMP_H
#define ESMSIM_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "simlog.h"

struct dump;

/* The index file's name within DIR. */
#define DUMP_INDEX_NAME "index.jsonl"

/*
 * Create dir if it does not exist (its parent must), and index.jsonl in it
 * if missing; an index.jsonl there is kept as it is until dump_begin.  The
 * run log at keep (NULL: none) must be none of the dump's files.  NULL on
 * error, with a message naming the path.
 */
struct dump *dump_open(const char *dir, uint64_t limit, const char *keep, char *err,
                       size_t errlen);

/* The run begins (its run log open): index.jsonl is emptied, to list this
 * run's invocations.  A dump closed before (the run log refused) leaves the
 * directory as it was: what dump_open made is removed.  NULL is a no-op. */
void dump_begin(struct dump *d);

/* The slog_event_fn: write one invocation's event and response. */
void dump_event(void *ctx, const struct slog_event *ev);

/* Invocations written in full, and those not written for the limit. */
uint64_t dump_written(const struct dump *d);
uint64_t dump_skipped(const struct dump *d);

/*
 * Flush and close index.jsonl and free d (NULL is a no-op, returning 0).
 * Returns -1, with the first error met since dump_open, when the dump is
 * incomplete.
 */
int dump_close(struct dump *d, char *err, size_t errlen);

#endif
