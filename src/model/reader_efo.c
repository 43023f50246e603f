/*
 * reader_efo.c - enhanced fan-out (R1): nothing polls; a record is pushed
 * model.efo_push_latency after its arrival, within the consumer's own
 * 2 MiB/s of the shard (data and partition key bytes count, as the shared
 * limits count them), when the mapping wants records: a record that arrives
 * while its lane is busy waits for it, as the subscription's flow control
 * holds it back.
 */
#include <stdlib.h>

#include "engine.h"
#include "reader_impl.h"
#include "stream.h"

/* Each registered consumer's own read throughput per shard. */
#define EFO_BYTES_PER_SEC (2 * 1024 * 1024)
#define EFO_CREDIT_MAX ((int64_t)EFO_BYTES_PER_SEC * ENG_US_PER_SEC)

/* A push is scheduled; what the consumer may still receive as of at_us, in
 * millionths of a byte so that refills are exact (a bucket of one second's
 * 2 MiB). */
struct efo_shard {
    bool push_pending;
    int64_t credit, at_us;
};

struct efo_api {
    struct efo_shard *shards;
};

static int efo_grow(struct rdr *r, uint32_t old_n, uint32_t n_shards)
{
    struct efo_api *f = r->api;
    if (rdr_grow_array((void **)&f->shards, sizeof *f->shards, old_n, n_shards) < 0)
        return -1;
    for (uint32_t s = old_n; s < n_shards; s++)
        f->shards[s].credit = EFO_CREDIT_MAX;
    return 0;
}

static void *efo_create(struct rdr *r, uint32_t n_shards)
{
    struct efo_api *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    r->api = f;
    if (efo_grow(r, 0, n_shards) < 0) {
        free(f);
        return NULL;
    }
    return f;
}

/* The push came: the mapping reads what it brought, if it wants records. */
static void on_push(void *ctx, uint64_t shard)
{
    struct rdr *r = ctx;
    struct efo_api *f = r->api;
    f->shards[shard].push_pending = false;
    r->host.wake(r->host.ctx, (uint32_t)shard);
}

static void push_at(struct rdr *r, uint32_t shard, int64_t at_us)
{
    struct efo_api *f = r->api;
    f->shards[shard].push_pending = true;
    if (eng_schedule(r->e, at_us, ENG_CLASS_POLL, on_push, r, shard) < 0)
        eng_stop(r->e);          /* out of memory: stop, the run is incomplete */
}

/* The credit rec costs: its data and partition key bytes, or at most a full
 * bucket for a record larger than one second's throughput (records may be
 * up to 10 MiB). */
static inline int64_t efo_cost(const struct rdr *r, const struct stm_record *rec)
{
    int64_t bytes = (int64_t)rec->bytes + (int64_t)stm_record_key_bytes(r->stream, rec);
    return bytes * ENG_US_PER_SEC < EFO_CREDIT_MAX ? bytes * ENG_US_PER_SEC : EFO_CREDIT_MAX;
}

/* Take what has been pushed by now, as far as the consumer's 2 MiB/s
 * allows, and make sure a push comes for the rest. */
static enum rdr_result efo_read(struct rdr *r, uint32_t shard, uint64_t from, bool tick,
                                uint64_t *to)
{
    struct efo_shard *s = &((struct efo_api *)r->api)->shards[shard];
    int64_t now = eng_now(r->e), latency = r->model->efo_push_latency_us;
    int64_t elapsed = now - s->at_us;
    (void)tick;   /* a tick reads what was pushed: no call */
    s->credit = elapsed >= ENG_US_PER_SEC ? EFO_CREDIT_MAX
                                          : s->credit + elapsed * EFO_BYTES_PER_SEC;
    if (s->credit > EFO_CREDIT_MAX)
        s->credit = EFO_CREDIT_MAX;
    s->at_us = now;

    uint64_t end = stm_end(r->stream, shard);
    *to = from;
    while (*to < end) {
        const struct stm_record *rec = stm_at(r->stream, shard, *to);
        int64_t cost = efo_cost(r, rec);
        if (rec->arrival_us + latency > now || cost > s->credit)
            break;
        s->credit -= cost;
        ++*to;
    }
    if (*to < end && !s->push_pending) {
        /* The next record is due later, or waits for the bucket to refill. */
        const struct stm_record *next = stm_at(r->stream, shard, *to);
        int64_t at = next->arrival_us + latency;
        if (at <= now)   /* the credit it lacks, at 2 MiB/s, rounded up */
            at = now + (efo_cost(r, next) - s->credit + EFO_BYTES_PER_SEC - 1) / EFO_BYTES_PER_SEC;
        push_at(r, shard, at);
    }
    return *to > from ? RDR_READ : RDR_NONE;   /* nothing pushed yet: no read */
}

/* A record written now is pushed after the latency. */
static void efo_written(struct rdr *r, uint32_t shard)
{
    struct efo_api *f = r->api;
    if (!f->shards[shard].push_pending)
        push_at(r, shard, eng_now(r->e) + r->model->efo_push_latency_us);
}

static void efo_destroy(void *api)
{
    struct efo_api *f = api;
    free(f->shards);
    free(f);
}

const struct rdr_ops rdr_efo_ops = {
    .create = efo_create, .grow = efo_grow, .read = efo_read, .written = efo_written,
    .destroy = efo_destroy,
};
