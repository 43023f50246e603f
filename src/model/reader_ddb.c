/*
 * reader_ddb.c - a DynamoDB table's stream (SPEC 1.2): GetRecords as in
 * shared polling, but the mapping polls each shard 4 times a second
 * (1 s / model.poll_interval), the calls after a batch included; the
 * stream applies its own caps (1,000 records or 1 MB a call).
 */
#include <stdlib.h>

#include "engine.h"
#include "reader_impl.h"

struct ddb_shard {
    int64_t blocked_until_us;    /* no GetRecords before this */
    int64_t calls_sec;           /* the second of `calls` */
    uint32_t calls;              /* the mapping's own GetRecords of the shard in it */
};

struct ddb_api {
    uint32_t calls_per_sec;      /* the pace on each shard */
    struct ddb_shard *shards;
};

static void *ddb_create(struct rdr *r, uint32_t n_shards)
{
    struct ddb_api *d = calloc(1, sizeof *d);
    if (!d || rdr_grow_array((void **)&d->shards, sizeof *d->shards, 0, n_shards) < 0) {
        free(d);
        return NULL;
    }
    int64_t interval = r->model->poll_interval_us;
    d->calls_per_sec = interval >= ENG_US_PER_SEC ? 1 : (uint32_t)(ENG_US_PER_SEC / interval);
    return d;
}

static int ddb_grow(struct rdr *r, uint32_t old_n, uint32_t n_shards)
{
    struct ddb_api *d = r->api;
    return rdr_grow_array((void **)&d->shards, sizeof *d->shards, old_n, n_shards);
}

static enum rdr_result ddb_read(struct rdr *r, uint32_t shard, uint64_t from, bool tick,
                                uint64_t *to)
{
    struct ddb_api *d = r->api;
    struct ddb_shard *s = &d->shards[shard];
    if (!rdr_may_get(r, shard, s->blocked_until_us, from, tick))
        return RDR_NONE;
    int64_t sec = eng_now(r->e) / ENG_US_PER_SEC;
    if (sec != s->calls_sec) {
        s->calls_sec = sec;
        s->calls = 0;
    }
    if (s->calls >= d->calls_per_sec)
        return RDR_NONE;
    s->calls++;
    return rdr_get_records(r, shard, from, to, &s->blocked_until_us);
}

static void ddb_destroy(void *api)
{
    struct ddb_api *d = api;
    free(d->shards);
    free(d);
}

const struct rdr_ops rdr_ddb_ops = {
    .create = ddb_create, .grow = ddb_grow, .read = ddb_read, .destroy = ddb_destroy,
};
