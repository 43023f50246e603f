/*
 * footprint.c - the memory a scenario's run may need (see footprint.h),
 * from the validated scenario alone, and the memory the machine gives.
 *
 * The sizes below are those of the simulation's data structures; the
 * growth factor 2 is that of every table that doubles when full (rings,
 * arrays, hash indexes): one holding n entries has room for at most 2n.
 * While a ring doubles, its old copy is still there: one ring at a time
 * (the run is one thread), so the largest ring counts once more.
 * tests/cli.sh runs scenarios that reach the bound and checks that the
 * peak memory stays below the estimate and within a small factor of it.
 *
 * Times: H = min(duration, retention + 1 s + the longest function timeout)
 * is the longest a record stays in the stream (a trim pass runs on whole
 * seconds; an invocation in flight keeps its records until it completes).
 * A message may first wait in its producer (linger, then the retry waits
 * of every attempt) and then in the stream: W = min(duration, H + P).
 */
#include "footprint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "observer.h"
#include "stream.h"

#define US_PER_S 1e6
#define GROWTH 2.0                 /* a doubling table holds up to twice its entries */
#define MSG_BYTES 40.0             /* struct msg in msgtab.c */
#define LANE_QUEUE_BYTES 16.0      /* a record in a lane's queue: index, event bytes (mapping_int.h idxq) */
/* A distinct partition key: the key table's pointer, MD5, lengths (32 bytes,
 * doubled), its hash index (4 bytes in a table at least twice as large, doubled),
 * the stream's routing cache and the mapping's last sequence per key (8 bytes
 * each, doubled), plus the text. */
#define KEY_BYTES (32.0 * GROWTH + 4.0 * 2 * GROWTH + 8.0 * GROWTH + 8.0 * GROWTH)
#define KEY_SPACE_BYTES 9.0        /* a producer's index -> key id slot and its drawn byte, for every key of its space */
/* Zipf: GSL's alias table (16 bytes a key) and, while it is built, the
 * weights and GSL's two stacks and its scratch array (32 bytes). */
#define ZIPF_BYTES 48.0
#define REQUEST_BYTES (32.0 * GROWTH + 40.0 * GROWTH)   /* a request slot, and its engine event */
/* A shard: the stream's and the mapping's structs, the IteratorAge
 * histogram (1,281 bins), the smallest record ring, its events. */
#define SHARD_BYTES 24576.0
#define LANE_BYTES 512.0
#define BATCH_RECORD_BYTES 28.0    /* per BatchSize in each lane: index, failure slot, response item */
#define WINDOW_ENTRY_BYTES 56.0    /* a key's count in a window state (window.c), index included */
#define WINDOW_STATE_JSON 1048576.0   /* a state past 1 MB of JSON ends its window early (R15) */
#define EVENT_BYTES (40.0 * GROWTH)   /* a pending engine event */
#define ODM_SECOND_BYTES 16.0      /* ondemand.c: a second of a shard's window, or of a peak queue */
/* The program, GSL, SQLite and cJSON loaded, the run log's 8 MiB page
 * cache, the summary's figures: measured at 13 MiB for a 1-shard run;
 * and the queues of the observer's and the run log's threads, 4 MiB each
 * (logthread.c; --threads 2 or more, the default on a machine of 2 cores
 * or more): counted whatever --threads, so that a run's memory budget,
 * and where a run stopped by it stops, is the same for every N. */
#define PROGRAM_BYTES (20.0 * 1048576)

const char *fpt_part_name(enum fpt_part p)
{
    static const char *const names[FPT_PARTS] = {
        "messages", "records", "keys", "requests", "shards", "scenario", "program" };
    return p < FPT_PARTS ? names[p] : "?";
}

/* ---- producers ------------------------------------------------------------ */

struct edge {
    int64_t at_us;
    double log_mult;           /* added at a burst's start, taken off at its end */
    int zeros;                 /* +1 / -1: a burst with multiplier 0 (an off period) */
};

static int edge_cmp(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    return (x->at_us > y->at_us) - (x->at_us < y->at_us);
}

/*
 * Messages p creates over the run, and its highest rate: the rate (of the
 * series' piece in force, with a rate series) times the multipliers of the
 * bursts in force (they multiply where they overlap), piece by piece
 * between burst edges and series pieces, from start to stop or the end.  A
 * constant arrival may make one more record a piece than rate x length;
 * a Poisson one makes that many on average.
 */
static void producer_rates(const struct cfg_producer *p, int64_t end_us, double *created,
                           double *peak)
{
    int64_t from = p->start_us, to = p->stop_us < end_us ? p->stop_us : end_us;
    *created = *peak = 0;
    if (to <= from)
        return;
    size_t n = 0;
    struct edge *e = malloc((2 * p->n_bursts + 1) * sizeof *e);
    if (!e) {   /* no memory to estimate with: assume the worst */
        *created = *peak = HUGE_VAL;
        return;
    }
    for (size_t i = 0; i < p->n_bursts; i++) {
        const struct cfg_burst *b = &p->bursts[i];
        bool off = b->multiplier == 0;
        double lm = off ? 0 : log(b->multiplier);
        e[n++] = (struct edge){ b->at_us, lm, off };
        e[n++] = (struct edge){ b->at_us + b->for_us, -lm, -off };
    }
    qsort(e, n, sizeof *e, edge_cmp);
    double log_mult = 0;
    int zeros = 0;
    size_t i = 0, piece = 0;   /* piece: the first series piece after t */
    for (int64_t t = from; t < to;) {
        for (; i < n && e[i].at_us <= t; i++) {
            log_mult += e[i].log_mult;
            zeros += e[i].zeros;
        }
        int64_t next = i < n && e[i].at_us < to ? e[i].at_us : to;
        double base = p->rate;
        if (p->series) {
            while (piece < p->n_series && p->series[piece].at_us <= t)
                piece++;
            base = p->series[piece - 1].rate;   /* the first piece starts at 0 */
            if (piece < p->n_series && p->series[piece].at_us < next)
                next = p->series[piece].at_us;
        }
        double rate = zeros > 0 ? 0 : base * exp(log_mult);
        if (rate > 0) {
            *created += rate * (double)(next - t) / US_PER_S + 1;
            if (rate > *peak)
                *peak = rate;
        }
        t = next;
    }
    free(e);
}

/* How long p may hold a message before the stream has it or it is given
 * up, in s: the linger, then the wait before each retry (without jitter,
 * its largest), at most the run. */
static double producer_hold_s(const struct cfg_producer *p, double duration_s)
{
    const struct cfg_retry *r = &p->retry;
    double hold = (double)p->linger_us / US_PER_S;
    uint32_t attempts = r->mode == CFG_RETRY_NONE ? 1 : r->max_attempts;
    for (uint32_t k = 1; k < attempts && hold < duration_s; k++) {
        double w = (double)r->base_us;
        if (r->backoff == CFG_BACKOFF_LINEAR)
            w *= k;
        else if (r->backoff == CFG_BACKOFF_EXPONENTIAL)
            w = ldexp(w, k - 1 < 1000 ? (int)k - 1 : 1000);
        if (r->max_us > 0 && w > (double)r->max_us)
            w = (double)r->max_us;
        hold += w / US_PER_S;
    }
    return hold < duration_s ? hold : duration_s;
}

/* The longest key p can draw, in bytes. */
static double producer_key_bytes(const struct cfg_producer *p)
{
    const struct cfg_keys *k = &p->keys;
    size_t longest = 0;
    for (size_t i = 0; i < k->n_list; i++)
        if (strlen(k->list[i]) > longest)
            longest = strlen(k->list[i]);
    if (!k->list)
        longest = (k->prefix ? strlen(k->prefix) : 0) + 10;   /* up to 4294967293 */
    return (double)longest;
}

/* ---- shards ----------------------------------------------------------------- */

/* Shards the stream may make over the run, and the most open at once. */
static void shard_counts(const struct cfg_sim *cfg, double *made, double *open_max)
{
    const struct cfg_stream *st = &cfg->stream;
    if (st->type == CFG_STREAM_DYNAMODB) {
        double rollovers = floor((double)(cfg->duration_us - 1) / (double)st->shard_lifetime_us);
        *made = (double)st->shards * (rollovers + 1);
        *open_max = st->shards;
        return;
    }
    if (st->capacity_mode == CFG_CAPACITY_ON_DEMAND) {   /* as many as the maximum throughput takes */
        *made = stm_on_demand_max_made(st);
        *open_max = stm_on_demand_max_open(st);
        return;
    }
    double open = st->shards;
    *made = *open_max = open;
    for (size_t i = 0; i < st->n_reshard; i++) {
        const struct cfg_reshard *r = &st->reshard[i];
        if (r->kind == CFG_RESHARD_SPLIT) {
            *made += 2;
            open += 1;
        } else if (r->kind == CFG_RESHARD_MERGE) {
            *made += 1;
            open -= 1;
        } else {
            /* UpdateShardCount from n to t: at most t - 1 splits, then
             * merges down to t: at most n + 2t - 3 new shards. */
            *made += open + 2.0 * r->target;
            open = r->target;
        }
        if (open > *open_max)
            *open_max = open;
    }
}

/* The largest BatchSize, ParallelizationFactor and function timeout of the
 * run, scheduled changes included; whether windows are ever on. */
static void run_maxima(const struct cfg_sim *cfg, double *batch, double *lanes, double *timeout_s,
                       bool *windows)
{
    *batch = cfg->mapping.batch_size;
    *lanes = cfg->mapping.parallelization_factor;
    *timeout_s = (double)cfg->function.timeout_us / US_PER_S;
    *windows = cfg->mapping.tumbling_window_us > 0;
    for (size_t i = 0; i < cfg->n_schedule; i++) {
        const struct cfg_mapping *m = cfg->schedule[i].mapping;
        const struct cfg_function *f = cfg->schedule[i].function;
        if (m && m->batch_size > *batch)
            *batch = m->batch_size;
        if (m && m->parallelization_factor > *lanes)
            *lanes = m->parallelization_factor;
        if (m && m->tumbling_window_us > 0)
            *windows = true;
        if (f && (double)f->timeout_us / US_PER_S > *timeout_s)
            *timeout_s = (double)f->timeout_us / US_PER_S;
    }
}

/* ---- the estimate ------------------------------------------------------------ */

/* The longest batching window of the run, in s. */
static double batching_window_s(const struct cfg_sim *cfg)
{
    double w = (double)cfg->mapping.batching_window_us;
    for (size_t i = 0; i < cfg->n_schedule; i++)
        if (cfg->schedule[i].mapping && (double)cfg->schedule[i].mapping->batching_window_us > w)
            w = (double)cfg->schedule[i].mapping->batching_window_us;
    return w / US_PER_S;
}

void fpt_estimate(const struct cfg_sim *cfg, size_t scenario_bytes, enum fpt_case c,
                  struct fpt_estimate *out)
{
    *out = (struct fpt_estimate){ .top_producer = SIZE_MAX };
    double duration_s = (double)cfg->duration_us / US_PER_S;
    double batch, lanes, timeout_s, made, open_max;
    bool windows;
    run_maxima(cfg, &batch, &lanes, &timeout_s, &windows);
    shard_counts(cfg, &made, &open_max);
    out->shards = made;

    /* Keeping up, a record waits for the next poll, fills a batch for at most
     * the batching window, and is in an invocation for at most the timeout;
     * stalled, it stays until retention trims it (or the invocation holding
     * it ends). */
    double hold = c == FPT_KEEPING_UP
        ? (double)cfg->model.poll_interval_us / US_PER_S + batching_window_s(cfg) + timeout_s + 1
        : (double)cfg->stream.retention_us / US_PER_S + 1 + timeout_s;
    out->hold_s = hold < duration_s ? hold : duration_s;
    double p_hold_max = 0;
    for (size_t i = 0; i < cfg->n_producers; i++) {
        double h = producer_hold_s(&cfg->producers[i], duration_s);
        if (h > p_hold_max)
            p_hold_max = h;
    }
    out->window_s = out->hold_s + p_hold_max < duration_s ? out->hold_s + p_hold_max : duration_s;

    /* Messages, records, keys and requests, producer by producer. */
    double records = 0, written = 0, top = -1, key_text = 0, min_key = 1e9, series_bytes = 0;
    for (size_t i = 0; i < cfg->n_producers; i++) {
        const struct cfg_producer *p = &cfg->producers[i];
        double created, peak;
        producer_rates(p, cfg->duration_us, &created, &peak);
        double msgs = fmin(created, peak * out->window_s);
        double copies = p->retry.mode == CFG_RETRY_ALL ? p->retry.max_attempts : 1;
        records += fmin(created, peak * (out->hold_s + 1)) * copies;
        written += created * copies;
        out->messages += msgs;
        if (msgs > top) {
            top = msgs;
            out->top_producer = i;
        }
        double space = p->keys.list ? (double)p->keys.n_list : (double)p->keys.count;
        double keys = fmin(space, created), key_bytes = producer_key_bytes(p);
        out->keys += keys;
        out->key_space += space;
        key_text += keys * (key_bytes + 1);
        min_key = fmin(min_key, key_bytes);
        out->bytes[FPT_KEYS] += space * (KEY_SPACE_BYTES +
                                         (p->keys.distribution == CFG_KEYS_ZIPF ? ZIPF_BYTES : 0));
        /* A request is sent when full, or a linger after its first record:
         * so many a second at most, each held for its producer's hold. */
        double linger_s = fmax((double)p->linger_us / US_PER_S, 1 / US_PER_S);
        double per_s = fmin(peak, peak / p->max_records + 1 / linger_s);
        double slots = 1 + fmin(created, per_s * producer_hold_s(p, duration_s));
        double entry = sizeof(struct stm_put_entry) + (p->retry.mode == CFG_RETRY_ALL ? 1 : 0);
        out->bytes[FPT_REQUESTS] += slots * (p->max_records * entry + REQUEST_BYTES);
        series_bytes += (double)p->n_series * sizeof *p->series;
    }
    double explicit_bytes = 0;
    for (size_t i = 0; i < cfg->n_records; i++) {
        double key = (double)strlen(cfg->records[i].partition_key);
        explicit_bytes += 2 * (double)strlen(cfg->records[i].data) + key + 1 + 8 + 8 + EVENT_BYTES;
        key_text += key + 1;
        min_key = fmin(min_key, key);
    }
    out->messages += (double)cfg->n_records;
    out->keys += (double)cfg->n_records;
    records += (double)cfg->n_records;
    written += (double)cfg->n_records;
    /* Kinesis: a shard takes write_records_per_sec a second at most. */
    if (cfg->stream.type == CFG_STREAM_KINESIS)
        records = fmin(records, (double)cfg->stream.write_records_per_sec * open_max * (out->hold_s + 1));
    out->records = records;

    /* the observer holds its own entry of each (observer.h) */
    out->bytes[FPT_MESSAGES] = out->messages * (MSG_BYTES + OBS_MESSAGE_BYTES) * GROWTH;
    out->bytes[FPT_RECORDS] = records * (sizeof(struct stm_record) + LANE_QUEUE_BYTES +
                                         OBS_RECORD_BYTES) * GROWTH;
    if (out->messages * MSG_BYTES >= records * sizeof(struct stm_record))   /* the old copy */
        out->bytes[FPT_MESSAGES] += out->messages * MSG_BYTES;
    else
        out->bytes[FPT_RECORDS] += records * sizeof(struct stm_record);
    /* the observer's state of each key, by key id in a doubling array */
    out->bytes[FPT_KEYS] += out->keys * (KEY_BYTES + OBS_KEY_BYTES * GROWTH) + key_text;
    /* A window state holds a count per key, until its JSON passes 1 MB. */
    double window_keys = windows ? fmin(out->keys, WINDOW_STATE_JSON / (min_key + 5)) : 0;
    /* A lane's batch buffers grow with the largest batch it took: BatchSize,
     * and all lanes together no more than the records written. */
    out->bytes[FPT_SHARDS] = made * (SHARD_BYTES + lanes * (LANE_BYTES + window_keys * WINDOW_ENTRY_BYTES)) +
                             fmin(made * lanes * batch, written) * BATCH_RECORD_BYTES;
    /* On demand, the scaler (ondemand.c): a second's writes for each second of
     * the scale window, per open shard; the two peak queues, a second each
     * at most, doubling. */
    const struct cfg_stream *st = &cfg->stream;
    if (st->type == CFG_STREAM_KINESIS && st->capacity_mode == CFG_CAPACITY_ON_DEMAND)
        out->bytes[FPT_SHARDS] += open_max * (double)st->on_demand.scale_window_s * ODM_SECOND_BYTES +
                                  2 * fmin(duration_s, (double)st->on_demand.peak_window_s) *
                                      ODM_SECOND_BYTES * GROWTH;
    out->bytes[FPT_SCENARIO] = 2.0 * (double)scenario_bytes + explicit_bytes +
                               series_bytes;
    out->bytes[FPT_PROGRAM] = PROGRAM_BYTES;
    for (int i = 0; i < FPT_PARTS; i++)
        out->total += out->bytes[i];
}

/* ---- the machine ---------------------------------------------------------------- */

/* The memory.max of this process's cgroup v2, or 0 (none, "max", unknown). */
static uint64_t cgroup_limit(void)
{
    char line[512], path[600];
    FILE *f = fopen("/proc/self/cgroup", "r");
    uint64_t limit = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "0::", 3) != 0)
            continue;
        line[strcspn(line, "\n")] = '\0';
        snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", line + 3);
        FILE *m = fopen(path, "r");
        unsigned long long v;
        if (m && fscanf(m, "%llu", &v) == 1)
            limit = v;
        if (m)
            fclose(m);
    }
    fclose(f);
    return limit;
}

uint64_t fpt_available(const char **what)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t avail = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    *what = "this machine's memory";
    uint64_t cg = cgroup_limit();
    if (cg && (!avail || cg < avail)) {
        avail = cg;
        *what = "this process's cgroup memory.max";
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (!avail || (uint64_t)rl.rlim_cur < avail)) {
        avail = (uint64_t)rl.rlim_cur;
        *what = "this process's address-space limit (ulimit -v)";
    }
    return avail;
}
