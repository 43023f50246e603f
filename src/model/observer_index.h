/*
 * observer_index.h - the observer's shards and keys by number
 * (observer_index.c): obs_shard_of, inline on every event's path, and the key
 * table's room.  Only the observer's files include it.
 */
#ifndef ESMSIM_OBSERVER_INDEX_H
#define ESMSIM_OBSERVER_INDEX_H

#include "observer_int.h"
#include "prefetch.h"   /* COLD */

COLD struct oshard *obs_shard_of_slow(struct obs *o, const char *shard_id, size_t home);

/* An address's own slot in the shard cache: Fibonacci hashing, its top
 * bits (two instructions a record where int_hash took eight; a collision
 * costs a probe, not a wrong shard). */
static inline size_t obs_shard_home(const char *shard_id)
{
    return (size_t)(((uint64_t)(uintptr_t)shard_id * 0x9e3779b97f4a7c15ULL) >> 56);
}
_Static_assert(OBS_SHARD_CACHE == 256, "obs_shard_home: the top 8 bits");

/* Inline: the shard in its address's own slot of the cache (a record's:
 * records come of every shard in turn, so the last shard is seldom theirs,
 * and copying each to it cost 5 instructions a record). */
static inline struct oshard *obs_shard_cached(struct obs *o, const char *shard_id)
{
    size_t home = obs_shard_home(shard_id);
    size_t at = home & (OBS_SHARD_CACHE - 1);
    if (o->shard_cache[at].str == shard_id)
        return o->shard_cache[at].sh;
    return obs_shard_of_slow(o, shard_id, home);
}

/* Inline: the last shard (an invocation's deliveries come in a row), or
 * one in its address's own slot of the cache. */
static inline struct oshard *obs_shard_of(struct obs *o, const char *shard_id)
{
    if (o->last_shard.str == shard_id)
        return o->last_shard.sh;
    size_t home = obs_shard_home(shard_id);
    size_t at = home & (OBS_SHARD_CACHE - 1);
    if (o->shard_cache[at].str == shard_id) {
        struct oshard *sh = o->shard_cache[at].sh;   /* not read back from last_shard: a
                                                        load across the copy's store, stalled */
        o->last_shard = o->shard_cache[at];
        return sh;
    }
    return obs_shard_of_slow(o, shard_id, home);
}

int obs_keys_resize(struct obs *o, size_t cap);
size_t obs_keys_cap_for(const struct obs *o, size_t want);
int obs_key_reserve(struct obs *o, uint32_t key_id);

#endif
