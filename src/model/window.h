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
/* Count n (>= 1) more handled records of key (an id of keys).  -1 when out
 * of memory. */
int win_state_add(struct win_state *st, const struct keytab *keys, uint32_t key_id, uint64_t n);
/* A copy of a model's state (its counts, no text), to count more records in
 * without changing src; NULL when out of memory. */
struct win_state *win_state_copy(const struct win_state *src, const struct keytab *keys);
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
/* The counts as two arrays (partition keys of keys, counts) the caller
 * frees; -1 when out of memory. */
int win_state_entries(const struct win_state *st, const struct keytab *keys,
                      const char ***key_names, uint64_t **counts);

/*
 * Bytes a windowed event has beyond {"Records":[...]}: the window bounds, the
 * state, the shard id and ARN (their JSON-escaped lengths) and the two flags.
 */
size_t win_event_extra_bytes(size_t shard_id_json_len, size_t arn_json_len,
                             size_t state_bytes, bool final, bool early);

/* ---- a lane's window: the mapping's side of R15 ------------------------ */

#define WIN_NONE INT64_MIN   /* no window open */

struct slog;
struct slog_event_window;

/* The windows' geometry: their width, and the wall time of virtual 0. */
struct win_clock {
    int64_t epoch_ms;
    int64_t width_us;
};

/* One lane's window (the mapping gives each lane its own: R10 lanes are
 * ordered sequences of batches).  A final invocation, with no records,
 * closes it; it is retried until it succeeds. */
struct win_lane {
    struct win_state *state;   /* what the open window's invocations returned; NULL
                                  without windows */
    int64_t k;                 /* the open window, or WIN_NONE */
    bool early;                /* the state passed 1 MB: the window ends now */
    bool final;                /* the invocation running or to retry is the final one */
};

/* Bytes the window adds to the lane's next event (final: the final one). */
size_t win_lane_event_bytes(const struct win_lane *w, size_t shard_id_len, size_t arn_json_len,
                            bool final);

/*
 * The open window is over for the lane: a final invocation is due.  It is
 * when the state passed 1 MB, when the lane's next record (its arrival in
 * *next_arrival_us; NULL: none queued) is of a later window, or when the
 * shard has been read to its end and the window has ended at now_us or the
 * shard is closed (R12: a reshard ends the parent's window).
 */
bool win_lane_ends(const struct win_lane *w, const struct win_clock *c,
                   const int64_t *next_arrival_us, bool read_to_end, bool closed, int64_t now_us);

/* The window part of the lane's next event: *out with the state the
 * invocation is given, whose arrays *key_names and *counts the caller frees.
 * -1 when out of memory. */
int win_lane_event(const struct win_lane *w, const struct win_clock *c, const struct keytab *keys,
                   struct slog_event_window *out, const char ***key_names, uint64_t **counts);

/* An invocation returned a state (text: a real handler's JSON, len bytes;
 * NULL: the model's counts, already added to the state) having handled
 * `handled` records: past 1 MB the window ends early.  -1 when out of memory. */
int win_lane_returned(struct win_lane *w, const char *text, size_t len, uint64_t handled);

/* The final invocation succeeded: the window's result goes to the log (its
 * window op, if any), and the lane goes on with a fresh state, in the same
 * window when it ended early.  -1 when out of memory (the window is closed
 * all the same, unlogged). */
int win_lane_close(struct win_lane *w, const struct win_clock *c, const struct keytab *keys,
                   const struct slog *log, const char *shard_id, uint32_t lane,
                   uint64_t final_invocation_id);

#endif
