/*
 * simulation.c - one simulation into a run log: see simulation.h.
 *
 * This is where the pieces meet: the run log is the simulation's sink (with
 * the event dump on its event hook, --dump-events), a real handler's
 * processes its function's backend, SIGINT and SIGTERM stop it between two
 * events, and its summary goes into the runs row (runs.summary_json).
 */
#include "simulation.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dump.h"
#include "exit.h"
#include "fmt.h"
#include "footprint.h"
#include "function.h"
#include "logthread.h"
#include "realfn.h"
#include "runlog.h"
#include "scenario.h"
#include "stopsig.h"
#include "summary.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

void simulation_catch_signals(void)
{
    stopsig_catch(on_signal, NULL);
}

double simulation_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Progress on a terminal. */
struct progress {
    bool on;
    double started, last;
};

static void show_progress(void *ctx, int64_t now_us, int64_t end_us, uint64_t records)
{
    struct progress *p = ctx;
    double now = simulation_wall_seconds();
    if (!p->on || now - p->last < 0.25)
        return;
    p->last = now;
    char a[32], b[32], c[32];
    fprintf(stderr, "\r[%3.0f%%] %s of %s simulated, %s records  ",
            100.0 * (double)now_us / (double)end_us, fmt_span(now_us, a), fmt_span(end_us, b),
            fmt_count((int64_t)records, c));
}

struct rfn *simulation_handler(const struct scenario *scn)
{
    char err[1024], path[128], set[256];
    const char *key;
    struct rfn *handler = rfn_create(scn, &interrupted, &key, err, sizeof err);
    if (!handler) {   /* said as the loader says its own, with the --set that wrote the key */
        snprintf(path, sizeof path, "$.%s", key);
        const char *by = scn_override_of(scn, path, set, sizeof set);
        fprintf(stderr, "esmsim: %s: %s%s%s%s: %s\n", scn->path, by ? "--set " : "", by ? by : "",
                by ? ": " : "", path, err);
    }
    return handler;
}

/* runs.summary_json: every count of the summary, by the names of the expect
 * block ({"messages": 35684, "messages_processed": ...}), so that a run log
 * keeps the summary even without its per-record tables (sweep reads it);
 * NULL when out of memory (the column stays empty). */
static char *summary_json(const struct sim_summary *sum)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;
    for (const char *const *m = summary_names(); ok && *m; m++)
        ok = cJSON_AddNumberToObject(o, *m, summary_value(*m, sum)) != NULL;
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

/* What model.memory_limit leaves to the tables that grow with what is in
 * flight (records held, messages unsettled): the limit less the rest of the
 * run's estimate (keys, requests, shards, the scenario, the program), which
 * does not depend on whether the mapping keeps up; 0 for no limit.  The
 * loader refused a scenario whose need keeping up is over the limit, so
 * this leaves room for that need at least. */
static uint64_t memory_budget(const struct scenario *scn)
{
    if (!scn->cfg.model.memory_limit)
        return 0;
    struct fpt_estimate est;
    scn_footprint(scn, FPT_STALLED, &est);
    double rest = est.total - est.bytes[FPT_MESSAGES] - est.bytes[FPT_RECORDS];
    double budget = (double)scn->cfg.model.memory_limit - rest;
    return budget >= 1 ? (uint64_t)budget : 1;
}

/* Opening the run log and beginning the run (runlog_open_now), maybe on
 * the run log's thread as its first job: what it needs and what it says. */
struct opening {
    struct runlog *rl;
    const struct scenario *scn;
    int64_t *run_id;
    char err[1024];
};

static int open_run(void *ctx)
{
    struct opening *o = ctx;
    return runlog_open_now(o->rl, o->scn, o->scn->cfg.seed, o->run_id, o->err, sizeof o->err);
}

/* A run log that could not be opened is bad input: nothing is run. */
static int open_failed(const struct opening *o)
{
    fprintf(stderr, "esmsim: %s\n", o->err);
    return EXIT_BAD_INPUT;
}

int simulation_run(struct simulation *r, const struct scenario *scn, const char *db,
                   struct dump *dump, bool progress, struct rfn *handler, unsigned threads)
{
    char err[1024];
    *r = (struct simulation){ 0 };
    simulation_catch_signals();   /* a sweep's run too, whose parent stops it with SIGTERM */
    if (scn->cfg.function.handler && !handler && !(handler = r->handler = simulation_handler(scn)))
        return EXIT_BAD_INPUT;
    struct opening open = { .scn = scn, .run_id = &r->run_id };
    r->rl = open.rl = runlog_open_later(db, scn->per_record_tables, open.err, sizeof open.err);
    if (!r->rl)
        return open_failed(&open);
    runlog_set_interrupt(r->rl, &interrupted);   /* before a writer thread may use rl */
    r->sink = runlog_sink(r->rl);
    if (dump) {
        r->sink.event = dump_event;
        r->sink.event_ctx = dump;
    }
    /* The run log's SQLite on a thread of its own behind the observer's:
     * the rows it writes were a fifth of the observer's thread (issue 15:
     * 320 M of its 1,548 M instructions in 5 minutes of the bench, tables
     * off), the thread every run waited for.  Without a thread (none
     * could start) the observer writes them itself: the same rows.  The
     * thread opens the file first, while this one builds the simulation
     * (2.5-3.3 ms and 1.5-2 ms of the bench's start), which it then waits
     * for before the first event. */
    bool threaded = threads >= 2 && !handler;
    r->rows = threaded ? lgt_create_after(&r->sink, open_run, &open) : NULL;
    if (!r->rows && open_run(&open) != 0)
        return open_failed(&open);
    /* Its chunks are queued by the observer's thread, whose wake-ups cost
     * the simulation nothing: a chunk goes 5 ms after the last, not 100,
     * so that the rows the run's end waits for are a few ms of them, most
     * committed already (runlog.c, runlog_on_idle). */
    if (r->rows)
        lgt_set_early(r->rows, 5);
    r->rows_sink = r->rows ? lgt_sink(r->rows) : r->sink;
    r->sim = sim_create(&scn->cfg, &r->rows_sink, err, sizeof err);
    if (!r->sim) {   /* out of memory: the loader validated everything else */
        if (r->rows && lgt_started(r->rows) != 0)
            return open_failed(&open);
        lgt_finish(r->rows);
        fprintf(stderr, "esmsim: %s: %s\n", scn->path, err);
        runlog_end_run(r->rl, false, 0, 0, NULL, err, sizeof err);
        return EXIT_FAILED;
    }
    sim_set_memory_budget(r->sim, memory_budget(scn));
    /* The observer and the message table on a thread of their own, in
     * front of the run log's; the simulation's thread only makes events.
     * Without a thread (none could be made) they run between events: the
     * same rows.  A real handler's
     * lines are logged from its own calls, between events. */
    if (threaded) {
        struct slog_relay relay = lgt_relay(&r->writer);
        sim_set_relay(r->sim, &relay);
    }
    /* The producers' draws on a thread too, a real handler's runs as well:
     * they touch nothing of the log or the handler. */
    if (threads >= 2)
        sim_draw_ahead(r->sim);
    if (handler) {
        struct fn_backend backend = rfn_backend(handler);
        rfn_set_log(handler, &r->sink);
        sim_set_backend(r->sim, &backend);
    }

    if (r->rows && lgt_started(r->rows) != 0)   /* the run log opened by its thread */
        return open_failed(&open);
    dump_begin(dump);   /* the run log open: the dump's index is this run's */

    struct progress prog = { .on = progress };
    prog.started = prog.last = simulation_wall_seconds();
    /* The rows still queued are part of the run's time: sim_run returns
     * once they are written (the relay detached). */
    r->status = sim_run(r->sim, &interrupted, show_progress, &prog);
    lgt_finish(r->rows);   /* every row in the run log: rl is this thread's again */
    r->wall = simulation_wall_seconds() - prog.started;
    if (prog.on)
        fputs("\r\033[K", stderr);

    sim_summary(r->sim, &r->sum);
    if (handler)   /* the processes end; what they printed last is logged */
        rfn_finish(handler, r->sum.simulated_us);
    /* the observer's figures, for report and plot (not when the run log
     * failed: the rows since its last commit are dropped then) */
    if (sim_observed(r->sim) && !runlog_error(r->rl))
        runlog_write_summary(r->rl, sim_observed(r->sim));
    char *summary = summary_json(&r->sum);
    int rc = runlog_end_run(r->rl, r->status == SIM_COMPLETE, r->sum.simulated_us, r->wall,
                            summary, err, sizeof err);
    cJSON_free(summary);
    if (rc < 0) {
        fprintf(stderr, "esmsim: %s%s\n", r->status == SIM_FAILED ? "run stopped: " : "", err);
        return interrupted ? EXIT_INTERRUPTED : EXIT_FAILED;
    }
    return EXIT_OK;
}

void simulation_close(struct simulation *r)
{
    rfn_destroy(r->handler);   /* every handler process killed and reaped */
    sim_destroy(r->sim);       /* its relay detached: then the thread may go */
    lgt_destroy(r->writer);
    lgt_destroy(r->rows);      /* after the observer's thread, which writes to it */
    runlog_close(r->rl);
    r->handler = NULL;
    r->sim = NULL;
    r->rl = NULL;
    r->writer = NULL;
    r->rows = NULL;
}
