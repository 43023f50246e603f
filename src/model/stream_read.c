/*
 * stream_read.c - GetRecords on a stream's shard by the mapping (SPEC 1.1,
 * 1.2): the records from an index up to the service's caps, and the
 * shard's read limits shared with the other consumers (R1).  stream.c sets
 * the limits up (read_share); here they are counted, call by call.
 *
 * Choices (AWS leaves them open or the model needs them fixed):
 * - Read limits, shared throughput: per shard and per whole-second window,
 *   C GetRecords calls (Kinesis 5) and 2 MiB (data + key).  Each of the n
 *   other_consumers other readers asks for r calls a second (Kinesis 1).
 *   While they all fit, n r + r <= C, they take theirs and the mapping has
 *   the rest, C - n r calls a second; when they do not, every reader gets
 *   the same share, C / (n + 1) calls a second, which window k of the
 *   mapping holds exactly over time as floor(C (k + 1) / (n + 1)) -
 *   floor(C k / (n + 1)) calls.  The other readers read what was written to
 *   the shard in the previous second.  A call passes while the window has
 *   calls and bytes left, and then returns up to max_records and 10 MiB
 *   whatever remains: bytes read over the budget are a debt carried into
 *   the next windows (so 2 MiB/s holds on average), and a call cut by the
 *   10 MiB cap throttles the shard's calls for 5 seconds (the documented
 *   rule).  Enhanced fan-out does not come here: the mapping's pushes
 *   have their own 2 MiB/s per shard (reader_efo.c).
 *
 * DynamoDB Streams (SPEC 1.2):
 * - Reads: a shard serves C = 8 GetRecords a second, an assumption: AWS
 *   says no more than two processes should read a shard at once, and a
 *   mapping polls 4 times a second (R1), so two readers' worth.  Each other
 *   reader polls like the mapping, r = 4, so with two of them every reader,
 *   the mapping too, gets 8/3 calls a second, and its other calls are
 *   throttled.  There is no byte rate; a call returns at most 1,000 records
 *   and 1 MB of SizeBytes (LEV_DDB_GET_RECORDS_MAX_*), without a penalty.
 */
#include <assert.h>

#include "engine.h"
#include "keytab.h"
#include "lambda_event.h"
#include "stream_impl.h"

/* Bytes written to sh in the virtual second sec (0 when not tracked: only
 * the current and previous write windows are, which is all reads need). */
static uint64_t written_in(const struct shard *sh, int64_t sec)
{
    if (sec == sh->w_sec)
        return sh->w_bytes;
    if (sec == sh->w_sec - 1)
        return sh->w_prev_bytes;
    return 0;
}

/* The mapping's GetRecords calls in second sec (>= 0): its share, exact
 * over the seconds. */
static uint32_t read_calls(const struct stm *s, int64_t sec)
{
    uint64_t k = (uint64_t)sec;
    return (uint32_t)(s->read_num * (k + 1) / s->read_den - s->read_num * k / s->read_den);
}

/* Bytes the mapping may read from sh in second sec: the shard's rate (2 MiB
 * for Kinesis), less what the other consumers read (each reads what was
 * written the second before). */
static uint64_t read_budget(const struct stm *s, const struct shard *sh, int64_t sec)
{
    uint64_t limit = s->reads->bytes_per_sec;
    if (limit == UINT64_MAX)
        return limit;
    uint64_t others = (uint64_t)s->other_consumers * written_in(sh, sec - 1);
    return others >= limit ? 0 : limit - others;
}

/* The bytes a read of r counts: data + key (Kinesis), SizeBytes (DynamoDB). */
static uint64_t read_bytes(const struct stm *s, const struct stm_record *r)
{
    uint32_t key_len = stm_record_key_bytes(s, r);
    if (!s->ddb)
        return (uint64_t)r->bytes + key_len;
    struct lev_ddb_record item = {
        .key_len = key_len, .kind = (enum lev_ddb_event)r->event, .item_bytes = r->bytes,
    };
    return lev_ddb_size_bytes(&s->size_src, &item);
}

/* The bytes a Kinesis read of records [from, last) of shard counts, summed
 * a piece at a time (stm_piece), when at most max: the read returns them
 * all (the common case); else UINT64_MAX, and the caller cuts the read.
 * No key is STM_KEY_BYTES_FAR long (the caller checked): each record has
 * its key's length. */
static uint64_t kinesis_read_bytes(struct stm *s, uint32_t shard, uint64_t from, uint64_t last,
                                   uint64_t max)
{
    uint64_t sum = 0;
    for (uint64_t n; from < last; from += n) {
        const struct stm_record *r = stm_piece(s, shard, from, last, &n);
        for (const struct stm_record *end = r + n; r < end; r++) {
            sum += (uint64_t)r->bytes + r->key_bytes;
            if (sum > max)
                return UINT64_MAX;
        }
    }
    return sum;
}

/* Open the read window sec, carrying over what was read beyond the budgets
 * of the windows in between (approximate for windows without any call:
 * their budgets use the write history still known). */
static void read_roll(const struct stm *s, struct shard *sh, int64_t sec)
{
    if (sh->r_sec == sec)
        return;
    uint64_t debt = sh->r_bytes > sh->r_budget ? sh->r_bytes - sh->r_budget : 0;
    for (int64_t w = sh->r_sec + 1; w < sec && debt > 0; w++) {
        uint64_t b = read_budget(s, sh, w);
        debt = debt > b ? debt - b : 0;
    }
    sh->r_sec = sec;
    sh->r_calls = 0;
    sh->r_bytes = debt;
    sh->r_budget = read_budget(s, sh, sec);
}

enum stm_read_result stm_get_records(struct stm *s, uint32_t shard,
                                     uint64_t from, uint32_t max_records,
                                     uint64_t *to, int64_t *retry_at_us)
{
    struct shard *sh = &s->shards[shard];
    const struct read_limits *l = s->reads;
    int64_t now = eng_now(s->e), sec = now / ENG_US_PER_SEC;
    read_roll(s, sh, sec);
    int64_t retry = -1;
    if (now < sh->r_blocked_until_us)
        retry = sh->r_blocked_until_us;
    else if (sh->r_calls >= read_calls(s, sec) || sh->r_bytes >= sh->r_budget)
        retry = (sec + 1) * ENG_US_PER_SEC;
    if (retry >= 0) {
        s->stats.read_throttles++;
        *retry_at_us = retry;
        return STM_READ_THROTTLED;
    }
    sh->r_calls++;
    s->stats.reads++;

    const struct stm_ring *rg = &s->view.rings[shard];
    assert(from >= rg->begin && from <= rg->end);
    if (max_records == 0 || max_records > l->max_records)
        max_records = l->max_records;
    uint64_t i = from, last = rg->end - from > max_records ? from + max_records : rg->end;
    struct read_mark *m = &s->marks[shard];
    bool kinesis = !s->ddb, marked = kinesis && from == m->at;
    uint64_t bytes = UINT64_MAX;
    if (marked && last == rg->end)
        bytes = sh->w_total - m->total;
    else if (kinesis && keytab_max_len(s->keys) < STM_KEY_BYTES_FAR)
        bytes = kinesis_read_bytes(s, shard, from, last, l->max_bytes);
    if (bytes <= l->max_bytes)
        i = last;   /* all of them, no cut */
    else
        bytes = 0;
    for (; i < last; i++) {
        uint64_t b = read_bytes(s, stm_slot(rg, i));
        if (bytes + b > l->max_bytes) {
            if (l->penalty_us > 0)
                sh->r_blocked_until_us = now + l->penalty_us;
            break;
        }
        bytes += b;
    }
    if (kinesis && i == rg->end)
        *m = (struct read_mark){ i, sh->w_total };
    else if (marked)
        *m = (struct read_mark){ i, m->total + bytes };
    sh->r_bytes += bytes;
    *to = i;
    *retry_at_us = now;
    return STM_READ_OK;
}
