/*
 * run.c - `esmsim run` and `esmsim check` (SPEC section 5): a scenario
 * simulated into a run log (simulation.h) and its summary printed for a
 * person, or only validated.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "commands.h"
#include "dump.h"
#include "exit.h"
#include "expect.h"
#include "fmt.h"
#include "footprint.h"
#include "lambda_event.h"
#include "opt.h"
#include "realfn.h"
#include "runlog.h"
#include "scenario.h"
#include "simulation.h"

#define DEFAULT_DUMP_LIMIT 10000

void run_usage(FILE *out)
{
    fprintf(out,
          "usage: esmsim run SCENARIO [-o RUN.db] [--seed N] [--set path=value ...]\n"
          "                [--no-record-tables] [--dump-events DIR [--dump-limit N]] [--threads N]\n"
          "                [--quiet]\n"
          "       esmsim check SCENARIO [--set path=value ...] [--seed N]\n"
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
          "       esmsim help COMMAND   (the same as COMMAND --help)\n"
          "       esmsim --version\n"
          "\n"
          "run    simulate the scenario, write the run log (SQLite, default run.db;\n"
          "       a database may hold many runs) and print a summary\n"
          "check  validate the scenario without running it\n"
          "\n"
          "-o, --output RUN.db     the run log the run is appended to (default run.db)\n"
          "--set path=value        override a scenario key, e.g. --set event_source_mapping.BatchSize=500\n"
          "--seed N                the same as --set seed=N\n"
          "--no-record-tables      do not write messages, records and deliveries (huge runs)\n"
          "--dump-events DIR       write each invocation's Lambda event and the function's response\n"
          "                        to DIR/NNNNNNNNN.event.json and .response.json, listed in\n"
          "                        DIR/index.jsonl (DIR is created if missing)\n"
          "--dump-limit N          dump the first N invocations only (default %d)\n"
          "--threads N             1: compute the figures, write the run log and draw the producers'\n"
          "                        arrivals between events; 2 or more (default: the machine's\n"
          "                        cores): a thread of its own computes and writes, another draws\n"
          "                        ahead, the same database\n"
          "-q, --quiet             no summary on stdout and no progress on stderr (errors and\n"
          "                        violated expectations are still said)\n"
          "exit status: 0 success, 1 an expectation failed or the run, dump or summary could\n"
          "             not be written in full, 2 bad input, 130 interrupted (Ctrl-C, SIGTERM,\n"
          "             SIGHUP: the run marked incomplete)\n", DEFAULT_DUMP_LIMIT);
}

static void check_usage(FILE *out)
{
    fputs("usage: esmsim check SCENARIO [--set path=value ...] [--seed N]\n"
          "validate the scenario without running it: every key, type and range, the handler's\n"
          "program, and the memory it would need (esmsim run --help says what the options mean)\n"
          "exit status: 0 valid, 2 bad input\n", out);
}

/* The options of run and check. */
struct options {
    const char *command;       /* "run" or "check" */
    const char *scenario;
    const char *output;
    const char **overrides;    /* the --set values, then --seed's (owned array) */
    size_t n_overrides;
    char *seed_override;       /* "seed=N" (owned), or NULL */
    bool no_record_tables;
    bool quiet;
    const char *dump_dir;      /* --dump-events, NULL: no dump */
    uint64_t dump_limit;       /* --dump-limit, invocations */
    unsigned threads;          /* --threads: 1 writes the run log on the simulation's thread */
};

enum { O_SET, O_SEED, O_OUTPUT, O_NO_RECORD_TABLES, O_DUMP_EVENTS, O_DUMP_LIMIT, O_QUIET,
       O_THREADS };

/* check takes the first two of run's options: a scenario and its overrides. */
static const struct opt_spec run_opts[] = {
    [O_SET] = { "--set", NULL, "path=value" },
    [O_SEED] = { "--seed", NULL, "a seed" },
    [O_OUTPUT] = { "--output", "-o", "a file name" },
    [O_NO_RECORD_TABLES] = { "--no-record-tables", NULL, NULL },
    [O_DUMP_EVENTS] = { "--dump-events", NULL, "a directory" },
    [O_DUMP_LIMIT] = { "--dump-limit", NULL, "a number of invocations" },
    [O_QUIET] = { "--quiet", "-q", NULL },
    [O_THREADS] = { "--threads", NULL, "a number of threads" },
    { NULL, NULL, NULL },
};
static const struct opt_spec check_opts[] = {
    [O_SET] = { "--set", NULL, "path=value" },
    [O_SEED] = { "--seed", NULL, "a seed" },
    { NULL, NULL, NULL },
};

/* A file name option's value: an empty one is bad input, not "the default"
 * (SQLite would take "" for a temporary database and the run would vanish). */
static bool named(const struct options *o, const struct opt_spec *spec, const char *value)
{
    if (!value || value[0])
        return true;
    fprintf(stderr, "esmsim %s: %s takes a file name, not an empty string\n", o->command,
            spec->alias ? spec->alias : spec->name);
    return false;
}

/* The options of run or check (argv[0]) into o; an exit status when the
 * command is over (--help, or bad input said), else -1.  o owns what
 * options_free() releases. */
static int parse_args(int argc, char **argv, struct options *o)
{
    bool run = !strcmp(argv[0], "run");
    const struct opt_command cmd = {
        .name = argv[0], .opts = run ? run_opts : check_opts, .min_args = 1, .max_args = 1,
        .missing = "missing SCENARIO", .usage = run ? run_usage : check_usage,
    };
    struct opt_args a;
    *o = (struct options){ .command = argv[0], .output = "run.db", .dump_limit = DEFAULT_DUMP_LIMIT };
    enum opt_result parsed = opt_parse(&cmd, argc, argv, &a);
    int rc = parsed == OPT_HELP ? EXIT_OK : EXIT_BAD_INPUT;
    if (parsed != OPT_OK)
        goto out;
    o->scenario = a.args[0];
    if (run) {
        o->no_record_tables = opt_count(&a, O_NO_RECORD_TABLES) > 0;
        o->quiet = opt_count(&a, O_QUIET) > 0;
        if (opt_value(&a, O_OUTPUT))
            o->output = opt_value(&a, O_OUTPUT);
        o->dump_dir = opt_value(&a, O_DUMP_EVENTS);
        if (!named(o, &run_opts[O_OUTPUT], opt_value(&a, O_OUTPUT)) ||
            !named(o, &run_opts[O_DUMP_EVENTS], o->dump_dir))
            goto out;
        const char *limit = opt_value(&a, O_DUMP_LIMIT);
        if (limit && !opt_positive(limit, UINT64_MAX, &o->dump_limit)) {
            fprintf(stderr, "esmsim %s: --dump-limit takes a positive integer, not '%s'\n",
                    o->command, limit);
            goto out;
        }
        const char *threads = opt_value(&a, O_THREADS);
        uint64_t n_threads;
        if (threads && !opt_positive(threads, 1024, &n_threads)) {
            fprintf(stderr, "esmsim %s: --threads takes a number from 1 to 1024, not '%s'\n",
                    o->command, threads);
            goto out;
        }
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        o->threads = threads ? (unsigned)n_threads : cores > 1 ? (unsigned)cores : 1;
        if (limit && !o->dump_dir) {
            fprintf(stderr, "esmsim %s: --dump-limit without --dump-events\n", o->command);
            goto out;
        }
    }
    /* --seed applies last, whatever its place among the --set options. */
    size_t n_sets = opt_count(&a, O_SET);
    const char *seed = opt_value(&a, O_SEED);
    if (!(o->overrides = calloc(n_sets + 1, sizeof *o->overrides))) {
        fprintf(stderr, "esmsim %s: out of memory\n", o->command);
        goto out;
    }
    for (size_t i = 0; i < n_sets; i++)
        o->overrides[o->n_overrides++] = opt_nth(&a, O_SET, i);
    if (seed) {
        size_t n = strlen(seed) + sizeof "seed=";
        if (!(o->seed_override = malloc(n))) {
            fprintf(stderr, "esmsim %s: out of memory\n", o->command);
            goto out;
        }
        snprintf(o->seed_override, n, "seed=%s", seed);
        o->overrides[o->n_overrides++] = o->seed_override;
    }
    rc = -1;
out:
    opt_free(&a);
    return rc;
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
            scn->name, scn->cfg.seed, fmt_span(sum->simulated_us, a), wall,
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
    if (m->read_throttles)
        fprintf(out, "GetRecords   %12s   calls, %s throttled "
                "(the shard's reads are shared with %u other readers)\n",
                fmt_count((int64_t)(sum->stream.reads + m->read_throttles), a),
                fmt_count((int64_t)m->read_throttles, b), scn->cfg.stream.other_consumers);

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
        const struct mtr_shard_stats *s = &m->shards[i];
        fprintf(out, "%-22s %12s %12.0f %12.0f %12.0f\n", s->shard_id, fmt_count((int64_t)s->invocations, a),
                s->age_p50_ms, s->age_p99_ms, s->age_max_ms);
    }
    fprintf(out, "\nrun log: %s (run %" PRId64 ")\n", db, run_id);
}

/* ---- check and run -------------------------------------------------------- */

static int check(const struct options *o)
{
    struct scenario *scn = load(o);
    if (!scn)
        return EXIT_BAD_INPUT;
    /* a handler's program must be there and runnable (none is started) */
    struct rfn *handler = scn->cfg.function.handler ? simulation_handler(scn) : NULL;
    rfn_destroy(handler);
    if (scn->cfg.function.handler && !handler) {
        scn_free(scn);
        return EXIT_BAD_INPUT;
    }
    printf("%s: ok: %s%s%s\n", o->scenario, scn->name, scn->description ? ": " : "",
           scn->description ? scn->description : "");
    struct fpt_estimate keeping_up, stalled;
    char need[32], most[32], allowed[32];
    scn_footprint(scn, FPT_KEEPING_UP, &keeping_up);
    scn_footprint(scn, FPT_STALLED, &stalled);
    printf("memory: %s if the mapping keeps up, up to %s if it stops reading",
           fmt_bytes(keeping_up.total, need), fmt_bytes(stalled.total, most));
    if (scn->cfg.model.memory_limit)
        printf(" (allowed: %s, %s%s)", fmt_bytes((double)scn->cfg.model.memory_limit, allowed),
               scn->cfg.model.memory_limit_from,
               stalled.total > (double)scn->cfg.model.memory_limit ? "; a run that gets there is stopped"
                                                                    : "");
    putchar('\n');
    scn_free(scn);
    return EXIT_OK;
}

static int run(const struct options *o)
{
    char err[1024];
    int rc = EXIT_BAD_INPUT;
    struct simulation r = { 0 };
    struct dump *dump = NULL;
    struct rfn *handler = NULL;
    simulation_catch_signals();   /* a Ctrl-C from here on is not lost */
    struct scenario *scn = load(o);
    if (!scn)
        return EXIT_BAD_INPUT;
    if (o->no_record_tables)
        scn->per_record_tables = false;
    /* Before the dump and the run log: a handler that cannot run is bad input. */
    if (scn->cfg.function.handler && !(handler = simulation_handler(scn)))
        goto out;

    /* Before the run log: a directory that cannot be used is bad input, and
     * nothing is run. */
    if (o->dump_dir && !(dump = dump_open(o->dump_dir, o->dump_limit, o->output, err, sizeof err))) {
        fprintf(stderr, "esmsim: --dump-events: %s\n", err);
        goto out;
    }
    rc = simulation_run(&r, scn, o->output, dump, !o->quiet && isatty(STDERR_FILENO), handler,
                        o->threads);
    if (rc != EXIT_OK)
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
        rc = expect_check(scn->expect, scn->n_expect, &r.sum, stderr) ? EXIT_FAILED : EXIT_OK;
        if (rc)
            fprintf(stderr, "esmsim: %s: the run violates its expect block\n", o->scenario);
        break;
    case SIM_INTERRUPTED:
        fprintf(stderr, "esmsim: interrupted: %s run %" PRId64 " is marked incomplete\n",
                o->output, r.run_id);
        rc = EXIT_INTERRUPTED;
        break;
    case SIM_FAILED:
        fprintf(stderr, "esmsim: run stopped: %s\n",
                runlog_error(r.rl) ? runlog_error(r.rl)
                : handler && rfn_error(handler) ? rfn_error(handler)
                : sim_failure(r.sim) ? sim_failure(r.sim) : "out of memory");
        rc = EXIT_FAILED;
        break;
    }
    if (dump_rc != 0) {
        fprintf(stderr, "esmsim: --dump-events: %s (%" PRIu64 " invocations written)\n",
                dump_err, dumped);
        if (rc == EXIT_OK)
            rc = EXIT_FAILED;
    }
out:
    dump_close(dump, NULL, 0);   /* still open if the run log failed, whose error was said */
    simulation_close(&r);
    rfn_destroy(handler);
    scn_free(scn);
    return rc;
}

/* ---- the commands --------------------------------------------------------- */

int cmd_check(int argc, char **argv)
{
    struct options o;
    int rc = parse_args(argc, argv, &o);
    if (rc < 0)
        rc = check(&o);
    options_free(&o);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct options o;
    int rc = parse_args(argc, argv, &o);
    if (rc < 0)
        rc = run(&o);
    options_free(&o);
    return rc;
}
