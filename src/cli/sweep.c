/*
 * sweep.c - `esmsim sweep SCENARIO --vary path=v1,v2,... [--vary ...]`
 * (SPEC section 5, use 1 of the spec's introduction: tune the mapping
 * offline by sweeping its settings over a scenario).
 *
 * Every combination of the varied values (a setting), each with the same
 * seed or with --seeds N seeds, is one run of `esmsim run --set ...`,
 * simulated in a child process, at most -j at once.  Each run is summed up
 * in one row of the sweep_results table, and the settings ranked and
 * charted (ranking.h).  Runs already in the sweep database (same
 * effective scenario, seed and esmsim version, complete) are used again
 * instead of simulated: that is how a sweep resumes, and how the runs of a
 * cluster, merged with `esmsim merge`, become a sweep (docs/sweep.md);
 * without --keep-runs, their own tables are dropped once their rows are in.
 * Every run is made with expect={} (a sweep checks no expect block), the
 * runs printed by --print-runs too, one command per line.
 *
 * The cluster recipe is docs/sweep.md; the sweep_results table is described
 * in the README's run log section.
 *
 * The parent validates the scenario of every run first (bad input runs
 * nothing), finds the runs the database already holds, then forks one child
 * per run left, at most -j at once.  A child does what `esmsim run` does
 * (simulation.h) into a database of its own next to the output, sums its run
 * up into sweep_results there, and exits.  Only the parent writes the sweep
 * database: it appends each child's database with merge_append(), in grid
 * order whatever the order the children finish in, so that run ids and rows
 * do not depend on -j, and no two processes ever write the file at once.
 */
#define _GNU_SOURCE   /* sched_getaffinity, CPU_COUNT: the default -j */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "exit.h"
#include "gnuplot.h"
#include "leftover.h"
#include "merge.h"
#include "opt.h"
#include "ranking.h"
#include "runlog.h"
#include "runread.h"
#include "scenario.h"
#include "simulation.h"
#include "stopsig.h"

#ifndef ESMSIM_VERSION
#define ESMSIM_VERSION "unknown"
#endif

#define SWEEP_MAX_VARY RANK_MAX_PARAMS
#define SWEEP_MAX_SET 64
/* The overrides of one run: no expect block, the --set ones, one per --vary,
 * the seed. */
#define SWEEP_MAX_OVERRIDES (1 + SWEEP_MAX_SET + SWEEP_MAX_VARY + 1)

/*
 * The first override of every run.  A scenario's expect block describes its
 * own settings and a sweep checks none; without it, the runs of --print-runs
 * end with exit status 1 for other settings (a Slurm array task FAILED)
 * although their run logs are complete.  Being an override, it is in every
 * run's effective scenario, so the printed runs and the sweep's are the same
 * runs (runs.scenario_json).
 */
static const char no_expect[] = "expect={}";
#define SWEEP_MAX_RUNS 100000
#define SWEEP_MAX_JOBS 1024
#define SWEEP_MAX_SEEDS 1000

/* One --vary path=v1,v2,... */
struct sweep_vary {
    const char *arg;        /* as given, for messages */
    char *path;
    char **values;          /* split at the top-level commas */
    size_t n_values;
};

struct sweep_opts {
    const char *scenario;
    const char *output;             /* -o, the sweep database */
    const char *sets[SWEEP_MAX_SET];  /* --set path=value: every run */
    size_t n_sets;
    struct sweep_vary vary[SWEEP_MAX_VARY];
    size_t n_vary;
    uint64_t seeds;                 /* --seeds: 1 is the scenario's own seed, no override */
    uint64_t jobs;                  /* -j: child processes at once */
    const struct rank_objective *objective;
    bool keep_runs;                 /* copy the per-run tables into the sweep database */
    bool no_chart;
    int64_t drain_below_ms;         /* --drain-below: "drained" means at most this */
    const char *print_runs;         /* --print-runs DIR, or NULL */
};

/* A combination of one value of each --vary. */
struct sweep_setting {
    char **overrides;       /* "path=value", one per --vary, in --vary order */
    char *json;             /* {"path": value, ...}: the setting column of sweep_results */
    char **values;          /* borrowed from the --vary options */
};

/* todo -> running (a child) -> finished (reaped) -> done (in the database) or failed;
 * a run found in the database goes from todo to done at once. */
enum run_state { RUN_TODO, RUN_RUNNING, RUN_FINISHED, RUN_DONE, RUN_FAILED };

/* One run: a setting and a seed. */
struct sweep_run {
    size_t setting;
    char seed_override[40]; /* "seed=N" with --seeds above 1, else "" */
    uint64_t seed;
    char *json;             /* the effective scenario, as runs.scenario_json holds it */
    int64_t run_id;         /* in the sweep database; 0 until it is there */
    enum run_state state;
    pid_t pid;              /* while RUN_RUNNING */
    struct leftover files;  /* the child's database (files.path) and its lock file */
    int exit_status;        /* the child's, once RUN_FINISHED */
};

struct sweep {
    struct sweep_opts o;
    struct sweep_setting *settings;
    size_t n_settings;
    struct sweep_run *runs;         /* setting-major: run s * seeds + k */
    size_t n_runs;
    char *name;                     /* the scenario's name */
    sqlite3 *db;                    /* the sweep database, parent only */
    size_t simulated, reused, failed;
    size_t trimmed;                 /* runs used again whose own tables were dropped */
    size_t peak;                    /* most child processes running at once */
    sigset_t unblocked;             /* the signal mask outside run_all's loop */
};

/* The table of SPEC section 3 that a sweep adds: one row per run. */
static const char results_table[] = RUNLOG_SWEEP_RESULTS_TABLE;

/* What a sweep keeps of a run without --keep-runs. */
static const char *const summary_tables[] = { "runs", "sweep_results", NULL };

static volatile sig_atomic_t sweep_interrupted;

static void sweep_on_signal(int sig)
{
    (void)sig;
    sweep_interrupted = 1;
}

/* SIGCHLD caught, not ignored, only so that run_all's sigsuspend returns. */
static void sweep_on_child(int sig)
{
    (void)sig;
}

/* ---- options ------------------------------------------------------------- */

static void sweep_usage(FILE *out)
{
    fprintf(out,
          "usage: esmsim sweep SCENARIO --vary path=v1,v2,... [--vary ...] [--set path=value ...]\n"
          "                [-o SWEEP.db] [--seeds N] [-j N] [--objective p99|max|drain|cost|duplicates]\n"
          "                [--keep-runs] [--drain-below DURATION] [--no-chart]\n"
          "       esmsim sweep SCENARIO --vary ... [--seeds N] --print-runs DIR\n"
          "\n"
          "run every combination of the --vary values (a path as for run --set; values\n"
          "split at commas outside JSON brackets and strings), rank the settings and chart\n"
          "the objective against the first varied parameter (SWEEP.svg beside SWEEP.db)\n"
          "\n"
          "--set path=value        an override of every run, applied before the --vary ones\n"
          "-o, --output SWEEP.db   the sweep database (default sweep.db): runs and sweep_results;\n"
          "                        runs already there are used again, not simulated\n"
          "--seeds N               N runs per setting, seeds S to S+N-1 (S: the scenario's)\n"
          "-j, --jobs N            N runs at once (default: the processors this process may\n"
          "                        run on, as taskset or a batch system's CPU binding sets them)\n"
          "--objective NAME        rank by the lowest p99 IteratorAge (default), max IteratorAge,\n"
          "                        drain time, cost in GB-seconds or duplicates, settings that\n"
          "                        lose no message first\n"
          "--keep-runs             keep every run's tables (invocations, ...) in SWEEP.db\n"
          "--drain-below DURATION  drained: the oldest unprocessed record stays at most this\n"
          "                        old until the end (default 0)\n"
          "--no-chart              no chart (no gnuplot needed)\n"
          "--print-runs DIR        print one esmsim run command per run, writing DIR/run-NNNN.db,\n"
          "                        and run nothing (for a cluster: docs/sweep.md)\n"
          "exit status: 0 done, 1 a run or the chart failed, 2 bad input or no gnuplot for the\n"
          "             chart (nothing is run), 130 interrupted (the runs done are kept and used\n"
          "             again next time)\n");
}

/* A count option's value, from 1 to hi; false with the message said. */
static bool parse_count(const struct opt_spec *opt, const char *text, uint64_t hi, uint64_t *out)
{
    if (opt_positive(text, hi, out))
        return true;
    fprintf(stderr, "esmsim sweep: %s takes an integer from 1 to %" PRIu64 ", not '%s'\n",
            opt->alias ? opt->alias : opt->name, hi, text);
    return false;
}

/* Append [from, to) to v->values. */
static bool add_value(struct sweep_vary *v, const char *from, const char *to)
{
    char **grown = realloc(v->values, (v->n_values + 1) * sizeof *grown);
    if (!grown)
        return false;
    v->values = grown;
    if (!(v->values[v->n_values] = strndup(from, (size_t)(to - from))))
        return false;
    v->n_values++;
    return true;
}

/*
 * path=v1,v2,...: the values split at the commas outside JSON brackets and
 * strings, so that `function.failures=[{"match":{"all":true}}],[]` is two
 * values.  Empty and repeated values are refused.
 */
static bool parse_vary(struct sweep_vary *v, const char *arg)
{
    *v = (struct sweep_vary){ .arg = arg };
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) {
        fprintf(stderr, "esmsim sweep: --vary %s: expected path=v1,v2,...\n", arg);
        return false;
    }
    if (!(v->path = strndup(arg, (size_t)(eq - arg))))
        goto nomem;
    int depth = 0;
    bool in_string = false, escaped = false;
    const char *start = eq + 1;
    for (const char *p = start;; p++) {
        if (*p == '\0' || (*p == ',' && depth == 0 && !in_string)) {
            if (p == start) {
                fprintf(stderr, "esmsim sweep: --vary %s: an empty value\n", arg);
                return false;
            }
            if (!add_value(v, start, p))
                goto nomem;
            if (!*p)
                break;
            start = p + 1;
        } else if (in_string) {
            if (escaped)
                escaped = false;
            else if (*p == '\\')
                escaped = true;
            else if (*p == '"')
                in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == '[' || *p == '{') {
            depth++;
        } else if ((*p == ']' || *p == '}') && depth > 0) {
            depth--;
        }
    }
    for (size_t i = 0; i < v->n_values; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(v->values[i], v->values[j])) {
                fprintf(stderr, "esmsim sweep: --vary %s: the value %s is given twice\n", arg,
                        v->values[i]);
                return false;
            }
    return true;
nomem:
    fprintf(stderr, "esmsim sweep: out of memory\n");
    return false;
}

/*
 * The default -j: the processors this process may run on (its affinity
 * mask, which taskset, Slurm's task/affinity and task/cgroup and cpusets
 * narrow), not every processor of the machine: the sweep of a job given 2
 * of 64 CPUs runs 2 at once.
 */
static uint64_t default_jobs(void)
{
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set) < SWEEP_MAX_JOBS ? (uint64_t)CPU_COUNT(&set) : SWEEP_MAX_JOBS;
#endif
    /* no affinity call, or more CPUs than a cpu_set_t holds */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus <= 0 ? 1 : cpus < SWEEP_MAX_JOBS ? (uint64_t)cpus : SWEEP_MAX_JOBS;
}

enum { O_VARY, O_SET, O_OUTPUT, O_SEEDS, O_JOBS, O_OBJECTIVE, O_DRAIN_BELOW, O_PRINT_RUNS,
       O_KEEP_RUNS, O_NO_CHART };
static const struct opt_spec sweep_opts[] = {
    [O_VARY] = { "--vary", NULL, "path=v1,v2,..." },
    [O_SET] = { "--set", NULL, "path=value" },
    [O_OUTPUT] = { "--output", "-o", "a file name" },
    [O_SEEDS] = { "--seeds", NULL, "a number of seeds" },
    [O_JOBS] = { "--jobs", "-j", "a number of runs" },
    [O_OBJECTIVE] = { "--objective", NULL, "p99, max, drain, cost or duplicates" },
    [O_DRAIN_BELOW] = { "--drain-below", NULL, "a duration" },
    [O_PRINT_RUNS] = { "--print-runs", NULL, "a directory" },
    [O_KEEP_RUNS] = { "--keep-runs", NULL, NULL },
    [O_NO_CHART] = { "--no-chart", NULL, NULL },
    { NULL, NULL, NULL },
};

/* The options into o, from what opt_parse() read: 0, or -1 with the
 * message said. */
static int read_opts(const struct opt_args *a, struct sweep_opts *o)
{
    o->scenario = a->args[0];
    if (opt_value(a, O_OUTPUT))
        o->output = opt_value(a, O_OUTPUT);
    o->print_runs = opt_value(a, O_PRINT_RUNS);
    o->keep_runs = opt_count(a, O_KEEP_RUNS) > 0;
    o->no_chart = opt_count(a, O_NO_CHART) > 0;
    for (size_t i = 0; i < opt_count(a, O_VARY); i++) {
        const char *arg = opt_nth(a, O_VARY, i);
        if (o->n_vary == SWEEP_MAX_VARY) {
            fprintf(stderr, "esmsim sweep: more than %d --vary options\n", SWEEP_MAX_VARY);
            return -1;
        }
        if (!parse_vary(&o->vary[o->n_vary++], arg))
            return -1;
        for (size_t k = 0; k + 1 < o->n_vary; k++)
            if (!strcmp(o->vary[k].path, o->vary[o->n_vary - 1].path)) {
                fprintf(stderr, "esmsim sweep: --vary %s: the path %s is varied twice\n",
                        arg, o->vary[k].path);
                return -1;
            }
    }
    for (size_t i = 0; i < opt_count(a, O_SET); i++) {
        if (o->n_sets == SWEEP_MAX_SET) {
            fprintf(stderr, "esmsim sweep: more than %d --set options\n", SWEEP_MAX_SET);
            return -1;
        }
        o->sets[o->n_sets++] = opt_nth(a, O_SET, i);
    }
    const char *seeds = opt_value(a, O_SEEDS), *jobs = opt_value(a, O_JOBS);
    if ((seeds && !parse_count(&sweep_opts[O_SEEDS], seeds, SWEEP_MAX_SEEDS, &o->seeds)) ||
        (jobs && !parse_count(&sweep_opts[O_JOBS], jobs, SWEEP_MAX_JOBS, &o->jobs)))
        return -1;
    const char *objective = opt_value(a, O_OBJECTIVE);
    if (objective && !(o->objective = rank_objective(objective))) {
        fprintf(stderr, "esmsim sweep: --objective %s: expected p99, max, drain, cost or "
                "duplicates\n", objective);
        return -1;
    }
    const char *drain = opt_value(a, O_DRAIN_BELOW);
    int64_t us;
    if (drain && (scn_parse_duration(drain, &us) < 0 || us < 0)) {
        fprintf(stderr, "esmsim sweep: --drain-below takes a duration (\"0\", \"5s\", "
                "\"2m\"), not '%s'\n", drain);
        return -1;
    }
    if (drain)
        o->drain_below_ms = us / 1000;
    if (o->n_vary == 0) {
        fprintf(stderr, "esmsim sweep: no --vary path=v1,v2,...: nothing to sweep\n");
        return -1;
    }
    return 0;
}

/* ---- the grid ------------------------------------------------------------ */

/* The override list of a run: no_expect (unless a --set gives it already),
 * the --set ones, its setting's, its seed's; vary (when not SIZE_MAX) keeps
 * only that --vary of the setting. */
static size_t run_overrides(const struct sweep *sw, const struct sweep_run *run, size_t vary,
                            const char *out[SWEEP_MAX_OVERRIDES])
{
    const struct sweep_setting *s = &sw->settings[run->setting];
    size_t n = 0;
    out[n++] = no_expect;
    for (size_t i = 0; i < sw->o.n_sets; i++)
        if (!strcmp(sw->o.sets[i], no_expect))
            n = 0;
    for (size_t i = 0; i < sw->o.n_sets; i++)
        out[n++] = sw->o.sets[i];
    for (size_t k = 0; k < sw->o.n_vary; k++)
        if (vary == SIZE_MAX || vary == k)
            out[n++] = s->overrides[k];
    if (run->seed_override[0])
        out[n++] = run->seed_override;
    return n;
}

/* A value as JSON when it parses, otherwise a string: the rule of --set. */
static cJSON *json_value(const char *text)
{
    cJSON *v = cJSON_ParseWithOpts(text, NULL, 1);
    return v ? v : cJSON_CreateString(text);
}

/* Settings in grid order, the last --vary changing fastest. */
static int build_settings(struct sweep *sw)
{
    const struct sweep_opts *o = &sw->o;
    size_t n = 1;
    for (size_t k = 0; k < o->n_vary; k++) {
        if (n > SWEEP_MAX_RUNS / o->vary[k].n_values / o->seeds) {
            fprintf(stderr, "esmsim sweep: more than %d runs\n", SWEEP_MAX_RUNS);
            return -1;
        }
        n *= o->vary[k].n_values;
    }
    sw->n_settings = n;
    sw->n_runs = n * o->seeds;
    sw->settings = calloc(n, sizeof *sw->settings);
    sw->runs = calloc(sw->n_runs, sizeof *sw->runs);
    if (!sw->settings || !sw->runs)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        struct sweep_setting *s = &sw->settings[i];
        s->overrides = calloc(o->n_vary, sizeof *s->overrides);
        s->values = calloc(o->n_vary, sizeof *s->values);
        cJSON *json = cJSON_CreateObject();
        bool ok = s->overrides && s->values && json;
        size_t rest = i;
        for (size_t k = o->n_vary; ok && k-- > 0;) {
            const struct sweep_vary *v = &o->vary[k];
            s->values[k] = v->values[rest % v->n_values];
            rest /= v->n_values;
            size_t len = strlen(v->path) + strlen(s->values[k]) + 2;
            ok = (s->overrides[k] = malloc(len)) != NULL;
            if (ok)
                snprintf(s->overrides[k], len, "%s=%s", v->path, s->values[k]);
        }
        for (size_t k = 0; ok && k < o->n_vary; k++) {
            cJSON *v = json_value(s->values[k]);
            ok = v && cJSON_AddItemToObject(json, o->vary[k].path, v);
            if (!ok)
                cJSON_Delete(v);
        }
        s->json = ok ? cJSON_PrintUnformatted(json) : NULL;
        cJSON_Delete(json);
        if (!s->json)
            goto nomem;
    }
    return 0;
nomem:
    fprintf(stderr, "esmsim sweep: out of memory\n");
    return -1;
}

/*
 * Load the scenario of every run before anything runs: a bad --vary path or
 * value exits 2 naming the --vary and the setting.  Keeps each run's
 * effective scenario (runs.scenario_json) and seed.
 */
static int validate(struct sweep *sw)
{
    char err[1024];
    const struct sweep_opts *o = &sw->o;
    struct scenario *scn = scn_load(o->scenario, o->sets, o->n_sets, err, sizeof err);
    if (!scn) {
        fprintf(stderr, "esmsim sweep: %s\n", err);
        return -1;
    }
    sw->name = strdup(scn->name);
    scn_free(scn);
    if (!sw->name) {
        fprintf(stderr, "esmsim sweep: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < sw->n_settings; i++) {
        const struct sweep_setting *s = &sw->settings[i];
        uint64_t base = 0;
        for (uint64_t k = 0; k < o->seeds; k++) {
            struct sweep_run *run = &sw->runs[i * o->seeds + k];
            const char *ov[SWEEP_MAX_OVERRIDES];
            run->setting = i;
            if (k > 0)
                snprintf(run->seed_override, sizeof run->seed_override, "seed=%" PRIu64, base + k);
            if (!(scn = scn_load(o->scenario, ov, run_overrides(sw, run, SIZE_MAX, ov), err,
                                 sizeof err))) {
                /* Which --vary: the first whose value the scenario refuses
                 * alone; none when only the combination is refused. */
                for (size_t v = 0; v < o->n_vary; v++) {
                    char alone[1024];
                    struct scenario *one = scn_load(o->scenario, ov,
                                                    run_overrides(sw, run, v, ov), alone,
                                                    sizeof alone);
                    if (!one) {
                        fprintf(stderr, "esmsim sweep: --vary %s: setting %s: %s\n",
                                o->vary[v].arg, s->json, alone);
                        return -1;
                    }
                    scn_free(one);
                }
                fprintf(stderr, "esmsim sweep: --vary setting %s: %s\n", s->json, err);
                return -1;
            }
            if (k == 0 && o->seeds > 1) {
                /* the setting's own seed is the first; the others count from it */
                base = scn->cfg.seed;
                if (base > UINT64_MAX - (o->seeds - 1)) {   /* past it they would wrap to 0 */
                    fprintf(stderr, "esmsim sweep: --seeds %" PRIu64 ": setting %s: %" PRIu64
                            " seeds from %" PRIu64 " pass the largest seed, %" PRIu64 "\n",
                            o->seeds, s->json, o->seeds, base, UINT64_MAX);
                    scn_free(scn);
                    return -1;
                }
                snprintf(run->seed_override, sizeof run->seed_override, "seed=%" PRIu64, base);
                scn_free(scn);
                if (!(scn = scn_load(o->scenario, ov, run_overrides(sw, run, SIZE_MAX, ov), err,
                                     sizeof err))) {
                    fprintf(stderr, "esmsim sweep: --seeds: setting %s: %s\n", s->json, err);
                    return -1;
                }
            }
            run->seed = scn->cfg.seed;
            run->json = strdup(scn->json);
            scn_free(scn);
            if (!run->json) {
                fprintf(stderr, "esmsim sweep: out of memory\n");
                return -1;
            }
        }
    }
    return 0;
}

/* ---- --print-runs -------------------------------------------------------- */

/*
 * A word for a shell, on one line whatever it holds: as it is when it is
 * safe, else in single quotes; a word with a control character (a newline
 * in a JSON value) as $'...' with escapes, so that one run stays one line
 * for `sed -n Np` and GNU parallel.  $'...' is read by bash, zsh, ksh and
 * POSIX.1-2024 sh, not by dash.
 */
static void shell_word(FILE *out, const char *w)
{
    bool safe = *w != '\0', control = false;
    for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
        control |= *p < 0x20 || *p == 0x7f;
        safe &= (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || strchr("_-./=:,+@%", *p);
    }
    if (safe) {
        fputs(w, out);
    } else if (!control) {
        fputc('\'', out);
        for (const char *p = w; *p; p++) {
            if (*p == '\'')
                fputs("'\\''", out);
            else
                fputc(*p, out);
        }
        fputc('\'', out);
    } else {
        fputs("$'", out);
        for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
            if (*p == '\\' || *p == '\'')
                fprintf(out, "\\%c", *p);
            else if (*p == '\n')
                fputs("\\n", out);
            else if (*p == '\t')
                fputs("\\t", out);
            else if (*p < 0x20 || *p == 0x7f)
                fprintf(out, "\\x%02x", *p);   /* at most 2 hex digits are read */
            else
                fputc(*p, out);
        }
        fputc('\'', out);
    }
}

/* One `esmsim run` per run, in grid order: what the sweep would simulate. */
static void print_runs(const struct sweep *sw)
{
    for (size_t r = 0; r < sw->n_runs; r++) {
        const struct sweep_run *run = &sw->runs[r];
        const char *ov[SWEEP_MAX_OVERRIDES];
        size_t n = run_overrides(sw, run, SIZE_MAX, ov);
        fputs("esmsim run ", stdout);
        shell_word(stdout, sw->o.scenario);
        for (size_t i = 0; i < n; i++) {
            if (ov[i] == run->seed_override) {
                printf(" --seed %" PRIu64, run->seed);
            } else {
                fputs(" --set ", stdout);
                shell_word(stdout, ov[i]);
            }
        }
        char db[4096];
        snprintf(db, sizeof db, "%s/run-%04zu.db", sw->o.print_runs, r + 1);
        fputs(sw->o.keep_runs ? " --quiet -o " : " --no-record-tables --quiet -o ", stdout);
        shell_word(stdout, db);
        putchar('\n');
    }
}

/* ---- the summary row of a run ---------------------------------------------- */

/* ---- the database ---------------------------------------------------------- */

static int exec(sqlite3 *db, const char *sql, const char *path)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    fprintf(stderr, "esmsim sweep: %s: %s\n", path, sqlite3_errmsg(db));
    return -1;
}

static int record_grid(struct sweep *sw, struct sweep_run *run)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(sw->db, "INSERT INTO temp.sweep_grid (run_id, setting)"
                                " VALUES (?, ?)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run->run_id);
        sqlite3_bind_int64(st, 2, (int64_t)run->setting);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK || rc == SQLITE_DONE) {
        run->state = RUN_DONE;
        return 0;
    }
    fprintf(stderr, "esmsim sweep: %s: %s\n", sw->o.output, sqlite3_errmsg(sw->db));
    run->state = RUN_FAILED;
    return -1;
}

/*
 * Drop the rows of the runs listed in temp.sweep_trim from every per-run
 * table (each table of the run log with a run_id, but runs and
 * sweep_results).  The names come from SWEEP.db's schema, which
 * merge_open() checked is a run log's, and are quoted as identifiers.
 */
static int drop_run_tables(struct sweep *sw)
{
    static const char tables[] =
        "SELECT s.name FROM main.sqlite_schema s WHERE s.type = 'table'"
        " AND s.name NOT IN ('runs', 'sweep_results')"
        " AND EXISTS (SELECT 1 FROM pragma_table_info(s.name) c WHERE c.name = 'run_id')"
        " ORDER BY s.name";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(sw->db, tables, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "esmsim sweep: %s: %s\n", sw->o.output, sqlite3_errmsg(sw->db));
        return -1;
    }
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        char *sql = sqlite3_mprintf("DELETE FROM main.\"%w\" WHERE run_id IN"
                                    " (SELECT run_id FROM temp.sweep_trim)",
                                    (const char *)sqlite3_column_text(st, 0));
        rc = sql ? exec(sw->db, sql, sw->o.output) : -1;
        if (!sql)
            fprintf(stderr, "esmsim sweep: out of memory\n");
        sqlite3_free(sql);
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * The numbers of what is used again of a run the database holds: the tables
 * its sweep_results row is computed from (run_tables), else that row (a text
 * would be averaged as 0 in the ranking).  0, or -1 said on stderr.
 */
static int check_reused(struct sweep *sw, sqlite3 *ref, int64_t run_id, bool run_tables)
{
    static const char *const computed_from[] = { "invocations", "metrics", NULL },
                             *const row[] = { "sweep_results", NULL };
    char err[1024];
    for (const char *const *t = run_tables ? computed_from : row; *t; t++)
        if (runread_check_numbers(sw->db, ref, *t, NULL, run_id, sw->o.output, err,
                                  sizeof err) < 0) {
            fprintf(stderr, "esmsim sweep: %s\n", err);
            return -1;
        }
    return 0;
}

/* find_runs without its transaction. */
static int find_runs_in(struct sweep *sw)
{
    static const char lookup[] =
        "SELECT r.run_id, s.run_id IS NOT NULL, coalesce(s.run_tables, 1), s.drain_below_ms"
        " FROM runs r LEFT JOIN sweep_results s ON s.run_id = r.run_id"
        " WHERE r.scenario_json = ?1 AND r.seed = ?2 AND r.complete = 1"
        " AND r.esmsim_version = ?3"
        " ORDER BY coalesce(s.run_tables, 1) DESC, r.run_id DESC LIMIT 1";
    char err[1024];
    sqlite3_stmt *st = NULL, *rename = NULL, *trim = NULL;
    struct runlog *ref = runread_reference(err, sizeof err);
    if (!ref) {
        fprintf(stderr, "esmsim sweep: %s\n", err);
        return -1;
    }
    if (sqlite3_prepare_v2(sw->db, lookup, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(sw->db, "UPDATE sweep_results SET setting = ? WHERE run_id = ?", -1,
                           &rename, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(sw->db, "INSERT OR IGNORE INTO temp.sweep_trim (run_id) VALUES (?)",
                           -1, &trim, NULL) != SQLITE_OK) {
        fprintf(stderr, "esmsim sweep: %s: %s\n", sw->o.output, sqlite3_errmsg(sw->db));
        sqlite3_finalize(st);
        sqlite3_finalize(rename);
        runlog_close(ref);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < sw->n_runs && rc == 0; i++) {
        struct sweep_run *run = &sw->runs[i];
        const char *setting = sw->settings[run->setting].json;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, run->json, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)run->seed);
        sqlite3_bind_text(st, 3, ESMSIM_VERSION, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        int64_t run_id = sqlite3_column_int64(st, 0);
        bool has_row = sqlite3_column_int(st, 1), has_tables = sqlite3_column_int(st, 2);
        int64_t drain_below = sqlite3_column_int64(st, 3);
        if (has_tables) {
            if (check_reused(sw, runlog_db(ref), run_id, true) < 0) {
                rc = -1;
                break;
            }
            if (rank_summarize(sw->db, run_id, setting, sw->o.drain_below_ms, sw->o.keep_runs, err,
                          sizeof err) < 0) {
                fprintf(stderr, "esmsim sweep: %s: %s\n", sw->o.output, err);
                rc = -1;
                break;
            }
            if (!sw->o.keep_runs) {
                sqlite3_reset(trim);
                sqlite3_bind_int64(trim, 1, run_id);
                if (sqlite3_step(trim) != SQLITE_DONE) {
                    fprintf(stderr, "esmsim sweep: %s: %s\n", sw->o.output,
                            sqlite3_errmsg(sw->db));
                    rc = -1;
                    break;
                }
                sw->trimmed += (size_t)sqlite3_changes(sw->db);
            }
        } else if (has_row && !sw->o.keep_runs && drain_below == sw->o.drain_below_ms) {
            if (check_reused(sw, runlog_db(ref), run_id, false) < 0) {
                rc = -1;
                break;
            }
            sqlite3_reset(rename);
            sqlite3_bind_text(rename, 1, setting, -1, SQLITE_STATIC);
            sqlite3_bind_int64(rename, 2, run_id);
            if (sqlite3_step(rename) != SQLITE_DONE) {
                fprintf(stderr, "esmsim sweep: %s: %s\n", sw->o.output, sqlite3_errmsg(sw->db));
                rc = -1;
                break;
            }
        } else {
            continue;
        }
        run->run_id = run_id;
        rc = record_grid(sw, run);
        sw->reused++;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(rename);
    sqlite3_finalize(trim);
    runlog_close(ref);
    return rc;
}

/*
 * Runs the database already holds: complete, of this esmsim version, with
 * the same effective scenario and seed.  One with its tables gets its row
 * computed again, and without --keep-runs its own tables are then dropped
 * (runs merged from a cluster: SWEEP.db ends as a local sweep's would, not
 * hundreds of times bigger), all in one transaction; one without keeps its
 * row (with the setting renamed) when the row fits the options, else it is
 * run again.
 */
static int find_runs(struct sweep *sw)
{
    if (exec(sw->db, "BEGIN IMMEDIATE", sw->o.output) < 0)
        return -1;
    int rc = find_runs_in(sw);
    if (rc == 0 && sw->trimmed > 0)
        rc = drop_run_tables(sw);
    if (rc == 0)
        rc = exec(sw->db, "COMMIT", sw->o.output);
    if (rc < 0) {
        sqlite3_exec(sw->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    /* The pages freed go back to the file system: VACUUM rewrites what is
     * left (the runs and sweep_results rows, and any run kept whole).  The
     * rows are dropped whether it succeeds or not (a reader holding an old
     * snapshot, no room for the copy): the sweep goes on. */
    if (sw->trimmed > 0 && sqlite3_exec(sw->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
        fprintf(stderr, "esmsim sweep: %s: cannot vacuum (%s): the file keeps its free pages until"
                " `sqlite3 %s VACUUM`\n", sw->o.output, sqlite3_errmsg(sw->db), sw->o.output);
    return 0;
}

static int open_db(struct sweep *sw)
{
    char err[1024];
    if (!(sw->db = merge_open(sw->o.output, err, sizeof err))) {
        fprintf(stderr, "esmsim sweep: %s\n", err);
        return -1;
    }
    return exec(sw->db, results_table, sw->o.output) < 0 ||
           exec(sw->db, "CREATE TEMP TABLE sweep_grid (run_id INTEGER NOT NULL,"
                        " setting INTEGER NOT NULL);"
                        "CREATE TEMP TABLE sweep_trim (run_id INTEGER PRIMARY KEY)",
                sw->o.output) < 0 ? -1 : 0;
}

/* ---- running --------------------------------------------------------------- */

/*
 * In the child: the run into its own database, then its sweep_results row
 * there.  Returns the exit status.  The parent's connection to the sweep
 * database is left alone (never closed here: closing it would act on the
 * parent's file).
 */
static int child_main(const struct sweep *sw, const struct sweep_run *run)
{
    char err[1024];
    const char *ov[SWEEP_MAX_OVERRIDES];
    size_t n = run_overrides(sw, run, SIZE_MAX, ov);
    struct scenario *scn = scn_load(sw->o.scenario, ov, n, err, sizeof err);
    if (!scn) {
        fprintf(stderr, "esmsim sweep: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    /* The row needs none of the per-record tables: without --keep-runs,
     * writing them would only slow the run down. */
    if (!sw->o.keep_runs)
        scn->per_record_tables = false;
    struct simulation r;
    /* One thread a run: -j already gives each core a run of its own. */
    int rc = simulation_run(&r, scn, run->files.path, NULL, false, NULL, 1);
    if (rc == EXIT_OK && r.status == SIM_INTERRUPTED) {
        rc = EXIT_INTERRUPTED;
    } else if (rc == EXIT_OK && r.status == SIM_FAILED) {
        fprintf(stderr, "esmsim sweep: run stopped: %s\n",
                runlog_error(r.rl) ? runlog_error(r.rl) : "out of memory");
        rc = EXIT_FAILED;
    }
    int64_t run_id = r.run_id;
    simulation_close(&r);
    scn_free(scn);
    if (rc != EXIT_OK)
        return rc;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(run->files.path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(db, results_table, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "esmsim sweep: %s: %s\n", run->files.path,
                db ? sqlite3_errmsg(db) : "out of memory");
        rc = EXIT_FAILED;
    } else if (rank_summarize(db, run_id, sw->settings[run->setting].json, sw->o.drain_below_ms,
                              sw->o.keep_runs, err, sizeof err) < 0) {
        fprintf(stderr, "esmsim sweep: %s: %s\n", run->files.path, err);
        rc = EXIT_FAILED;
    }
    sqlite3_close(db);
    return rc;
}

/*
 * A run's database is SWEEP.db.run-XXXXXX, with its lock file (leftover.h):
 * the lock, held by this process and the run's child, is released by the
 * kernel however they end, even by SIGKILL, and a later sweep removes the
 * files of a lock no one holds (remove_left_runs).
 */
static const char run_infix[] = ".run-";

/* The lock file and the database of a run: 0, or -1 said on stderr. */
static int make_run_files(const struct sweep *sw, struct sweep_run *run)
{
    char err[4200];
    if (leftover_make(&run->files, sw->o.output, run_infix, "a run's database", err,
                      sizeof err) < 0) {
        fprintf(stderr, "esmsim sweep: %s\n", err);
        return -1;
    }
    return 0;
}

/*
 * Before a sweep: the files of the runs that a sweep killed outright
 * (SIGKILL, no handler ran) left beside SWEEP.db, a run that had finished
 * but was not yet appended among them: those of the runs whose lock no one
 * holds (a sweep still running holds the locks of its runs).  Said on
 * stderr.
 */
static void remove_left_runs(const struct sweep *sw)
{
    size_t removed = leftover_remove_unlocked(sw->o.output, run_infix);
    if (removed > 0)
        fprintf(stderr, "esmsim sweep: removed the files of %zu run%s a killed sweep left beside"
                " %s\n", removed, removed == 1 ? "" : "s", sw->o.output);
}

static int launch(struct sweep *sw, struct sweep_run *run)
{
    /* Locked before the child exists: from its first byte to its removal,
     * the run's database is never a file no one holds. */
    if (make_run_files(sw, run) < 0)
        return -1;
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* The run's own handlers before the parent's mask is lifted: a
         * SIGTERM from the parent, pending or to come, stops the run; so
         * does the parent's death, even by SIGKILL (the last resort), and
         * a run stopped removes its database, which no one merges. */
        simulation_catch_signals();
        signal(SIGCHLD, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            raise(SIGTERM);   /* the parent died before the line above */
        sigprocmask(SIG_SETMASK, &sw->unblocked, NULL);
        /* The other runs' locks are the parent's: held here, they would
         * outlive its death for as long as this run takes to stop. */
        for (size_t i = 0; i < sw->n_runs; i++)
            if (sw->runs[i].files.path && &sw->runs[i] != run)
                close(sw->runs[i].files.lock);
        int rc = child_main(sw, run);
        if (rc == EXIT_INTERRUPTED)
            leftover_remove(&run->files);
        _exit(rc);
    }
    if (pid < 0) {
        fprintf(stderr, "esmsim sweep: cannot start a process: %s\n", strerror(errno));
        leftover_remove(&run->files);
        return -1;
    }
    run->pid = pid;
    run->state = RUN_RUNNING;
    return 0;
}

/* A finished child: its run appended to the sweep database, or a failure said. */
static void collect(struct sweep *sw, struct sweep_run *run)
{
    char err[1024];
    if (run->exit_status == 0) {
        int64_t offset = 0, n = 0;
        if (merge_append(sw->db, run->files.path, sw->o.keep_runs ? NULL : summary_tables,
                         &offset, &n, err, sizeof err) < 0) {
            fprintf(stderr, "esmsim sweep: %s: %s\n", sw->o.output, err);
            run->state = RUN_FAILED;
        } else {
            run->run_id = offset + 1;   /* the child's database holds its run only, run 1 */
            if (record_grid(sw, run) == 0)
                sw->simulated++;
        }
    } else {
        if (run->exit_status != 130)
            fprintf(stderr, "esmsim sweep: the run of setting %s, seed %" PRIu64 " failed"
                    " (exit status %d)\n", sw->settings[run->setting].json, run->seed,
                    run->exit_status);
        run->state = RUN_FAILED;
    }
    if (run->state == RUN_FAILED)
        sw->failed++;
    leftover_remove(&run->files);
}

/*
 * Append the finished runs in grid order: up to the first one still
 * running (or, with all, every finished one).
 */
static void collect_in_order(struct sweep *sw, size_t *todo, size_t n_todo, size_t *next,
                             bool all)
{
    for (; *next < n_todo; (*next)++) {
        struct sweep_run *run = &sw->runs[todo[*next]];
        if (run->state == RUN_FINISHED)
            collect(sw, run);
        else if (!all || run->state == RUN_RUNNING)
            break;
    }
}

static void show_progress(const struct sweep *sw, size_t done, size_t running, double started)
{
    fprintf(stderr, "\r[%zu/%zu runs] %zu running, %zu used again, %.0f s  ", done + sw->reused,
            sw->n_runs, running, sw->reused, simulation_wall_seconds() - started);
}

/* Simulate the runs the database does not hold, -j at a time. */
static void run_all(struct sweep *sw, double started)
{
    size_t *todo = calloc(sw->n_runs ? sw->n_runs : 1, sizeof *todo), n_todo = 0;
    if (!todo) {
        fprintf(stderr, "esmsim sweep: out of memory\n");
        sw->failed = sw->n_runs;
        return;
    }
    for (size_t i = 0; i < sw->n_runs; i++)
        if (sw->runs[i].state == RUN_TODO)
            todo[n_todo++] = i;

    /* The stop signals and a child's end are blocked but in sigsuspend, so
     * that one arriving between the loop's look at sweep_interrupted and
     * its wait is not lost (a blocking waitpid slept through it until the
     * next child ended: hours, for a long run). */
    sigset_t wake;
    sigemptyset(&wake);
    stopsig_add(&wake);
    sigaddset(&wake, SIGCHLD);
    struct sigaction child = { .sa_handler = sweep_on_child }, old_child;
    sigemptyset(&child.sa_mask);
    sigaction(SIGCHLD, &child, &old_child);
    sigprocmask(SIG_BLOCK, &wake, &sw->unblocked);

    bool progress = isatty(STDERR_FILENO), stopping = false;
    size_t launched = 0, merged = 0, running = 0, done = 0;
    for (;;) {
        if (sweep_interrupted && !stopping) {
            stopping = true;
            for (size_t i = 0; i < n_todo; i++)
                if (sw->runs[todo[i]].state == RUN_RUNNING)
                    kill(sw->runs[todo[i]].pid, SIGTERM);
        }
        while (!stopping && running < sw->o.jobs && launched < n_todo) {
            if (launch(sw, &sw->runs[todo[launched]]) < 0) {
                stopping = true;
                sw->failed++;
                break;
            }
            launched++;
            running++;
            if (running > sw->peak)
                sw->peak = running;
        }
        collect_in_order(sw, todo, n_todo, &merged, false);
        if (progress)
            show_progress(sw, done, running, started);
        if (running == 0)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0) {   /* none ended yet: until one does, or a signal */
            sigsuspend(&sw->unblocked);
            continue;
        }
        if (pid < 0)
            break;   /* no child left: cannot happen while running > 0 */
        for (size_t i = 0; i < n_todo; i++) {
            struct sweep_run *run = &sw->runs[todo[i]];
            if (run->state == RUN_RUNNING && run->pid == pid) {
                run->state = RUN_FINISHED;
                run->exit_status = WIFEXITED(status) ? WEXITSTATUS(status)
                                                     : 128 + WTERMSIG(status);
                running--;
                done++;
            }
        }
    }
    collect_in_order(sw, todo, n_todo, &merged, true);
    /* Launched or not, a run never finished has no database left. */
    for (size_t i = 0; i < n_todo; i++)
        leftover_remove(&sw->runs[todo[i]].files);
    if (progress)
        fputs("\r\033[K", stderr);
    sigprocmask(SIG_SETMASK, &sw->unblocked, NULL);
    sigaction(SIGCHLD, &old_child, NULL);
    free(todo);
}

/* ---- the command ------------------------------------------------------------------ */

static void sweep_free(struct sweep *sw)
{
    for (size_t i = 0; i < sw->n_settings && sw->settings; i++) {
        for (size_t k = 0; k < sw->o.n_vary && sw->settings[i].overrides; k++)
            free(sw->settings[i].overrides[k]);
        free(sw->settings[i].overrides);
        free(sw->settings[i].values);
        cJSON_free(sw->settings[i].json);
    }
    free(sw->settings);
    for (size_t i = 0; i < sw->n_runs && sw->runs; i++) {
        free(sw->runs[i].json);
        free(sw->runs[i].files.path);
    }
    free(sw->runs);
    for (size_t k = 0; k < sw->o.n_vary; k++) {
        for (size_t v = 0; v < sw->o.vary[k].n_values; v++)
            free(sw->o.vary[k].values[v]);
        free(sw->o.vary[k].values);
        free(sw->o.vary[k].path);
    }
    free(sw->name);
    sqlite3_close(sw->db);
}

int cmd_sweep(int argc, char **argv)
{
    static const struct opt_command cmd = {
        "sweep", sweep_opts, 1, 1, "missing SCENARIO", sweep_usage,
    };
    struct sweep sw = {
        .o = { .output = "sweep.db", .seeds = 1, .objective = rank_objective("p99"),
               .jobs = default_jobs() },
    };
    double started = simulation_wall_seconds();
    /* From the start, so that a Ctrl-C while the grid is checked or the
     * database opened is not lost (a script's background job starts with
     * SIGINT ignored); not SA_RESTART: a wait returns on a signal.  A
     * hangup too, unless nohup ignores it: the runs stopped, their databases
     * removed, rather than esmsim gone and its runs going on without it. */
    struct stopsig_saved old;
    stopsig_catch(sweep_on_signal, &old);
    struct opt_args a;
    enum opt_result parsed = opt_parse(&cmd, argc, argv, &a);
    int rc = parsed == OPT_HELP ? EXIT_OK : EXIT_BAD_INPUT;
    if (parsed != OPT_OK || read_opts(&a, &sw.o) < 0)
        goto out;
    if (build_settings(&sw) < 0 || validate(&sw) < 0)
        goto out;
    if (sw.o.print_runs) {
        print_runs(&sw);
        rc = EXIT_OK;
        goto out;
    }
    /* no gnuplot for the chart: refused as plot refuses, before hours of runs */
    char err[256];
    if (!sw.o.no_chart && gp_find(err, sizeof err) < 0) {
        fprintf(stderr, "esmsim sweep: %s\n", err);
        goto out;
    }
    remove_left_runs(&sw);
    if (open_db(&sw) < 0 || find_runs(&sw) < 0)
        goto out;
    run_all(&sw, started);
    /* From here a signal stops the chart (no gnuplot starts, or the one
     * drawing is stopped) and the command ends 130 (cli_main): with
     * sweep_on_signal's flag alone, a Ctrl-C during the ranking was lost. */
    gp_catch_signals();
    if (sweep_interrupted) {
        fprintf(stderr, "esmsim sweep: interrupted: %zu of %zu runs are in %s; the same command"
                " again simulates only the others\n", sw.simulated + sw.reused, sw.n_runs,
                sw.o.output);
        rc = EXIT_INTERRUPTED;
        goto out;
    }
    printf("%s: %zu setting%s x %" PRIu64 " seed%s = %zu run%s: %zu simulated, %zu used again"
           " from %s, %zu failed, in %.1f s wall", sw.name, sw.n_settings,
           sw.n_settings == 1 ? "" : "s", sw.o.seeds, sw.o.seeds == 1 ? "" : "s", sw.n_runs,
           sw.n_runs == 1 ? "" : "s", sw.simulated, sw.reused, sw.o.output, sw.failed,
           simulation_wall_seconds() - started);
    if (sw.peak > 0)   /* the processes that ran, not -j: none when nothing was simulated */
        printf(" with at most %zu process%s", sw.peak, sw.peak == 1 ? "" : "es");
    putchar('\n');
    if (sw.trimmed > 0)
        printf("%s: dropped the invocations, metrics and other rows of the %zu run%s used again"
               " (sweep_results has their figures; --keep-runs keeps them)\n", sw.o.output,
               sw.trimmed, sw.trimmed == 1 ? "" : "s");
    struct rank_param params[RANK_MAX_PARAMS];
    for (size_t k = 0; k < sw.o.n_vary; k++)
        params[k] = (struct rank_param){ sw.o.vary[k].path, sw.o.vary[k].values,
                                         sw.o.vary[k].n_values };
    const struct rank_sweep ranking = {
        .db = sw.db, .output = sw.o.output, .name = sw.name, .params = params,
        .n_params = sw.o.n_vary, .n_settings = sw.n_settings, .seeds = sw.o.seeds,
        .objective = sw.o.objective, .chart = !sw.o.no_chart,
    };
    rc = rank_show(&ranking) == 0 && sw.failed == 0 ? EXIT_OK : EXIT_FAILED;
out:
    opt_free(&a);
    sweep_free(&sw);
    stopsig_restore(&old);
    return rc;
}
