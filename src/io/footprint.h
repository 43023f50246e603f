/*
 * footprint.h - the memory a scenario's run may need, estimated before it
 * runs, so that the loader refuses what cannot fit (issue 11 item 15)
 * instead of letting the run grow until the kernel kills it.
 *
 * Two cases.  Keeping up, records and messages are held for seconds (a
 * poll, the batching window, an invocation): what any run of the scenario
 * needs, whatever its function does; the loader refuses a scenario whose
 * need passes model.memory_limit.  Stalled (a poison record retried for
 * ever, a disabled mapping, a function that always fails), every message
 * created stays in the message table, and every record written stays in
 * the stream, until retention trims it or the run ends: one poison record
 * is enough to keep the message table that large (its ring spans from the
 * oldest unsettled message to the newest), so that bound is reached in
 * practice.  A run that grows toward it is stopped by the limit as it goes
 * (sim.h), with a valid, incomplete log.  docs/scenario.md ("Memory") gives
 * every term.
 */
#ifndef ESMSIM_FOOTPRINT_H
#define ESMSIM_FOOTPRINT_H

#include <stddef.h>
#include <stdint.h>

struct cfg_sim;

/* The parts of the estimate, in the order messages print them. */
enum fpt_part {
    FPT_MESSAGES,     /* the message table (R17 fates) */
    FPT_RECORDS,      /* records held in the stream, and the mapping's lane queues */
    FPT_KEYS,         /* partition keys: the key table, and each producer's key space */
    FPT_REQUESTS,     /* producers' PutRecords requests waiting to be sent or retried */
    FPT_SHARDS,       /* shards, lanes, batch buffers, tumbling-window states */
    FPT_SCENARIO,     /* the scenario itself and its explicit records */
    FPT_PROGRAM,      /* the program, its libraries and the run log's page cache */
    FPT_PARTS
};

struct fpt_estimate {
    double bytes[FPT_PARTS];   /* each part, at most */
    double total;              /* their sum */
    double messages;           /* messages the message table may span at once */
    double records;            /* records the stream may hold at once */
    double keys;               /* distinct partition keys the run may meet */
    double key_space;          /* keys the producers' key spaces hold, all together */
    double shards;             /* shards the run may make */
    size_t top_producer;       /* the producer with the most messages, or SIZE_MAX (none) */
    double hold_s;             /* how long a record may stay in the stream, in s */
    double window_s;           /* how long a message may stay in the table, in s */
};

/* The two cases estimated: the mapping reads as fast as records come (the
 * need of any run of the scenario: the loader refuses it over the limit),
 * and the mapping stops reading (the most a run may need: a run that gets
 * there is stopped by the limit, see sim_set_memory_budget). */
enum fpt_case { FPT_KEEPING_UP, FPT_STALLED };

/* The estimate for cfg, the config of a scenario the loader has validated
 * whole, whose effective JSON is scenario_bytes long (scn_footprint gives
 * both from a loaded scenario). */
void fpt_estimate(const struct cfg_sim *cfg, size_t scenario_bytes, enum fpt_case c,
                  struct fpt_estimate *out);

/* The part's name in messages: "messages", "records", ... */
const char *fpt_part_name(enum fpt_part p);

/*
 * The memory this process may use: the machine's physical memory, or less
 * when a control group (cgroup v2 memory.max) or RLIMIT_AS says so; 0 when
 * it cannot be told.  *what says which ("this machine's memory", ...).
 */
uint64_t fpt_available(const char **what);

#endif
