/*
 * window.h - tumbling windows (R15): the window a record falls in, the state
 * a window's invocations pass along, and what a window adds to the event.
 *
 * The state is the function model's aggregation, the one of AWS's sample
 * handler: a count of handled records per partition key, {"key": count, ...}
 * in the order keys were first counted.  Its size is the size of that JSON,
 * which the event carries (R2 measures it) and which ends a window early
 * past 1 MB.
 *
 * With a real handler (SPEC section 4) the state is whatever JSON the handler
 * returned, opaque to the core: its text, carried as it is to the window's
 * next event, and its length is the size that counts.
 *
 * The event of a windowed invocation is AWS's KinesisTimeWindowEvent:
 *   {"Records":[...],"window":{"start":"2026-01-01T00:05:00Z","end":"..."},
 *    "state":{...},"shardId":"...","eventSourceARN":"...",
 *    "isFinalInvokeForWindow":false,"isWindowTerminatedEarly":false}
 */
#ifndef ESMSIM_WINDOW_H
#define ESMSIM_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIN_MAX_STATE_BYTES 1048576u   /* 1 MB per shard: past it the window ends early */

struct keytab;
struct win_state;

/*
 * The window of a record that arrived at arrival_us (virtual), for windows of
 * width_us aligned on whole multiples of the width in wall time (epoch_ms is
 * the wall time of virtual 0): window k is [k * width, (k + 1) * width).
 */
int64_t win_index(int64_t epoch_ms, int64_t width_us, int64_t arrival_us);
/* Virtual start of window k (its end is the start of k + 1). */
int64_t win_start_us(int64_t epoch_ms, int64_t width_us, int64_t k);

/* An empty state; NULL when out of memory.  Free with win_state_destroy. */
struct win_state *win_state_create(void);
void win_state_destroy(struct win_state *st);
void win_state_clear(struct win_state *st);
/* Count one handled record of key (an id of keys).  -1 when out of memory. */
int win_state_add(struct win_state *st, const struct keytab *keys, uint32_t key_id);
/* Bytes of the state's compact JSON object, and what it counted. */
size_t win_state_bytes(const struct win_state *st);
uint64_t win_state_records(const struct win_state *st);
uint32_t win_state_keys(const struct win_state *st);
/* Entry i (0 <= i < win_state_keys) in first-counted order. */
void win_state_entry(const struct win_state *st, uint32_t i, uint32_t *key_id, uint64_t *count);

/* A real handler's state: the state becomes text (len bytes of JSON, copied;
 * no keys then), having counted `records` more handled records.  -1 when out
 * of memory (the state is unchanged).  win_state_clear() goes back to {}. */
int win_state_set_text(struct win_state *st, const char *text, size_t len, uint64_t records);
/* That text, NUL-terminated, or NULL for the model's counts. */
const char *win_state_text(const struct win_state *st);

/*
 * Bytes a windowed event has beyond {"Records":[...]}: the window bounds, the
 * state, the shard id and ARN (their JSON-escaped lengths) and the two flags.
 */
size_t win_event_extra_bytes(size_t shard_id_json_len, size_t arn_json_len,
                             size_t state_bytes, bool final, bool early);

#endif
