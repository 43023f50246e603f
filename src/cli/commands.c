/*
 * commands.c - the commands that read run logs (report, trace, logs, plot,
 * compare), merge them, and import a scenario (SPEC section 5): each reads
 * its command line with its table (opt.h), turns the values into plain
 * arguments, and calls the function that does the work (report.h, trace.h
 * ...), whose result becomes the exit status (exit.h).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "compare.h"
#include "exit.h"
#include "import.h"
#include "logs.h"
#include "merge.h"
#include "opt.h"
#include "plot.h"
#include "report.h"
#include "runread.h"
#include "trace.h"

/* The value of --run (0 when not given: the latest run) into *run_id; false
 * with the message said when it is not a run id. */
static bool run_id_of(const char *command, const struct opt_args *a, int id, int64_t *run_id)
{
    char err[256];
    const char *text = opt_value(a, id);
    *run_id = 0;
    if (!text || runread_parse_run_id(text, run_id, err, sizeof err) == 0)
        return true;
    fprintf(stderr, "esmsim %s: %s\n", command, err);
    return false;
}

/* ---- report ------------------------------------------------------------------------- */

static void report_usage(FILE *out)
{
    fprintf(out, "usage: esmsim report RUN.db [--run ID] [--json] [--recompute]\n"
            "  fates, duplicates, per-key ordering violations, discards, retention losses,\n"
            "  IteratorAge percentiles and throttles of one run (default: the latest)\n"
            "  --json        one JSON object (keys documented in README.md)\n"
            "  --recompute   compute the figures in SQL over the per-record tables instead of\n"
            "                reading those the run computed as it ran (the summary tables)\n");
}

int cmd_report(int argc, char **argv)
{
    enum { RUN, JSON, RECOMPUTE };
    static const struct opt_spec opts[] = {
        [RUN] = { "--run", NULL, "a run id" },
        [JSON] = { "--json", NULL, NULL },
        [RECOMPUTE] = { "--recompute", NULL, NULL },
        { NULL, NULL, NULL },
    };
    static const struct opt_command cmd = {
        "report", opts, 1, 1, "missing RUN.db (usage: esmsim report RUN.db [--run ID] [--json]"
        " [--recompute])",
        report_usage,
    };
    struct opt_args a;
    enum opt_result parsed = opt_parse(&cmd, argc, argv, &a);
    int64_t run_id;
    int rc = parsed == OPT_HELP ? EXIT_OK : EXIT_BAD_INPUT;
    if (parsed == OPT_OK && run_id_of(cmd.name, &a, RUN, &run_id))
        rc = exit_status(report_show(a.args[0], run_id, opt_count(&a, JSON) > 0,
                                     opt_count(&a, RECOMPUTE) > 0));
    opt_free(&a);
    return rc;
}

/* ---- trace ------------------------------------------------------------------------- */

static void trace_usage(FILE *out)
{
    fprintf(out, "usage: esmsim trace RUN.db --key KEY [--run ID]\n"
            "       esmsim trace RUN.db --sequence N [--shard SHARD_ID] [--run ID]\n"
            "  the timeline of one partition key (or of one record) in one run (default:\n"
            "  the latest): writes, deliveries with their invocation, outcome, attempt,\n"
            "  place in the batch and bisect depth, checkpoints, discards and fates;\n"
            "  ! marks where the key's order breaks (see README.md, trace)\n");
}

int cmd_trace(int argc, char **argv)
{
    enum { KEY, SEQUENCE, SHARD, RUN };
    static const struct opt_spec opts[] = {
        [KEY] = { "--key", NULL, "a partition key" },
        [SEQUENCE] = { "--sequence", NULL, "a sequence number" },
        [SHARD] = { "--shard", NULL, "a shard id" },
        [RUN] = { "--run", NULL, "a run id" },
        { NULL, NULL, NULL },
    };
    static const struct opt_command cmd = { "trace", opts, 1, 1, "missing RUN.db", trace_usage };
    struct opt_args a;
    enum opt_result parsed = opt_parse(&cmd, argc, argv, &a);
    int rc = parsed == OPT_HELP ? EXIT_OK : EXIT_BAD_INPUT;
    int64_t run_id;
    uint64_t seq = 0;
    const char *key = opt_value(&a, KEY), *shard = opt_value(&a, SHARD);
    const char *seq_text = opt_value(&a, SEQUENCE);
    if (parsed != OPT_OK || !run_id_of(cmd.name, &a, RUN, &run_id))
        goto out;
    if (seq_text && !opt_positive(seq_text, INT64_MAX, &seq)) {
        fprintf(stderr, "esmsim trace: --sequence: expected a sequence number,"
                " a positive integer, got \"%s\"\n", seq_text);
        goto out;
    }
    const char *problem = !key && !seq ? "give --key KEY or --sequence N"
                        : key && seq ? "--key and --sequence exclude each other"
                        : shard && !seq ? "--shard goes with --sequence"
                        : NULL;
    if (problem) {
        fprintf(stderr, "esmsim trace: %s\n", problem);
        trace_usage(stderr);
        goto out;
    }
    rc = exit_status(trace_show(a.args[0], run_id, key, (int64_t)seq, shard));
out:
    opt_free(&a);
    return rc;
}

/* ---- logs ------------------------------------------------------------------------- */

static void logs_usage(FILE *out)
{
    fprintf(out, "usage: esmsim logs RUN.db [--invocation N] [--key KEY] [--run ID]\n"
            "  what a real handler (function.handler) printed, invocation by invocation,\n"
            "  between the START / END / REPORT lines CloudWatch Logs shows, in one run\n"
            "  (default: the latest); --invocation keeps one invocation, --key those that\n"
            "  delivered a record of the partition key (see README.md, Run your own handler)\n");
}

int cmd_logs(int argc, char **argv)
{
    enum { INVOCATION, KEY, RUN };
    static const struct opt_spec opts[] = {
        [INVOCATION] = { "--invocation", NULL, "an invocation id" },
        [KEY] = { "--key", NULL, "a partition key" },
        [RUN] = { "--run", NULL, "a run id" },
        { NULL, NULL, NULL },
    };
    static const struct opt_command cmd = { "logs", opts, 1, 1, "missing RUN.db", logs_usage };
    struct opt_args a;
    enum opt_result parsed = opt_parse(&cmd, argc, argv, &a);
    int rc = parsed == OPT_HELP ? EXIT_OK : EXIT_BAD_INPUT;
    int64_t run_id;
    uint64_t invocation = 0;
    const char *inv_text = opt_value(&a, INVOCATION);
    if (parsed != OPT_OK || !run_id_of(cmd.name, &a, RUN, &run_id))
        goto out;
    if (inv_text && !opt_positive(inv_text, INT64_MAX, &invocation)) {
        fprintf(stderr, "esmsim logs: --invocation: expected an invocation id, a positive"
                " integer, got \"%s\"\n", inv_text);
        goto out;
    }
    rc = exit_status(logs_show(a.args[0], run_id, (int64_t)invocation, opt_value(&a, KEY)));
out:
    opt_free(&a);
    return rc;
}

/* ---- plot ------------------------------------------------------------------------- */

static void plot_usage(FILE *out)
{
    fputs("usage: esmsim plot RUN.db [--run ID] [-o FILE.svg|FILE.png] [--chart CHART]\n"
          "                  [--at completion|send] [--keep-data DIR]\n"
          "\n"
          "CHART  iterator-age (default)  IteratorAge, maximum per minute, per shard and overall\n"
          "       oldest        age of the oldest unprocessed record, maximum per minute\n"
          "       concurrency   concurrent executions, maximum and mean per minute\n"
          "       throughput    records written, delivered and succeeded per minute\n"
          "       all           every chart: FILE-CHART.svg (or .png) for -o FILE.svg,\n"
          "                     CHART.svg without -o\n"
          "-o FILE         the chart, SVG or PNG by its extension (default CHART.svg);\n"
          "                --output FILE the same\n"
          "--run ID        the run of RUN.db (default the latest)\n"
          "--at WHEN       IteratorAge at completion (default: completion - arrival of the\n"
          "                batch's last record, R14) or at send (the invocation's start -\n"
          "                that arrival), for the iterator-age chart\n"
          "--keep-data DIR write the data files given to gnuplot to DIR/NAME.dat and keep them\n"
          "exit status: 0 written, 1 gnuplot or a data file failed or the chart is cut short,\n"
          "             2 bad input or no gnuplot, 130 interrupted (no chart left)\n",
          out);
}

int cmd_plot(int argc, char **argv)
{
    enum { OUTPUT, RUN, CHART, KEEP_DATA, AT };
    static const struct opt_spec opts[] = {
        [OUTPUT] = { "--output", "-o", "a file name" },
        [RUN] = { "--run", NULL, "a run id" },
        [CHART] = { "--chart", NULL,
                    "a chart: iterator-age, oldest, concurrency, throughput or all" },
        [KEEP_DATA] = { "--keep-data", NULL, "a directory" },
        [AT] = { "--at", NULL, "completion or send" },
        { NULL, NULL, NULL },
    };
    static const struct opt_command cmd = { "plot", opts, 1, 1, "missing RUN.db", plot_usage };
    struct opt_args a;
    enum opt_result parsed = opt_parse(&cmd, argc, argv, &a);
    int rc = parsed == OPT_HELP ? EXIT_OK : EXIT_BAD_INPUT;
    struct plot_opts o = {
        .output = opt_value(&a, OUTPUT), .chart = opt_value(&a, CHART),
        .keep_dir = opt_value(&a, KEEP_DATA), .at = opt_value(&a, AT),
    };
    if (parsed == OPT_OK && run_id_of(cmd.name, &a, RUN, &o.run_id)) {
        o.db = a.args[0];
        rc = exit_status(plot_draw(&o));
    }
    opt_free(&a);
    return rc;
}

/* ---- compare ------------------------------------------------------------------------- */

static void compare_usage(FILE *out)
{
    fputs("usage: esmsim compare RUN.db OBSERVED.json... [--run ID] [--json] [-o CHART.svg|png]\n"
          "                      [--align start-time|first]\n"
          "       esmsim compare RUN.db --export OUT.json [--run ID] [--period SECONDS]\n"
          "\n"
          "OBSERVED.json is what aws cloudwatch get-metric-data prints; each result names its\n"
          "metric and statistic in its Label or Id (\"IteratorAge Maximum\", \"iterator_age_max\").\n"
          "Compared, period by period: IteratorAge Maximum, ConcurrentExecutions Maximum,\n"
          "IncomingRecords Sum, Invocations Sum, Errors Sum, Throttles Sum, Duration Average.\n"
          "--run ID        the run of RUN.db (default the latest)\n"
          "--json          the figures as one JSON object\n"
          "-o FILE         a chart of the run beside the observed series (gnuplot);\n"
          "                --output FILE the same\n"
          "--align HOW     start-time: CloudWatch's time T is the run's T - model.start_time\n"
          "                (default; the first observed time is the run's 0 when nothing then\n"
          "                falls within the run); first: the first observed time is the run's 0\n"
          "--export FILE   write the run's metrics in get-metric-data's format instead\n"
          "                (- for standard output), in periods of --period SECONDS (60)\n"
          "exit status: 0 done, 1 a file or gnuplot failed, 2 bad input or no gnuplot,\n"
          "             130 interrupted (nothing left)\n", out);
}

int cmd_compare(int argc, char **argv)
{
    enum { JSON, OUTPUT, RUN, ALIGN, EXPORT, PERIOD };
    static const struct opt_spec opts[] = {
        [JSON] = { "--json", NULL, NULL },
        [OUTPUT] = { "--output", "-o", "a file name" },
        [RUN] = { "--run", NULL, "a run id" },
        [ALIGN] = { "--align", NULL, "start-time or first" },
        [EXPORT] = { "--export", NULL, "a file name" },
        [PERIOD] = { "--period", NULL, "a number of seconds" },
        { NULL, NULL, NULL },
    };
    static const struct opt_command cmd = {
        "compare", opts, 1, SIZE_MAX, "missing RUN.db", compare_usage,
    };
    struct opt_args a;
    enum opt_result parsed = opt_parse(&cmd, argc, argv, &a);
    int rc = parsed == OPT_HELP ? EXIT_OK : EXIT_BAD_INPUT;
    struct compare_opts o = {
        .json = opt_count(&a, JSON) > 0, .chart = opt_value(&a, OUTPUT),
        .align = opt_value(&a, ALIGN), .export = opt_value(&a, EXPORT),
    };
    const char *period = opt_value(&a, PERIOD);
    uint64_t s = 0;
    if (parsed != OPT_OK || !run_id_of(cmd.name, &a, RUN, &o.run_id))
        goto out;
    if (period && !o.export) {
        fprintf(stderr, "esmsim compare: --period goes with --export (compared, the periods are "
                "the observed files' own)\n");
        goto out;
    }
    if (period && (!opt_positive(period, 86400, &s) || s % 60)) {
        fprintf(stderr, "esmsim compare: --period: expected seconds, a multiple of 60 up to "
                "86400, got \"%s\"\n", period);
        goto out;
    }
    o.period_ms = (int64_t)s * 1000;
    o.db = a.args[0];
    o.observed = a.args + 1;
    o.n_observed = a.n_args - 1;
    rc = exit_status(compare_show(&o));
out:
    opt_free(&a);
    return rc;
}

/* ---- merge ------------------------------------------------------------------------- */

static void merge_usage(FILE *out)
{
    fprintf(out, "usage: esmsim merge OUT.db IN.db...\n"
                 "append every run of each IN.db (written by esmsim run -o or esmsim sweep -o)\n"
                 "to OUT.db (created if missing), with new run ids\n");
}

int cmd_merge(int argc, char **argv)
{
    static const struct opt_spec opts[] = { { NULL, NULL, NULL } };
    static const struct opt_command cmd = {
        "merge", opts, 2, SIZE_MAX, "missing OUT.db or IN.db (usage: esmsim merge OUT.db IN.db...)",
        merge_usage,
    };
    struct opt_args a;
    enum opt_result parsed = opt_parse(&cmd, argc, argv, &a);
    int rc = parsed == OPT_HELP ? EXIT_OK : EXIT_BAD_INPUT;
    if (parsed == OPT_OK)
        rc = exit_status(merge_runs(a.args[0], a.args + 1, a.n_args - 1));
    opt_free(&a);
    return rc;
}

/* ---- import ------------------------------------------------------------------------- */

static void import_usage(FILE *out)
{
    fputs("usage: esmsim import FILE... -o SCENARIO.json [--mapping NAME] [--parameter NAME=VALUE ...]\n"
          "\n"
          "A scenario from the files you have, each recognised from its content:\n"
          "  AWS CLI JSON   aws lambda get-event-source-mapping (or list-event-source-mappings),\n"
          "                 get-function-configuration (or get-function), get-function-concurrency,\n"
          "                 aws kinesis describe-stream-summary (or describe-stream),\n"
          "                 aws dynamodbstreams describe-stream, aws dynamodb describe-table\n"
          "  templates      CloudFormation or SAM, JSON or YAML (short-form tags such as !Ref)\n"
          "  terraform      terraform show -json, of a plan or of the state\n"
          "  metric data    aws cloudwatch get-metric-data: IncomingRecords, IncomingBytes,\n"
          "                 Duration, Errors, Invocations, Throttles (IteratorAge and\n"
          "                 ConcurrentExecutions are for esmsim compare)\n"
          "\n"
          "-o, --output FILE   the scenario to write (- for standard output)\n"
          "--mapping NAME      the mapping to take when a template or terraform holds several:\n"
          "                    its logical id, address, UUID or function name\n"
          "--parameter N=V     a template parameter's value (instead of its Default)\n"
          "Where each value came from is written into the scenario's description; what\n"
          "cannot be mapped is listed on stderr.\n"
          "exit status: 0 written, 1 the file could not be written, 2 bad input (nothing written)\n",
          out);
}

int cmd_import(int argc, char **argv)
{
    enum { OUTPUT, MAPPING, PARAMETER };
    static const struct opt_spec opts[] = {
        [OUTPUT] = { "--output", "-o", "a file name" },
        [MAPPING] = { "--mapping", NULL, "a mapping's name" },
        [PARAMETER] = { "--parameter", NULL, "NAME=VALUE" },
        { NULL, NULL, NULL },
    };
    static const struct opt_command cmd = {
        "import", opts, 1, SIZE_MAX, "no input file (esmsim import FILE... -o SCENARIO.json)",
        import_usage,
    };
    struct opt_args a;
    enum opt_result parsed = opt_parse(&cmd, argc, argv, &a);
    int rc = parsed == OPT_HELP ? EXIT_OK : EXIT_BAD_INPUT;
    const char *output = opt_value(&a, OUTPUT);
    size_t n_params = opt_count(&a, PARAMETER);
    const char **params = NULL;
    if (parsed != OPT_OK)
        goto out;
    if (!output || !output[0]) {
        fprintf(stderr, "esmsim import: missing -o SCENARIO.json (- for standard output)\n");
        goto out;
    }
    if (!(params = calloc(n_params + 1, sizeof *params))) {
        fprintf(stderr, "esmsim import: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < n_params; i++)
        params[i] = opt_nth(&a, PARAMETER, i);
    rc = exit_status(import_scenario(a.args, a.n_args, output, opt_value(&a, MAPPING), params,
                                     n_params));
out:
    free(params);
    opt_free(&a);
    return rc;
}
