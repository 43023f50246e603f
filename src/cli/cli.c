/*
 * cli.c - the esmsim command line (SPEC section 5): `run` and `check`.
 *
 * This is where the pieces meet: the scenario loader turns the file into
 * structs, the run log is the simulation's sink (with the event dump on its
 * event hook, --dump-events), and the summary is printed for a person.  The
 * wall clock is read here only, for the speed figure and the progress line;
 * it never reaches the simulation.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "compare.h"
#include "dump.h"
#include "expect.h"
#include "fmt.h"
#include "footprint.h"
#include "import.h"
#include "lambda_event.h"
#include "logs.h"
#include "merge.h"
#include "plot.h"
#include "realfn.h"
#include "report.h"
#include "runlog.h"
#include "scenario.h"
#include "sim.h"
#include "summary.h"
#include "sweep.h"
#include "trace.h"

#define EXIT_BAD_INPUT 2
#define DEFAULT_DUMP_LIMIT 10000

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

double cli_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
    fprintf(out,
          "usage: esmsim run SCENARIO [-o RUN.db] [--seed N] [--set path=value ...]\n"
          "                [--no-record-tables] [--dump-events DIR [--dump-limit N]] [--quiet]\n"
          "       esmsim check SCENARIO [--set path=value ...]\n"
          "       esmsim plot RUN.db [--run ID] [-o FILE.svg|FILE.png] [--chart CHART] (plot --help)\n"
          "       esmsim report RUN.db [--run ID] [--json]   (report --help)\n"
          "       esmsim sweep SCENARIO --vary path=v1,v2,... [--vary ...] [-j N] [-o SWEEP.db]\n"
          "                (sweep --help)\n"
          "       esmsim merge OUT.db IN.db...   (append the runs of run logs to OUT.db)\n"
          "       esmsim trace RUN.db --key KEY | --sequence N [--shard ID] [--run ID]\n"
          "                (the timeline of a partition key or a record: trace --help)\n"
          "       esmsim logs RUN.db [--invocation N] [--key KEY] [--run ID]\n"
          "                (what a real handler printed: logs --help)\n"
          "       esmsim import FILE... -o SCENARIO.json   (a scenario from AWS CLI outputs,\n"
          "                templates, terraform and CloudWatch metric data: import --help)\n"
          "       esmsim compare RUN.db OBSERVED.json... [--json] [-o CHART.svg|png]\n"
          "                (a run beside CloudWatch's get-metric-data: compare --help)\n"
          "       esmsim --version\n"
          "\n"
          "run    simulate the scenario, write the run log (SQLite, default run.db;\n"
          "       a database may hold many runs) and print a summary\n"
          "check  validate the scenario without running it\n"
          "\n"
          "--set path=value        override a scenario key, e.g. --set event_source_mapping.BatchSize=500\n"
          "--seed N                the same as --set seed=N\n"
          "--no-record-tables      do not write messages, records and deliveries (huge runs)\n"
          "--dump-events DIR       write each invocation's Lambda event and the function's response\n"
          "                        to DIR/NNNNNNNNN.event.json and .response.json, listed in\n"
          "                        DIR/index.jsonl (DIR is created if missing)\n"
          "--dump-limit N          dump the first N invocations only (default %d)\n"
          "exit status: 0 success, 1 an expectation failed or the run or dump could not be\n"
          "             written in full, 2 bad input\n", DEFAULT_DUMP_LIMIT);
}

struct options {
    const char *command;
    const char *scenario;
    const char *output;
    const char **overrides;    /* the --set values, then --seed's: at most argc of them (owned) */
    size_t n_overrides;
    char *seed_override;       /* "seed=N" (owned), or NULL */
    bool no_record_tables;
    bool quiet;
    const char *dump_dir;      /* --dump-events, NULL: no dump */
    uint64_t dump_limit;       /* --dump-limit, invocations */
};

/* A positive decimal integer, all of text; false for anything else. */
static bool parse_positive(const char *text, uint64_t *out)
{
    if (text[0] < '0' || text[0] > '9')   /* strtoull would take "-1" and " 1" */
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v == 0)
        return false;
    *out = v;
    return true;
}

/* A file name option's value: an empty one is bad input, not "the default"
 * (SQLite would take "" for a temporary database and the run would vanish). */
static bool named(const struct options *o, const char *option, const char *value)
{
    if (value[0])
        return true;
    fprintf(stderr, "esmsim %s: %s takes a file name, not an empty string\n", o->command, option);
    return false;
}

/* The options of run and check into o; -1 (a message printed) on bad
 * input, 1 for --help.  o owns what options_free() releases. */
static int parse_args(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .output = "run.db", .dump_limit = DEFAULT_DUMP_LIMIT };
    bool dump_limit_given = false;
    o->command = argv[1];
    if (!(o->overrides = calloc((size_t)argc, sizeof *o->overrides))) {
        fprintf(stderr, "esmsim %s: out of memory\n", o->command);
        return -1;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            return 1;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has_value) {
            if (!named(o, a, o->output = argv[++i]))
                return -1;
        } else if (!strcmp(a, "--set") && has_value) {
            o->overrides[o->n_overrides++] = argv[++i];   /* fewer than argc */
        } else if (!strcmp(a, "--seed") && has_value) {
            free(o->seed_override);
            size_t n = strlen(argv[++i]) + sizeof "seed=";
            if (!(o->seed_override = malloc(n))) {
                fprintf(stderr, "esmsim %s: out of memory\n", o->command);
                return -1;
            }
            snprintf(o->seed_override, n, "seed=%s", argv[i]);
        } else if (!strcmp(a, "--dump-events") && has_value) {
            if (!named(o, a, o->dump_dir = argv[++i]))
                return -1;
        } else if (!strcmp(a, "--dump-limit") && has_value) {
            if (!parse_positive(argv[++i], &o->dump_limit)) {
                fprintf(stderr, "esmsim %s: --dump-limit takes a positive integer, not '%s'\n",
                        o->command, argv[i]);
                return -1;
            }
            dump_limit_given = true;
        } else if (!strcmp(a, "--no-record-tables")) {
            o->no_record_tables = true;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "esmsim %s: unknown option or missing value: %s\n", o->command, a);
            return -1;
        } else if (!o->scenario) {
            o->scenario = a;
        } else {
            fprintf(stderr, "esmsim %s: unexpected argument: %s\n", o->command, a);
            return -1;
        }
    }
    /* --seed applies last, whatever its place among the --set options; the
     * array has room: --seed and its value are two of argc's entries. */
    if (o->seed_override)
        o->overrides[o->n_overrides++] = o->seed_override;
    if (!o->scenario) {
        fprintf(stderr, "esmsim %s: missing SCENARIO\n", o->command);
        return -1;
    }
    if (dump_limit_given && !o->dump_dir) {
        fprintf(stderr, "esmsim %s: --dump-limit without --dump-events\n", o->command);
        return -1;
    }
    return 0;
}

static void options_free(struct options *o)
{
    free(o->overrides);
    free(o->seed_override);
}

static struct scenario *load(const struct options *o)
{
    char err[1024];
    struct scenario *scn = scn_load(o->scenario, o->overrides, o->n_overrides, err, sizeof err);
    if (!scn)
        fprintf(stderr, "esmsim: %s\n", err);
    return scn;
}

/* ---- the summary -------------------------------------------------------- */


/* A virtual duration for people: "2h", "1h30m", "45.2s", "250ms". */
static const char *span(int64_t us, char buf[32])
{
    int64_t s = us / 1000000;
    if (us < 1000000)
        snprintf(buf, 32, "%" PRId64 "ms", us / 1000);
    else if (s < 60)
        snprintf(buf, 32, "%.1fs", (double)us / 1e6);
    else if (s < 3600)
        snprintf(buf, 32, s % 60 ? "%" PRId64 "m%" PRId64 "s" : "%" PRId64 "m", s / 60, s % 60);
    else
        snprintf(buf, 32, s % 3600 / 60 ? "%" PRId64 "h%" PRId64 "m" : "%" PRId64 "h",
                 s / 3600, s % 3600 / 60);
    return buf;
}

static void print_summary(FILE *out, const struct scenario *scn, const struct sim_summary *sum,
                          double wall, const char *db, int64_t run_id, enum sim_status status,
                          struct rfn *handler)
{
    char a[32], b[32], c[32], d[32];
    const struct esm_stats *m = &sum->mapping;

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(out, "%s (seed %" PRIu64 "): %s simulated in %.2f s wall, %.2f M records/s,"
            " peak memory %ld MiB%s\n",
            scn->name, scn->cfg.seed, span(sum->simulated_us, a), wall,
            wall > 0 ? (double)sum->stream.records_written / wall / 1e6 : 0.0,
            ru.ru_maxrss / 1024, status == SIM_COMPLETE ? "" : "  [INCOMPLETE]");

    fprintf(out, "\nmessages     %12s ", fmt_count((int64_t)sum->messages, a));
    for (int f = 0; f < FATE_COUNT; f++)
        if (sum->fates[f])
            fprintf(out, "  %s %s", fate_name((enum fate)f), fmt_count((int64_t)sum->fates[f], a));
    if (scn->cfg.stream.type == CFG_STREAM_DYNAMODB)
        fprintf(out, "\nrecords      %12s   written to the stream: INSERT %s, MODIFY %s, REMOVE %s\n",
                fmt_count((int64_t)sum->stream.records_written, a),
                fmt_count((int64_t)sum->stream.item_events[LEV_DDB_INSERT], b),
                fmt_count((int64_t)sum->stream.item_events[LEV_DDB_MODIFY], c),
                fmt_count((int64_t)sum->stream.item_events[LEV_DDB_REMOVE], d));
    else
        fprintf(out, "\nrecords      %12s   written to the stream; %s PutRecords entries throttled, %s resent\n",
                fmt_count((int64_t)sum->stream.records_written, a), fmt_count((int64_t)sum->put_entries_failed, b),
                fmt_count((int64_t)sum->put_resent, c));
    if (scn->cfg.stream.type == CFG_STREAM_KINESIS && scn->cfg.stream.capacity_mode == CFG_CAPACITY_ON_DEMAND)
        fprintf(out, "on demand    %12s   shards split to add capacity: %u shards at the start, %llu open at "
                "the end\n", fmt_count((int64_t)sum->stream.on_demand_splits, a), scn->cfg.stream.shards,
                (unsigned long long)(scn->cfg.stream.shards + sum->stream.on_demand_splits));
    if (sum->stream.read_throttles)
        fprintf(out, "GetRecords   %12s   calls, %s throttled "
                "(the shard's reads are shared with %u other readers)\n",
                fmt_count((int64_t)sum->stream.reads + sum->stream.read_throttles, a),
                fmt_count((int64_t)sum->stream.read_throttles, b), scn->cfg.stream.other_consumers);

    uint64_t invocations = 0;
    for (int o = 0; o < OUTCOME_COUNT; o++)
        invocations += m->invocations[o];
    fprintf(out, "invocations  %12s ", fmt_count((int64_t)invocations, a));
    for (int o = 0; o < OUTCOME_COUNT; o++)
        if (m->invocations[o])
            fprintf(out, "  %s %s", outcome_name((enum outcome)o), fmt_count((int64_t)m->invocations[o], a));
    fprintf(out, "   (peak concurrency %u)\n", sum->peak_concurrency);

    fprintf(out, "duplicates   %12s   records delivered more than once (consumer redeliveries)\n",
            fmt_count((int64_t)m->redelivered, a));
    if (m->reprocessed)
        fprintf(out, "             %12s   records the function handled more than once\n",
                fmt_count((int64_t)m->reprocessed, a));
    fprintf(out, "             %12s   messages written more than once (producer duplicates)\n",
            fmt_count((int64_t)sum->producer_duplicates, a));
    if (m->refused)   /* issue 11 item 2 */
        fprintf(out, "oversized    %12s   invocations refused: an event over 6,291,456 bytes"
                " (RequestEntityTooLargeException)\n", fmt_count((int64_t)m->refused, a));
    fprintf(out, "discards     %12s   OnFailure message%s, %s record%s%s%s\n",
            fmt_count((int64_t)m->discards, a), m->discards == 1 ? "" : "s",
            fmt_count((int64_t)m->discarded_records, b), m->discarded_records == 1 ? "" : "s",
            scn->cfg.mapping.on_failure_destination ? " sent to " : " (no OnFailure destination: dropped)",
            scn->cfg.mapping.on_failure_destination ? scn->cfg.mapping.on_failure_destination : "");
    if (m->order_violations)
        fprintf(out, "order        %12s   records delivered after a later record of their key\n",
                fmt_count((int64_t)m->order_violations, a));
    if (m->windows)
        fprintf(out, "windows      %12s   tumbling windows closed (final states in the windows table)\n",
                fmt_count((int64_t)m->windows, a));
    if (m->bisects)
        fprintf(out, "bisects      %12s   batches split in halves after a function error (R8)\n",
                fmt_count((int64_t)m->bisects, a));
    if (m->expired_records || m->missed_records)
        fprintf(out, "lost         %12s   records expired by retention, %s skipped by the starting position\n",
                fmt_count((int64_t)m->expired_records, a), fmt_count((int64_t)m->missed_records, b));

    fprintf(out, "read delay   %9.0f ms mean, %.0f ms max, from arrival to GetRecords (propagation)\n",
            m->read_delay_mean_ms, m->read_delay_max_ms);
    if (handler)   /* SPEC section 4 */
        fprintf(out, "handler      %12s   processes started (%s); durations %s\n",
                fmt_count((int64_t)rfn_processes(handler), a), scn->cfg.function.handler->command[0],
                scn->cfg.function.handler->measured ? "measured: this run is NOT reproducible"
                                                : "from the model: reproducible");
    fprintf(out, "\nIteratorAge (ms)        invocations          p50          p99          max\n");
    for (size_t i = 0; i < m->n_shards; i++) {
        const struct esm_shard_stats *s = &m->shards[i];
        fprintf(out, "%-22s %12s %12.0f %12.0f %12.0f\n", s->shard_id, fmt_count((int64_t)s->invocations, a),
                s->age_p50_ms, s->age_p99_ms, s->age_max_ms);
    }
    fprintf(out, "\nrun log: %s (run %" PRId64 ")\n", db, run_id);
}

/* ---- progress on a terminal ------------------------------------------ */

struct progress {
    bool on;
    double started, last;
};

static void show_progress(void *ctx, int64_t now_us, int64_t end_us, uint64_t records)
{
    struct progress *p = ctx;
    double now = cli_wall_seconds();
    if (!p->on || now - p->last < 0.25)
        return;
    p->last = now;
    char a[32], b[32], c[32];
    fprintf(stderr, "\r[%3.0f%%] %s of %s simulated, %s records  ",
            100.0 * (double)now_us / (double)end_us, span(now_us, a), span(end_us, b),
            fmt_count((int64_t)records, c));
}

/* ---- commands ---------------------------------------------------------- */

/* The real handler's processes, checked before anything is written (SPEC
 * section 4): NULL with the error printed. */
static struct rfn *open_handler(const struct scenario *scn)
{
    char err[1024];
    struct rfn *handler = rfn_create(scn, &interrupted, err, sizeof err);
    if (!handler)
        fprintf(stderr, "esmsim: %s: %s\n", scn->path, err);
    return handler;
}

static int cmd_check(const struct options *o)
{
    struct scenario *scn = load(o);
    if (!scn)
        return EXIT_BAD_INPUT;
    /* a handler's program must be there and runnable (none is started) */
    struct rfn *handler = scn->cfg.function.handler ? open_handler(scn) : NULL;
    rfn_destroy(handler);
    if (scn->cfg.function.handler && !handler) {
        scn_free(scn);
        return EXIT_BAD_INPUT;
    }
    printf("%s: ok: %s%s%s\n", o->scenario, scn->name, scn->description ? ": " : "",
           scn->description ? scn->description : "");
    struct fpt_estimate keeping_up, stalled;
    char need[32], most[32], allowed[32];
    fpt_estimate(scn, FPT_KEEPING_UP, &keeping_up);
    fpt_estimate(scn, FPT_STALLED, &stalled);
    printf("memory: %s if the mapping keeps up, up to %s if it stops reading",
           fmt_bytes(keeping_up.total, need), fmt_bytes(stalled.total, most));
    if (scn->cfg.model.memory_limit)
        printf(" (allowed: %s, %s%s)", fmt_bytes((double)scn->cfg.model.memory_limit, allowed),
               scn->cfg.model.memory_limit_from,
               stalled.total > (double)scn->cfg.model.memory_limit ? "; a run that gets there is stopped"
                                                                    : "");
    putchar('\n');
    scn_free(scn);
    return 0;
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
    fpt_estimate(scn, FPT_STALLED, &est);
    double rest = est.total - est.bytes[FPT_MESSAGES] - est.bytes[FPT_RECORDS];
    double budget = (double)scn->cfg.model.memory_limit - rest;
    return budget >= 1 ? (uint64_t)budget : 1;
}

int cli_simulate(struct cli_run *r, const struct scenario *scn, const char *db,
                 struct dump *dump, bool progress)
{
    return cli_simulate_with(r, scn, db, dump, progress, NULL);
}

int cli_simulate_with(struct cli_run *r, const struct scenario *scn, const char *db,
                      struct dump *dump, bool progress, struct rfn *handler)
{
    char err[1024];
    *r = (struct cli_run){ 0 };
    if (scn->cfg.function.handler && !handler && !(handler = r->handler = open_handler(scn)))
        return EXIT_BAD_INPUT;
    r->rl = runlog_open(db, err, sizeof err);
    if (!r->rl || runlog_begin_run(r->rl, scn, scn->cfg.seed, scn->per_record_tables, &r->run_id,
                                   err, sizeof err) < 0) {
        fprintf(stderr, "esmsim: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    r->sink = runlog_sink(r->rl);
    if (dump) {
        r->sink.event = dump_event;
        r->sink.event_ctx = dump;
    }
    r->sim = sim_create(&scn->cfg, &r->sink, err, sizeof err);
    if (!r->sim) {   /* out of memory: the loader validated everything else */
        fprintf(stderr, "esmsim: %s: %s\n", scn->path, err);
        runlog_end_run(r->rl, false, 0, 0, NULL, err, sizeof err);
        return 1;
    }
    sim_set_memory_budget(r->sim, memory_budget(scn));
    if (handler) {
        struct fn_backend backend = rfn_backend(handler);
        rfn_set_log(handler, &r->sink);
        sim_set_backend(r->sim, &backend);
    }

    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    runlog_set_interrupt(r->rl, &interrupted);

    struct progress prog = { .on = progress };
    prog.started = prog.last = cli_wall_seconds();
    r->status = sim_run(r->sim, &interrupted, show_progress, &prog);
    r->wall = cli_wall_seconds() - prog.started;
    if (prog.on)
        fputs("\r\033[K", stderr);

    sim_summary(r->sim, &r->sum);
    if (handler)   /* the processes end; what they printed last is logged */
        rfn_finish(handler, r->sum.simulated_us);
    char *summary = summary_json(&r->sum);
    int rc = runlog_end_run(r->rl, r->status == SIM_COMPLETE, r->sum.simulated_us, r->wall,
                            summary, err, sizeof err);
    cJSON_free(summary);
    if (rc < 0) {
        fprintf(stderr, "esmsim: %s%s\n", r->status == SIM_FAILED ? "run stopped: " : "", err);
        return interrupted ? 130 : 1;
    }
    return 0;
}

void cli_run_close(struct cli_run *r)
{
    rfn_destroy(r->handler);   /* every handler process killed and reaped */
    sim_destroy(r->sim);
    runlog_close(r->rl);
    r->handler = NULL;
    r->sim = NULL;
    r->rl = NULL;
}

static int cmd_run(const struct options *o)
{
    char err[1024];
    int rc = EXIT_BAD_INPUT;
    struct cli_run r = { 0 };
    struct dump *dump = NULL;
    struct rfn *handler = NULL;
    struct scenario *scn = load(o);
    if (!scn)
        return EXIT_BAD_INPUT;
    if (o->no_record_tables)
        scn->per_record_tables = false;
    /* Before the dump and the run log: a handler that cannot run is bad input. */
    if (scn->cfg.function.handler && !(handler = open_handler(scn)))
        goto out;

    /* Before the run log: a directory that cannot be used is bad input, and
     * nothing is run. */
    if (o->dump_dir && !(dump = dump_open(o->dump_dir, o->dump_limit, err, sizeof err))) {
        fprintf(stderr, "esmsim: --dump-events: %s\n", err);
        goto out;
    }
    rc = cli_simulate_with(&r, scn, o->output, dump, !o->quiet && isatty(STDERR_FILENO), handler);
    if (rc != 0)
        goto out;
    uint64_t dumped = dump ? dump_written(dump) : 0, not_dumped = dump ? dump_skipped(dump) : 0;
    char dump_err[1024];
    int dump_rc = dump_close(dump, dump_err, sizeof dump_err);
    dump = NULL;

    if (!o->quiet) {
        print_summary(stdout, scn, &r.sum, r.wall, o->output, r.run_id, r.status, handler);
        if (o->dump_dir && dump_rc == 0) {
            char a[32], b[32];
            printf("events: %s invocations written to %s", fmt_count((int64_t)dumped, a), o->dump_dir);
            if (not_dumped)
                printf(" (%s more not written: --dump-limit)", fmt_count((int64_t)not_dumped, b));
            putchar('\n');
        }
    }
    switch (r.status) {
    case SIM_COMPLETE:
        rc = expect_check(scn->expect, scn->n_expect, &r.sum, stderr) ? 1 : 0;
        if (rc)
            fprintf(stderr, "esmsim: %s: the run violates its expect block\n", o->scenario);
        break;
    case SIM_INTERRUPTED:
        fprintf(stderr, "esmsim: interrupted: %s run %" PRId64 " is marked incomplete\n",
                o->output, r.run_id);
        rc = 130;
        break;
    case SIM_FAILED:
        fprintf(stderr, "esmsim: run stopped: %s\n",
                runlog_error(r.rl) ? runlog_error(r.rl)
                : handler && rfn_error(handler) ? rfn_error(handler)
                : sim_failure(r.sim) ? sim_failure(r.sim) : "out of memory");
        rc = 1;
        break;
    }
    if (dump_rc != 0) {
        fprintf(stderr, "esmsim: --dump-events: %s (%" PRIu64 " invocations written)\n",
                dump_err, dumped);
        if (rc == 0)
            rc = 1;
    }
out:
    dump_close(dump, NULL, 0);   /* still open if the run log failed, whose error was said */
    cli_run_close(&r);
    rfn_destroy(handler);
    scn_free(scn);
    return rc;
}

/* Commands that analyse run logs parse their own arguments (argv[0] is the
 * command's name); each returns an exit status (0, 1, or 2 for bad input). */
struct command {
    const char *name;
    int (*main)(int argc, char **argv);
};

static const struct command commands[] = {
    { "plot", plot_main },
    { "report", report_main },
    { "sweep", sweep_main },
    { "merge", merge_main },
    { "trace", trace_main },
    { "logs", logs_main },
    { "import", import_main },
    { "compare", compare_main },
    { NULL, NULL }
};

/* Every command, for the message about an unknown one. */
static const char COMMAND_LIST[] = "run, check, report, trace, plot, sweep, merge, logs, import, "
                                   "compare, help, version";

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("esmsim %s\n", ESMSIM_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    for (const struct command *c = commands; c->name; c++)
        if (!strcmp(argv[1], c->name))
            return c->main(argc - 1, argv + 1);
    /* The command before its options: `esmsim replay --help` is about an
     * unknown command, not an unknown option. */
    if (strcmp(argv[1], "run") != 0 && strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "esmsim: unknown command '%s' (the commands are: %s; "
                "esmsim help shows how to use them)\n", argv[1], COMMAND_LIST);
        return EXIT_BAD_INPUT;
    }
    struct options o;
    int rc = parse_args(argc, argv, &o);
    if (rc > 0) {
        usage(stdout);   /* run --help, check --help */
        rc = 0;
    } else if (rc == 0)
        rc = !strcmp(o.command, "run") ? cmd_run(&o) : cmd_check(&o);
    else
        rc = EXIT_BAD_INPUT;
    options_free(&o);
    return rc;
}
