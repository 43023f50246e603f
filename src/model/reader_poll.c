/*
 * reader_poll.c - shared-throughput polling of a Kinesis stream (R1): one
 * GetRecords per poll, within the shard's limits of 5 reads a second and
 * 2 MB/s shared with the stream's other readers (the stream counts them);
 * a throttled call waits until the stream says it may read again (R9).
 */
#include <stdlib.h>

#include "reader_impl.h"

struct poll_api {
    int64_t *blocked_until_us;   /* by shard: no GetRecords before this */
};

static void *poll_create(struct rdr *r, uint32_t n_shards)
{
    struct poll_api *p = calloc(1, sizeof *p);
    if (!p || rdr_grow_array((void **)&p->blocked_until_us, sizeof *p->blocked_until_us, 0,
                             n_shards) < 0) {
        free(p);
        return NULL;
    }
    (void)r;
    return p;
}

static int poll_grow(struct rdr *r, uint32_t old_n, uint32_t n_shards)
{
    struct poll_api *p = r->api;
    return rdr_grow_array((void **)&p->blocked_until_us, sizeof *p->blocked_until_us, old_n,
                          n_shards);
}

static enum rdr_result poll_read(struct rdr *r, uint32_t shard, uint64_t from, bool tick,
                                 uint64_t *to)
{
    struct poll_api *p = r->api;
    if (!rdr_may_get(r, shard, p->blocked_until_us[shard], from, tick))
        return RDR_NONE;
    return rdr_get_records(r, shard, from, to, &p->blocked_until_us[shard]);
}

static void poll_destroy(void *api)
{
    struct poll_api *p = api;
    free(p->blocked_until_us);
    free(p);
}

const struct rdr_ops rdr_poll_ops = {
    .create = poll_create, .grow = poll_grow, .read = poll_read, .destroy = poll_destroy,
};
