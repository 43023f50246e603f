/*
 * ondemand.h - a Kinesis stream in on-demand capacity mode (SPEC 1.1
 * Capacity modes, issue 14 item 2): AWS manages the shards.  The stream
 * starts with its shards (4: 4 MiB/s and 4,000 records/s), each with the
 * usual write limits; a shard whose sustained traffic passes half its
 * limits is split, a scale delay later, as long as the open shards stay
 * within twice the stream's previous peak and its maximum throughput.
 * Writes beyond the shards' limits are throttled as in provisioned mode.
 * ondemand.c says how, and which choices are the model's.
 */
#ifndef ESMSIM_ONDEMAND_H
#define ESMSIM_ONDEMAND_H

#include <stddef.h>
#include <stdint.h>

struct eng;
struct stm;
struct cfg_stream;
struct odm;

/*
 * The scaler of stream s (borrowed), whose config cfg (borrowed) is
 * ON_DEMAND and whose cfg->shards are open now: it looks at every whole
 * second from 1 s on and splits shards through stm_split_evenly().  Made
 * just after the stream (sim.c), destroyed before it.  NULL with a message
 * in err when out of memory.
 */
struct odm *odm_create(struct eng *e, struct stm *s, const struct cfg_stream *cfg,
                       char *err, size_t errlen);
void odm_destroy(struct odm *o);

#endif
