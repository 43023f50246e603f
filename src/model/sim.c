/*
 * sim.c - wires one simulation together and runs its clock.
 *
 * Construction order matters only for seeding names, never for draws: every
 * component gets its own random stream from the scenario seed and its name.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ahead.h"
#include "engine.h"
#include "function.h"
#include "keytab.h"
#include "mapping.h"
#include "msgtab.h"
#include "observer.h"
#include "ondemand.h"
#include "producer.h"
#include "config.h"
#include "sim.h"
#include "stream.h"

/*
 * Events between two returns to sim_run, which then looks at the log (its
 * failure, its sync) and shows progress.  The interrupt flag is read after
 * every event (eng_run_bounded), so a run stops one event after Ctrl-C
 * whatever its events cost; this count only spaces the log's commit points
 * (256 events of a few hundred ns: a sync every ~0.1 ms at full speed, and
 * at most a second or so when every event is an invocation of 10,000
 * records).  Where the engine returns changes nothing of what it runs.
 */
#define SIM_EVENTS_PER_SYNC 256

struct sim {
    const struct cfg_sim *cfg; /* borrowed */
    struct obs *obs;           /* computes every figure, forwarding to the caller's sink */
    struct slog log;           /* the sink the core writes to: the observer's, or the relay's
                                * in front of it (use_sink); per_record is turned off when
                                * a run stops early (sim_run) */
    struct slog_relay relay;   /* relayed: the observer and the message table's entries run on
                                * the relay's thread */
    bool relayed;
    uint64_t syncs;            /* sync points made */
    struct eng *e;
    struct keytab *keys;
    struct stm *stream;
    struct odm *scaler;        /* an ON_DEMAND stream's, else NULL */
    struct msgtab *msgs;
    struct fn *fn;
    struct esm *esm;
    struct prd **producers;    /* scenario producers, then the explicit records' */
    size_t n_producers;
    struct ahd *ahead;         /* the thread drawing the producers' arrivals, or NULL */
    uint64_t events;
    int64_t reached_us;        /* virtual time the run got to */
    bool finished;
    uint64_t memory_budget;    /* bytes the record rings and message table may take; 0: any */
    char failure[256];         /* why the run stopped itself, or "" */
};

/* ---- the schedule (R16) ------------------------------------------------- */

/* arg: the index of the scheduled change. */
static void on_function_change(void *ctx, uint64_t arg)
{
    struct sim *s = ctx;
    fn_update(s->fn, s->cfg->schedule[arg].function);
    obs_function(s->obs, eng_now(s->e), s->cfg->schedule[arg].function);
}

static void on_mapping_change(void *ctx, uint64_t arg)
{
    struct sim *s = ctx;
    esm_update(s->esm, s->cfg->schedule[arg].mapping);
    obs_mapping_enabled(s->obs, eng_now(s->e), s->cfg->schedule[arg].mapping->enabled);
}

/* A function change applies at its time (it models what the function does,
 * e.g. a dependency that goes down); a mapping change after the delay AWS
 * takes to apply an UpdateEventSourceMapping. */
static int schedule_changes(struct sim *s)
{
    const struct cfg_sim *cfg = s->cfg;
    for (size_t i = 0; i < cfg->n_schedule; i++) {
        const struct cfg_change *ch = &cfg->schedule[i];
        if (ch->function && eng_schedule(s->e, ch->at_us, ENG_CLASS_TOPOLOGY,
                                         on_function_change, s, i) < 0)
            return -1;
        if (ch->mapping && eng_schedule(s->e, ch->at_us + cfg->model.mapping_update_delay_us,
                                        ENG_CLASS_TOPOLOGY, on_mapping_change, s, i) < 0)
            return -1;
    }
    return 0;
}

/* ---- the sink the core writes to ------------------------------------------- */

/*
 * The components keep the address of s->log: the observer's sink, or the
 * relay's in front of it.  Attaching or detaching the relay changes its
 * calls in place; per_record stays off once a run stopped early turned it
 * off (sim_run).  The observer reads nothing of the core's (a record row
 * carries its message's creation time), so that it may run on the relay's
 * thread (issue 15 item 2).  The message table logs to the observer itself
 * (its copy of the sink at sim_create): relayed, its entries go to the
 * relay's thread with the observer, which then gets its settled messages
 * there, from the table, in the order of the calls (issue 15: the table was
 * a fifth of this thread's instructions, and relaying its settled messages
 * a twentieth).
 */
static void use_sink(struct sim *s, const struct slog *out)
{
    s->log.ops = out->ops;
    s->log.ctx = out->ctx;
    s->log.no_key_names = out->no_key_names;
    s->log.event = out->event;
    s->log.event_ctx = out->event_ctx;
}

void sim_set_relay(struct sim *s, const struct slog_relay *relay)
{
    struct slog obs = obs_sink(s->obs), out;
    if (s->relayed || !relay->attach(relay->ctx, &obs, &out))
        return;
    if (!relay->attach_msgs(relay->ctx, s->msgs)) {   /* out of memory: both stay here */
        relay->detach(relay->ctx);
        return;
    }
    s->relay = *relay;
    s->relayed = true;
    use_sink(s, &out);
}

/* Every call made has reached the observer and the message table: they are
 * this thread's again. */
static void unrelay(struct sim *s)
{
    if (s->relayed) {
        s->relay.detach(s->relay.ctx);
        msg_unrelay(s->msgs);
    }
    s->relayed = false;
    struct slog obs = obs_sink(s->obs);
    use_sink(s, &obs);
}

/* ---- life cycle ------------------------------------------------------------ */

struct sim *sim_create(const struct cfg_sim *cfg, const struct slog *log,
                       char *err, size_t errlen)
{
    struct sim *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = cfg;
    /* Every event goes through the observer (issue 13 item 3): only records
     * that arrived a retention period before the end can have expired. */
    s->obs = obs_create(log, cfg->duration_us / 1000 - cfg->stream.retention_us / 1000 + 1);
    if (s->obs)
        s->log = obs_sink(s->obs);
    log = &s->log;
    s->e = eng_create(cfg->seed);
    s->keys = keytab_create();
    s->producers = calloc(cfg->n_producers + 1, sizeof *s->producers);
    if (!s->obs || !s->e || !s->keys || !s->producers) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->stream = stm_create(s->e, &cfg->stream, s->keys, log, err, errlen);
    if (!s->stream)
        goto fail;
    /* Right after the stream: the scaler's looks come before any other
     * component's events of the same instant and class. */
    if (cfg->stream.type == CFG_STREAM_KINESIS && cfg->stream.capacity_mode == CFG_CAPACITY_ON_DEMAND &&
        !(s->scaler = odm_create(s->e, s->stream, &cfg->stream, err, errlen)))
        goto fail;
    if (stm_set_arn(s->stream, cfg->mapping.event_source_arn) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->msgs = msg_create(log, s->keys);
    if (!s->msgs) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    obs_set_keys(s->obs, s->keys);
    /* the observer's key table sized once: at most every producer's key
     * space and every explicit record's key (they may share keys) */
    size_t key_space = cfg->n_records;
    for (size_t i = 0; i < cfg->n_producers; i++) {
        const struct cfg_keys *k = &cfg->producers[i].keys;
        key_space += k->list ? k->n_list : k->count;
    }
    obs_reserve_keys(s->obs, key_space);
    obs_mapping_enabled(s->obs, 0, cfg->mapping.enabled);
    obs_function(s->obs, 0, &cfg->function);
    s->fn = fn_create(s->e, &cfg->function, s->keys, s->stream, err, errlen);
    if (!s->fn)
        goto fail;
    struct esm_config mapping = {
        .mapping = &cfg->mapping, .model = &cfg->model, .consumer = cfg->stream.consumer,
        .view = cfg->stream.view_type, .function_name = cfg->function.name,
        .max_batch_size = cfg->mapping.batch_size,
        .max_parallelization = cfg->mapping.parallelization_factor,
    };
    /* R16: the mapping's buffers and lanes are sized for the schedule's largest */
    for (size_t i = 0; i < cfg->n_schedule; i++) {
        const struct cfg_mapping *later = cfg->schedule[i].mapping;
        if (later && later->batch_size > mapping.max_batch_size)
            mapping.max_batch_size = later->batch_size;
        if (later && later->parallelization_factor > mapping.max_parallelization)
            mapping.max_parallelization = later->parallelization_factor;
    }
    s->esm = esm_create(s->e, &mapping, s->stream, s->fn, s->msgs, s->keys, log, err, errlen);
    if (!s->esm)
        goto fail;
    if (schedule_changes(s) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < cfg->n_producers; i++) {
        s->producers[s->n_producers] = prd_create(s->e, &cfg->producers[i], s->stream,
                                                  s->keys, s->msgs, err, errlen);
        if (!s->producers[s->n_producers++])
            goto fail;
    }
    if (cfg->n_records > 0) {
        s->producers[s->n_producers] = prd_create_explicit(s->e, cfg->records, cfg->n_records,
                                                           s->stream, s->keys, s->msgs,
                                                           err, errlen);
        if (!s->producers[s->n_producers++])
            goto fail;
    }
    return s;
fail:
    sim_destroy(s);
    return NULL;
}

void sim_destroy(struct sim *s)
{
    if (!s)
        return;
    if (s->obs)
        unrelay(s);
    ahd_destroy(s->ahead);
    for (size_t i = 0; i < s->n_producers; i++)
        prd_destroy(s->producers[i]);
    free(s->producers);
    esm_destroy(s->esm);
    fn_destroy(s->fn);
    msg_destroy(s->msgs);
    odm_destroy(s->scaler);
    stm_destroy(s->stream);
    keytab_destroy(s->keys);
    eng_destroy(s->e);
    obs_destroy(s->obs);
    free(s);
}

void sim_draw_ahead(struct sim *s)
{
    if (!s->ahead && (s->ahead = ahd_create()))
        for (size_t i = 0; i < s->n_producers; i++)
            prd_draw_ahead(s->producers[i], s->ahead);
}

void sim_set_backend(struct sim *s, const struct fn_backend *b)
{
    fn_set_backend(s->fn, b);
}

/*
 * Settle every fate: records still in the stream, then messages.  A run
 * stopped early skips the records (a walk of the whole backlog, a second or
 * more for tens of millions of records): its messages still in flight are
 * pending, even one with a record handled and not yet checkpointed, and the
 * duplicate counts cover the records that left the stream.
 */
static void finish(struct sim *s, bool complete)
{
    if (s->finished)
        return;
    s->finished = true;
    if (complete)
        esm_finish(s->esm);
    msg_finish(s->msgs);
    for (size_t i = 0; i < s->n_producers; i++)
        prd_finish(s->producers[i]);
    ahd_destroy(s->ahead);   /* no more arrivals wanted: the thread goes */
    s->ahead = NULL;
    unrelay(s);
    obs_finish(s->obs, s->reached_us);
}

void sim_set_memory_budget(struct sim *s, uint64_t bytes)
{
    s->memory_budget = bytes;
}

const char *sim_failure(const struct sim *s)
{
    return s->failure[0] ? s->failure : NULL;
}

/*
 * The observer's tables, from figures of the events alone, so that the run
 * stops at the same event whether the observer runs on this thread or on
 * the relay's: the greater of what they took OBS_BYTES_LAG sync points ago
 * (0 before; the observer's thread is rarely that far behind, else this
 * waits for it) and what its record rings take now if they hold what the
 * stream's hold, ring for ring (both double from a power of 2: a stalled
 * mapping's, holding every record, take just that), which the lagged figure
 * would see a doubling late.
 */
static uint64_t observer_bytes(struct sim *s)
{
    uint64_t lagged = 0;
    uint64_t mirror = stm_ring_bytes(s->stream) / sizeof(struct stm_record) * OBS_RECORD_BYTES;
    if (s->syncs >= OBS_BYTES_LAG)
        while (!obs_bytes_at(s->obs, s->syncs - OBS_BYTES_LAG, &lagged) && s->relayed)
            s->relay.flush(s->relay.ctx);
    return lagged > mirror ? lagged : mirror;
}

/* The message table's ring, as a figure of the calls (msg_budget_bytes),
 * for the same reason: its entries may be on the relay's thread. */
static uint64_t message_bytes(struct sim *s)
{
    uint64_t bytes = 0;
    while (!msg_budget_bytes(s->msgs, s->syncs, &bytes) && s->relayed)
        s->relay.flush(s->relay.ctx);
    return bytes;
}

/* The tables that grow with what is in flight (the stream's record rings,
 * the message table, the observer's) would pass the budget when they next
 * double: the run stops now, with its log whole, rather than when the
 * kernel kills it. */
static bool over_budget(struct sim *s)
{
    uint64_t held = stm_ring_bytes(s->stream) + message_bytes(s) + observer_bytes(s);
    if (!s->memory_budget || 2 * held <= s->memory_budget)
        return false;
    snprintf(s->failure, sizeof s->failure, "at %.3f s of virtual time the records held in the stream "
             "and the messages in flight take %.0f MiB, and would pass the run's memory budget of %.0f "
             "MiB when their tables next double (model.memory_limit): the mapping is not keeping up",
             (double)eng_now(s->e) / ENG_US_PER_SEC, (double)held / 1048576,
             (double)s->memory_budget / 1048576);
    return true;
}

/*
 * A run stopped early (interrupted, or its log failed) settles its fates in
 * memory, for the summary (finish), but logs no message row for what was
 * still in flight: a message has a row once its fate is final, and "pending"
 * is final only at the end of a complete run.  So an interrupted run's log is
 * that of a process killed at the same point, and stopping costs little
 * however many messages are in flight.
 */
enum sim_status sim_run(struct sim *s, const volatile sig_atomic_t *interrupt,
                        sim_progress_fn progress, void *progress_ctx)
{
    int64_t end = s->cfg->duration_us;
    enum sim_status status = SIM_COMPLETE;
    if (s->cfg->function.handler && !fn_real(s->fn)) {
        s->log.per_record = false;
        msg_log_off(s->msgs);
        finish(s, false);
        return SIM_FAILED;   /* a real handler's scenario without its backend */
    }
    for (;;) {
        s->events += eng_run_bounded(s->e, end, SIM_EVENTS_PER_SYNC, interrupt);
        bool done = eng_next_at(s->e) > end;
        /* An interrupt may also have stopped the engine: a real handler's
         * answer it no longer waited for. */
        if (s->log.ops->failed(s->log.ctx))
            status = SIM_FAILED;
        else if (interrupt && *interrupt && (!done || eng_stopped(s->e)))
            status = SIM_INTERRUPTED;
        else if (eng_stopped(s->e) || over_budget(s))
            status = SIM_FAILED;
        s->reached_us = done && status == SIM_COMPLETE ? end : eng_now(s->e);
        if (done || status != SIM_COMPLETE)
            break;
        if (s->log.ops->sync) {
            s->syncs++;   /* the observer and the message table count them too: over_budget */
            msg_sync(s->msgs);
            s->log.ops->sync(s->log.ctx, s->reached_us);
        }
        if (progress) {
            struct stm_stats st;
            stm_stats(s->stream, &st);
            progress(progress_ctx, s->reached_us, end, st.records_written);
        }
    }
    if (status != SIM_COMPLETE) {
        s->log.per_record = false;
        msg_log_off(s->msgs);
    }
    finish(s, status == SIM_COMPLETE);
    return status;
}

void sim_summary(struct sim *s, struct sim_summary *out)
{
    *out = (struct sim_summary){ .simulated_us = s->reached_us, .events = s->events };
    out->messages = msg_created(s->msgs);
    msg_counts(s->msgs, out->fates);
    out->producer_duplicates = msg_duplicated(s->msgs);
    for (size_t i = 0; i < s->n_producers; i++) {
        struct prd_stats ps;
        prd_stats(s->producers[i], &ps);
        out->put_requests += ps.requests;
        out->put_entries_failed += ps.entries_failed;
        out->put_resent += ps.resent;
    }
    stm_stats(s->stream, &out->stream);
    esm_stats(s->esm, &out->mapping);
    out->peak_concurrency = fn_peak(s->fn);
    /* One definition per figure: what the observer computes replaces the
     * mapping's own counters (report's definitions, over what was logged). */
    const struct obs_figures *f = obs_figures(s->obs);
    out->observed = f;
    for (int o = 0; o < OUTCOME_COUNT; o++)
        out->mapping.invocations[o] = f->invocations[o];
    out->mapping.deliveries = f->deliveries;
    out->mapping.redelivered = f->redelivered_records;
    out->mapping.reprocessed = f->reprocessed_records;
    out->mapping.order_violations = f->order_by_sequence;
    out->mapping.discards = f->discard_messages[0] + f->discard_messages[1];
    out->mapping.discarded_records = f->discard_records[0] + f->discard_records[1];
    out->mapping.refused = f->oversized;
    out->mapping.read_delay_mean_ms = f->read_delay_mean_ms;
    out->mapping.read_delay_max_ms = f->read_delay_max_ms;
    out->mapping.read_throttles = f->read_throttles;
    out->producer_duplicates = f->producer_duplicates;
}

const struct obs_figures *sim_observed(const struct sim *s)
{
    return obs_failed(s->obs) ? NULL : obs_figures(s->obs);
}

#ifdef ESMSIM_INVARIANTS
struct esm *sim_mapping(struct sim *s)
{
    return s->esm;
}
#endif
