/*
 * sim.c - wires one simulation together and runs its clock.
 *
 * Construction order matters only for seeding names, never for draws: every
 * component gets its own random stream from the scenario seed and its name.
 */
#include <stdlib.h>

#include "engine.h"
#include "function.h"
#include "keytab.h"
#include "mapping.h"
#include "msgtab.h"
#include "producer.h"
#include "scenario.h"
#include "sim.h"
#include "stream.h"

/* Virtual time between checks of the interrupt flag and the log. */
#define SLICE_US (10 * ENG_US_PER_SEC)

struct sim {
    const struct scenario *scn;
    const struct slog *log;
    struct eng *e;
    struct keytab *keys;
    struct stm *stream;
    struct msgtab *msgs;
    struct fn *fn;
    struct esm *esm;
    struct prd **producers;    /* scenario producers, then the explicit records' */
    size_t n_producers;
    uint64_t events;
    int64_t reached_us;        /* virtual time the run got to */
    bool finished;
};

/* ---- the schedule (R16) ------------------------------------------------- */

/* arg: the index of the scheduled change. */
static void on_function_change(void *ctx, uint64_t arg)
{
    struct sim *s = ctx;
    fn_update(s->fn, s->scn->schedule[arg].function);
}

static void on_mapping_change(void *ctx, uint64_t arg)
{
    struct sim *s = ctx;
    esm_update(s->esm, s->scn->schedule[arg].mapping);
}

/* A function change applies at its time (it models what the function does,
 * e.g. a dependency that goes down); a mapping change after the delay AWS
 * takes to apply an UpdateEventSourceMapping. */
static int schedule_changes(struct sim *s)
{
    const struct scenario *scn = s->scn;
    for (size_t i = 0; i < scn->n_schedule; i++) {
        const struct scn_change *ch = &scn->schedule[i];
        if (ch->function && eng_schedule(s->e, ch->at_us, ENG_CLASS_TOPOLOGY,
                                         on_function_change, s, i) < 0)
            return -1;
        if (ch->mapping && eng_schedule(s->e, ch->at_us + scn->model.mapping_update_delay_us,
                                        ENG_CLASS_TOPOLOGY, on_mapping_change, s, i) < 0)
            return -1;
    }
    return 0;
}

/* ---- life cycle ------------------------------------------------------------ */

struct sim *sim_create(const struct scenario *scn, const struct slog *log,
                       char *err, size_t errlen)
{
    struct sim *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->scn = scn;
    s->log = log;
    s->e = eng_create(scn->seed);
    s->keys = keytab_create();
    s->producers = calloc(scn->n_producers + 1, sizeof *s->producers);
    if (!s->e || !s->keys || !s->producers) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->stream = stm_create(s->e, &scn->stream, s->keys, log, err, errlen);
    if (!s->stream)
        goto fail;
    if (stm_set_arn(s->stream, scn->mapping.event_source_arn) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->msgs = msg_create(log, s->keys);
    if (!s->msgs) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->fn = fn_create(s->e, &scn->function, s->keys, s->stream, err, errlen);
    if (!s->fn)
        goto fail;
    s->esm = esm_create(s->e, scn, s->stream, s->fn, s->msgs, s->keys, log, err, errlen);
    if (!s->esm)
        goto fail;
    if (schedule_changes(s) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < scn->n_producers; i++) {
        s->producers[s->n_producers] = prd_create(s->e, &scn->producers[i], s->stream,
                                                  s->keys, s->msgs, err, errlen);
        if (!s->producers[s->n_producers++])
            goto fail;
    }
    if (scn->n_records > 0) {
        s->producers[s->n_producers] = prd_create_explicit(s->e, scn->records, scn->n_records,
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

void sim_set_backend(struct sim *s, const struct fn_backend *b)
{
    fn_set_backend(s->fn, b);
}

void sim_destroy(struct sim *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_producers; i++)
        prd_destroy(s->producers[i]);
    free(s->producers);
    esm_destroy(s->esm);
    fn_destroy(s->fn);
    msg_destroy(s->msgs);
    stm_destroy(s->stream);
    keytab_destroy(s->keys);
    eng_destroy(s->e);
    free(s);
}

/* Settle every fate: records still in the stream, then messages. */
static void finish(struct sim *s)
{
    if (s->finished)
        return;
    s->finished = true;
    esm_finish(s->esm);
    msg_finish(s->msgs);
    for (size_t i = 0; i < s->n_producers; i++)
        prd_finish(s->producers[i]);
}

enum sim_status sim_run(struct sim *s, volatile sig_atomic_t *interrupt,
                        sim_progress_fn progress, void *progress_ctx)
{
    int64_t end = s->scn->duration_us;
    enum sim_status status = SIM_COMPLETE;
    int64_t t = 0;
    if (s->scn->function.handler && !fn_real(s->fn)) {
        finish(s);
        return SIM_FAILED;   /* a real handler's scenario without its backend */
    }
    do {
        t = t + SLICE_US < end ? t + SLICE_US : end;
        s->events += eng_run_until(s->e, t);
        s->reached_us = t;
        if (progress) {
            struct stm_stats st;
            stm_stats(s->stream, &st);
            progress(progress_ctx, t, end, st.records_written);
        }
        /* An interrupt may also have stopped the engine: a real handler's
         * answer it no longer waited for. */
        if (s->log->ops->failed(s->log->ctx))
            status = SIM_FAILED;
        else if (interrupt && *interrupt)
            status = SIM_INTERRUPTED;
        else if (eng_stopped(s->e))
            status = SIM_FAILED;
    } while (t < end && status == SIM_COMPLETE);
    finish(s);
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
}
