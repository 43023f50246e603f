/*
 * observer_index.c - the observer's shards and keys, known by number (never
 * by hashing a string per record): a shard by the address of its id, the
 * content looked up once per address; a key by its key_id, its state of
 * the order figures (R10, R12, SPEC 1.3) in a table that follows the keys.
 */
#include "observer_index.h"

#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "keytab.h"

#define OBS_SHARD_PROBES 8        /* slots an address may take in it, from its own */

/*
 * A shard by its id.  Known by the address of the string after the first
 * time, trusted without reading it (no string compare per record): the
 * strings the observer is given keep their content for the whole run (the
 * core passes the stream's own ids, stream.c, allocated once with the
 * stream).  A new address is looked up by content.
 */
COLD struct oshard *obs_shard_of_slow(struct obs *o, const char *shard_id, size_t home)
{
    /* a few slots from the address's own, or two shards whose addresses
     * meet in one (a run in three, by the addresses it was given) would
     * evict each other and hash their ids on every event */
    size_t c = home & (OBS_SHARD_CACHE - 1);
    for (size_t i = 0; i < OBS_SHARD_PROBES; i++) {
        size_t at = (home + i) & (OBS_SHARD_CACHE - 1);
        if (o->shard_cache[at].str == shard_id) {
            o->last_shard = o->shard_cache[at];
            return o->last_shard.sh;
        }
        if (!o->shard_cache[at].str) {   /* free: the address's slot */
            c = at;
            break;
        }
    }
    size_t known = keytab_count(o->shard_ids);
    uint32_t id = keytab_add(o->shard_ids, shard_id);
    if (id == UINT32_MAX) {
        o->oom = true;
        return NULL;
    }
    if (id == known) {   /* new */
        if (id >= o->shards_cap) {
            size_t cap = o->shards_cap ? 2 * o->shards_cap : 16;
            const uintptr_t old = (uintptr_t)o->shards;
            struct oshard *grown = realloc(o->shards, cap * sizeof *grown);
            if (!grown) {
                o->oom = true;   /* the id stays in the map without its shard: stop here */
                return NULL;
            }
            for (size_t i = 0; i < OBS_SHARD_CACHE; i++)   /* the cache follows the array */
                if (o->shard_cache[i].str)
                    o->shard_cache[i].sh =
                        grown + ((uintptr_t)o->shard_cache[i].sh - old) / sizeof *grown;
            o->shards = grown;
            o->shards_cap = cap;
        }
        /* no ring yet: a capacity (mask + 1) of 0, which the test
         * for a full ring (see_record, see_common) then covers */
        o->shards[id] = (struct oshard){ .row.shard_id = keytab_key(o->shard_ids, id),
                                         .mask = SIZE_MAX };
    }
    o->shard_cache[c].str = shard_id;
    o->shard_cache[c].sh = &o->shards[id];
    o->last_shard = o->shard_cache[c];
    return &o->shards[id];
}

/* The key table moved to room for cap keys; -1 when out of memory.  A
 * first delivery reads its key's state at random among every key: a table
 * of megabytes is on huge pages (big_alloc), or most of those reads miss
 * the TLB too. */
int obs_keys_resize(struct obs *o, size_t cap)
{
    struct okey *keys = big_alloc(cap * sizeof *keys);
    if (!keys)
        return -1;
    if (o->keys_n)
        memcpy(keys, o->keys, o->keys_n * sizeof *keys);
    free(o->keys);
    o->keys = keys;
    o->keys_cap = cap;
    return 0;
}

/* The key table's capacity for want keys: its own, doubled until it holds
 * them; an empty table's, want, at least 1,024 (obs_reserve_keys's hint,
 * the bench's 100,000 keys: 6.1 MiB, three huge pages and the rest in 4 KiB
 * ones, where the power of 2 above it took four huge pages, 8 MiB). */
size_t obs_keys_cap_for(const struct obs *o, size_t want)
{
    if (!o->keys_cap)
        return want > 1024 ? want : 1024;
    size_t cap = o->keys_cap;
    while (cap < want)
        cap *= 2;
    return cap;
}

/* Room for key_id's state, the keys up to it initialised; -1 when out of
 * memory.  Its size follows the keys (their ids are dense), not the
 * records: it doubles past obs_reserve_keys's room. */
int obs_key_reserve(struct obs *o, uint32_t key_id)
{
    if (key_id >= o->keys_cap && obs_keys_resize(o, obs_keys_cap_for(o, (size_t)key_id + 1)) < 0)
        return -1;
    for (; o->keys_n <= key_id; o->keys_n++)
        o->keys[o->keys_n] = OKEY_NONE;
    return 0;
}
