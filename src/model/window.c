/*
 * window.c - tumbling windows (R15), see window.h: window arithmetic, the
 * count-per-key state with its JSON size kept up to date as it grows, and
 * the bytes a window adds to the event.
 *
 * The state keeps its keys in first-counted order (arrays), with an index
 * from key id to position (open addressing), so counting a record is O(1)
 * and the JSON comes out in a fixed order.
 *
 * A lane's window (win_lane_*) is the mapping's glue: when a window ends for
 * a lane, what it adds to the events, and its result logged.
 */
#include <stdlib.h>
#include <string.h>

#include "keytab.h"
#include "lambda_event.h"
#include "simlog.h"
#include "window.h"

#define US_PER_MS 1000
#define INDEX_MIN 64u

struct win_state {
    uint32_t *key_ids;      /* in first-counted order */
    uint64_t *counts;
    uint32_t n, cap;
    uint32_t *index;        /* key id + 1 -> slot holds position + 1; 0: empty */
    uint32_t *index_key;    /* the key id + 1 in each slot */
    uint32_t index_cap;     /* a power of two, at least twice n */
    size_t bytes;           /* of the compact JSON object, or of text */
    uint64_t records;
    char *text;             /* a real handler's state (JSON text), or NULL: the counts */
};

/* Floor division for a possibly negative numerator (a start time before
 * the epoch is refused by the loader, but the arithmetic stays right). */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t win_index(int64_t epoch_ms, int64_t width_us, int64_t arrival_us)
{
    return floor_div(epoch_ms * US_PER_MS + arrival_us, width_us);
}

int64_t win_start_us(int64_t epoch_ms, int64_t width_us, int64_t k)
{
    return k * width_us - epoch_ms * US_PER_MS;
}

struct win_state *win_state_create(void)
{
    struct win_state *st = calloc(1, sizeof *st);
    if (st)
        st->bytes = 2;   /* {} */
    return st;
}

void win_state_destroy(struct win_state *st)
{
    if (!st)
        return;
    free(st->key_ids);
    free(st->counts);
    free(st->index);
    free(st->index_key);
    free(st->text);
    free(st);
}

void win_state_clear(struct win_state *st)
{
    free(st->text);
    st->text = NULL;
    st->n = 0;
    st->bytes = 2;
    st->records = 0;
    if (st->index) {
        memset(st->index, 0, st->index_cap * sizeof *st->index);
        memset(st->index_key, 0, st->index_cap * sizeof *st->index_key);
    }
}

/* The index slot of key_id: where it is, or the empty slot it would take. */
static uint32_t slot_of(const struct win_state *st, uint32_t key_id)
{
    uint32_t mask = st->index_cap - 1;
    uint32_t i = (key_id * 2654435761u) & mask;   /* Knuth's multiplicative hash */
    while (st->index[i] && st->index_key[i] != key_id + 1)
        i = (i + 1) & mask;
    return i;
}

/* Room for one more key: arrays and index grown as needed. */
static int reserve(struct win_state *st)
{
    if (st->n == st->cap) {
        uint32_t cap = st->cap ? 2 * st->cap : 16;
        uint32_t *ids = realloc(st->key_ids, cap * sizeof *ids);
        if (!ids)
            return -1;
        st->key_ids = ids;
        uint64_t *counts = realloc(st->counts, cap * sizeof *counts);
        if (!counts)
            return -1;
        st->counts = counts;
        st->cap = cap;
    }
    if (2 * (st->n + 1) > st->index_cap) {
        uint32_t cap = st->index_cap ? 2 * st->index_cap : INDEX_MIN;
        uint32_t *index = calloc(cap, sizeof *index), *index_key = calloc(cap, sizeof *index_key);
        if (!index || !index_key) {
            free(index);
            free(index_key);
            return -1;
        }
        free(st->index);
        free(st->index_key);
        st->index = index;
        st->index_key = index_key;
        st->index_cap = cap;
        for (uint32_t pos = 0; pos < st->n; pos++) {
            uint32_t s = slot_of(st, st->key_ids[pos]);
            st->index[s] = pos + 1;
            st->index_key[s] = st->key_ids[pos] + 1;
        }
    }
    return 0;
}

int win_state_add(struct win_state *st, const struct keytab *keys, uint32_t key_id, uint64_t n)
{
    if (reserve(st) < 0)
        return -1;
    uint32_t s = slot_of(st, key_id);
    if (st->index[s]) {
        uint64_t *c = &st->counts[st->index[s] - 1];
        st->bytes += lev_u64_digits(*c + n) - lev_u64_digits(*c);
        *c += n;
    } else {
        /* "key":n, plus a comma after the first key */
        st->bytes += (st->n > 0) + 2 + keytab_json_len(keys, key_id) + 1 + lev_u64_digits(n);
        st->key_ids[st->n] = key_id;
        st->counts[st->n] = n;
        st->index[s] = ++st->n;
        st->index_key[s] = key_id + 1;
    }
    st->records += n;
    return 0;
}

struct win_state *win_state_copy(const struct win_state *src, const struct keytab *keys)
{
    struct win_state *st = win_state_create();
    for (uint32_t i = 0; st && i < src->n; i++) {
        if (win_state_add(st, keys, src->key_ids[i], src->counts[i]) < 0) {
            win_state_destroy(st);
            return NULL;
        }
    }
    return st;
}

size_t win_state_bytes(const struct win_state *st) { return st->bytes; }
uint64_t win_state_records(const struct win_state *st) { return st->records; }
uint32_t win_state_keys(const struct win_state *st) { return st->n; }

void win_state_entry(const struct win_state *st, uint32_t i, uint32_t *key_id, uint64_t *count)
{
    *key_id = st->key_ids[i];
    *count = st->counts[i];
}

int win_state_set_text(struct win_state *st, const char *text, size_t len, uint64_t records)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, text, len);
    copy[len] = 0;
    uint64_t counted = st->records + records;
    win_state_clear(st);
    st->text = copy;
    st->bytes = len;
    st->records = counted;
    return 0;
}

const char *win_state_text(const struct win_state *st)
{
    return st->text;
}

int win_state_entries(const struct win_state *st, const struct keytab *keys,
                      const char ***key_names, uint64_t **counts)
{
    uint32_t n = win_state_keys(st);
    *key_names = malloc((n ? n : 1) * sizeof **key_names);
    *counts = malloc((n ? n : 1) * sizeof **counts);
    if (!*key_names || !*counts) {
        free(*key_names);
        free(*counts);
        *key_names = NULL;
        *counts = NULL;
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t key_id;
        win_state_entry(st, i, &key_id, &(*counts)[i]);
        (*key_names)[i] = keytab_key(keys, key_id);
    }
    return 0;
}

size_t win_event_extra_bytes(size_t shard_id_json_len, size_t arn_json_len,
                             size_t state_bytes, bool final, bool early)
{
    static const char window[] = ",\"window\":{\"start\":\"2026-01-01T00:00:00Z\","
                                 "\"end\":\"2026-01-01T00:00:00Z\"}";
    static const char state[] = ",\"state\":";
    static const char shard[] = ",\"shardId\":\"\"";
    static const char arn[] = ",\"eventSourceARN\":\"\"";
    static const char final_flag[] = ",\"isFinalInvokeForWindow\":";
    static const char early_flag[] = ",\"isWindowTerminatedEarly\":";
    return (sizeof window - 1) + (sizeof state - 1) + state_bytes +
           (sizeof shard - 1) + shard_id_json_len + (sizeof arn - 1) + arn_json_len +
           (sizeof final_flag - 1) + (final ? 4 : 5) + (sizeof early_flag - 1) + (early ? 4 : 5);
}

/* ---- a lane's window (R15) ------------------------------------------------ */

size_t win_lane_event_bytes(const struct win_lane *w, size_t shard_id_len, size_t arn_json_len,
                            bool final)
{
    return win_event_extra_bytes(shard_id_len, arn_json_len, win_state_bytes(w->state), final,
                                 final && w->early);
}

bool win_lane_ends(const struct win_lane *w, const struct win_clock *c,
                   const int64_t *next_arrival_us, bool read_to_end, bool closed, int64_t now_us)
{
    if (w->k == WIN_NONE)
        return false;
    if (w->early)
        return true;
    if (next_arrival_us)
        return win_index(c->epoch_ms, c->width_us, *next_arrival_us) != w->k;
    if (!read_to_end)
        return false;
    return now_us >= win_start_us(c->epoch_ms, c->width_us, w->k + 1) || closed;
}

int win_lane_event(const struct win_lane *w, const struct win_clock *c, const struct keytab *keys,
                   struct slog_event_window *out, const char ***key_names, uint64_t **counts)
{
    if (win_state_entries(w->state, keys, key_names, counts) < 0)
        return -1;
    *out = (struct slog_event_window){
        .start_us = win_start_us(c->epoch_ms, c->width_us, w->k),
        .end_us = win_start_us(c->epoch_ms, c->width_us, w->k + 1),
        .n_keys = win_state_keys(w->state), .keys = *key_names, .counts = *counts,
        .state_json = win_state_text(w->state),
        .final = w->final, .terminated_early = w->final && w->early,
    };
    return 0;
}

int win_lane_returned(struct win_lane *w, const char *text, size_t len, uint64_t handled)
{
    /* A real handler's state is its own JSON, passed along as it is. */
    int rc = text ? win_state_set_text(w->state, text, len, handled) : 0;
    if (win_state_bytes(w->state) > WIN_MAX_STATE_BYTES)
        w->early = true;
    return rc;
}

int win_lane_close(struct win_lane *w, const struct win_clock *c, const struct keytab *keys,
                   const struct slog *log, const char *shard_id, uint32_t lane,
                   uint64_t final_invocation_id)
{
    const char **key_names;
    uint64_t *counts;
    int rc = 0;
    if (log->ops->window) {
        rc = win_state_entries(w->state, keys, &key_names, &counts);
        if (rc == 0) {
            struct slog_window sw = {
                .shard_id = shard_id, .lane = lane,
                .start_us = win_start_us(c->epoch_ms, c->width_us, w->k),
                .end_us = win_start_us(c->epoch_ms, c->width_us, w->k + 1),
                .final_invocation_id = final_invocation_id, .terminated_early = w->early,
                .records = win_state_records(w->state), .state_bytes = win_state_bytes(w->state),
                .n_keys = win_state_keys(w->state), .keys = key_names, .counts = counts,
                .state_json = win_state_text(w->state),
            };
            log->ops->window(log->ctx, &sw);
            free(key_names);
            free(counts);
        }
    }
    win_state_clear(w->state);
    if (w->early)
        w->early = false;        /* the same window goes on with a fresh state */
    else
        w->k = WIN_NONE;
    return rc;
}
