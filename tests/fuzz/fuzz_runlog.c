/*
 * fuzz_runlog.c - libFuzzer target for the run-log readers (issue 11 item
 * 19).  An input is one of
 *   - the bytes of an SQLite file ("SQLite format 3" first, or empty):
 *     corrupt pages, headers, schemas;
 *   - else SQL, run on an empty run log of this schema version: crafted
 *     values in well-formed tables (an end_ms of 1e15, a run_id of
 *     INT64_MAX, a text where a number belongs, a missing table).  The SQL
 *     may only read and change tables (sqlite3_set_authorizer: no ATTACH,
 *     no PRAGMA but application_id and user_version, no VACUUM INTO), in at
 *     most FZ_SQL_STEPS virtual machine steps;
 * and the file is given as RUN.db to
 *
 *   esmsim report RUN.db, report RUN.db --json
 *   esmsim trace RUN.db --key K, --sequence N --shard S
 *   esmsim plot RUN.db --chart C, for every chart (the data files are
 *     gathered; gnuplot is not run: ESMSIM_PLOTS names no directory, so
 *     gp_run fails before it starts one)
 *   esmsim logs RUN.db, logs RUN.db --key K (a real handler's output)
 *   esmsim merge OUT.db RUN.db, OUT.db a fresh empty run log each time
 *
 * K, N and S come from the input's records table when it has one (else "k",
 * 1 and no --shard), so that the timelines are built.  The commands read a path,
 * so the bytes are written to a file in a private directory ($TMPDIR, else
 * /dev/shm, else /tmp) and every file there is removed after each input.
 * A command may refuse the input (exit 2) or fail (exit 1): only crashes,
 * sanitizer reports, leaks and hangs are findings.  A custom mutator puts
 * values at the edges (fuzz.h) in place of an SQL input's literals.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "commands.h"
#include "fuzz.h"
#include "merge.h"

static char fz_in[4200], fz_out[4200], fz_svg[4200];
static unsigned char *fz_empty;   /* an empty run log, the output of merge */
static size_t fz_empty_len;

static unsigned char *fz_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0)
        fuzz_fail("%s: cannot read: %s", path, strerror(errno));
    unsigned char *buf = malloc((size_t)st.st_size + 1);
    if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        fuzz_fail("%s: cannot read", path);
    fclose(f);
    *len = (size_t)st.st_size;
    return buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_dir_make();
    snprintf(fz_in, sizeof fz_in, "%s/in.db", fuzz_dir);
    snprintf(fz_out, sizeof fz_out, "%s/out.db", fuzz_dir);
    snprintf(fz_svg, sizeof fz_svg, "%s/chart.svg", fuzz_dir);
    /* plot's data files go to $TMPDIR; no gnuplot script is ever found */
    setenv("TMPDIR", fuzz_dir, 1);
    char plots[4200];
    snprintf(plots, sizeof plots, "%s/no-plots", fuzz_dir);
    setenv("ESMSIM_PLOTS", plots, 1);

    /* merge's output: an empty run log made once, copied for each input */
    char err[1024];
    sqlite3 *db = merge_open(fz_out, err, sizeof err);
    if (!db)
        fuzz_fail("cannot make an empty run log: %s", err);
    if (sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
        fuzz_fail("%s: %s", fz_out, sqlite3_errmsg(db));
    sqlite3_close(db);
    fz_empty = fz_read(fz_out, &fz_empty_len);
    fuzz_dir_clean();
    fuzz_quiet();
    return 0;
}

#define FZ_SQL_STEPS 1000000   /* bounds an SQL input's work (a recursive CTE) */

/* The SQL an input may run on the run log: reads and changes of tables,
 * views, indexes and triggers; the PRAGMAs that mark a run log. */
static int fz_authorize(void *ctx, int action, const char *a, const char *b,
                        const char *db, const char *trigger)
{
    switch (action) {
    case SQLITE_INSERT: case SQLITE_UPDATE: case SQLITE_DELETE: case SQLITE_READ:
    case SQLITE_SELECT: case SQLITE_FUNCTION: case SQLITE_TRANSACTION: case SQLITE_RECURSIVE:
    case SQLITE_SAVEPOINT: case SQLITE_CREATE_TABLE: case SQLITE_DROP_TABLE:
    case SQLITE_ALTER_TABLE: case SQLITE_CREATE_INDEX: case SQLITE_DROP_INDEX:
    case SQLITE_CREATE_VIEW: case SQLITE_DROP_VIEW: case SQLITE_CREATE_TRIGGER:
    case SQLITE_DROP_TRIGGER: case SQLITE_REINDEX: case SQLITE_ANALYZE:
        return SQLITE_OK;
    case SQLITE_PRAGMA:
        return a && (!sqlite3_stricmp(a, "application_id") || !sqlite3_stricmp(a, "user_version"))
               ? SQLITE_OK : SQLITE_DENY;
    default:
        return SQLITE_DENY;
    }
}

static int fz_progress(void *ctx)
{
    return ++*(int *)ctx > FZ_SQL_STEPS / 1000;
}

/* RUN.db: an empty run log with the input's SQL run on it (errors and all:
 * what ran before an error stays, as the sqlite3 shell would leave it). */
static void fz_write_sql(const uint8_t *data, size_t size)
{
    fuzz_write(fz_in, fz_empty, fz_empty_len);
    char *sql = fuzz_copy(data, size);
    sqlite3 *db = NULL;
    int steps = 0;
    if (sqlite3_open_v2(fz_in, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        fuzz_fail("%s: %s", fz_in, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);   /* VACUUM INTO attaches its output */
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
    sqlite3_set_authorizer(db, fz_authorize, NULL);
    sqlite3_progress_handler(db, 1000, fz_progress, &steps);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    steps = 0;
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    free(sql);
}

/* What trace is asked about: a key, and a record (sequence number and
 * shard), from the input's records table when it can be read. */
struct fz_pick {
    char key[256], seq[32], shard[256];
    bool has_shard;
};

static void fz_pick(const char *path, struct fz_pick *p)
{
    *p = (struct fz_pick){ .key = "k", .seq = "1" };
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT partition_key, sequence_number, shard_id FROM records"
                           " ORDER BY rowid DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        const char *shard = (const char *)sqlite3_column_text(st, 2);
        if (key)
            snprintf(p->key, sizeof p->key, "%s", key);
        if (sqlite3_column_int64(st, 1) > 0)
            snprintf(p->seq, sizeof p->seq, "%lld", (long long)sqlite3_column_int64(st, 1));
        if (shard) {
            snprintf(p->shard, sizeof p->shard, "%s", shard);
            p->has_shard = true;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* argv for a command: a NULL-terminated list of string literals and paths. */
#define FZ_RUN(fn, ...) do { \
    char *args_[] = { __VA_ARGS__, NULL }; \
    (void)fn((int)(sizeof args_ / sizeof args_[0]) - 1, args_); \
    fflush(stdout); \
    fflush(stderr); \
} while (0)

/* ---- the custom mutator ------------------------------------------------- */

static bool fz_is_file(const uint8_t *data, size_t size)
{
    static const char magic[] = "SQLite format 3";
    return size == 0 || (size >= sizeof magic - 1 && !memcmp(data, magic, sizeof magic - 1));
}

static bool fz_word(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/*
 * For an SQL input, half the time: one literal replaced by a value at the
 * edges (fuzz.h): a number by a number (1e15 for an end_ms), a quoted string
 * by a string.  Else, and for a file, libFuzzer's own mutations.
 */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint32_t r = seed;
    if (fz_is_file(data, size) || fuzz_rand(&r) % 2)
        return LLVMFuzzerMutate(data, size, max_size);
    /* the literals: [from, to) of each number, and of each string's text */
    enum { MAX_LIT = 4096 };
    static size_t from[MAX_LIT], to[MAX_LIT];
    static bool str[MAX_LIT];
    size_t n = 0;
    for (size_t i = 0; i < size && n < MAX_LIT;) {
        if (data[i] == '\'') {
            size_t j = i + 1;
            while (j < size && data[j] != '\'')
                j++;
            from[n] = i + 1, to[n] = j, str[n++] = true;
            i = j + 1;
        } else if (data[i] >= '0' && data[i] <= '9' && (i == 0 || !fz_word(data[i - 1]))) {
            size_t j = i;
            while (j < size && (fz_word(data[j]) || data[j] == '.'))
                j++;
            from[n] = i, to[n] = j, str[n++] = false;
            i = j;
        } else {
            i++;
        }
    }
    if (n == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    size_t k = fuzz_rand(&r) % n;
    const char *edge = str[k] ? fuzz_edge_strings[fuzz_rand(&r) % FUZZ_EDGE_STRINGS]
                              : fuzz_edge_numbers[fuzz_rand(&r) % FUZZ_EDGE_NUMBERS];
    size_t elen = strlen(edge), old = to[k] - from[k];
    if (size - old + elen > max_size)
        return LLVMFuzzerMutate(data, size, max_size);
    memmove(data + from[k] + elen, data + to[k], size - to[k]);
    memcpy(data + from[k], edge, elen);
    return size - old + elen;
}

/* ---- the target ------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_dir_clean();
    if (fz_is_file(data, size))
        fuzz_write(fz_in, data, size);
    else
        fz_write_sql(data, size);

    FZ_RUN(cmd_report, "report", fz_in);
    FZ_RUN(cmd_report, "report", fz_in, "--json");

    struct fz_pick p;
    fz_pick(fz_in, &p);
    FZ_RUN(cmd_trace, "trace", fz_in, "--key", p.key);
    if (p.has_shard)
        FZ_RUN(cmd_trace, "trace", fz_in, "--sequence", p.seq, "--shard", p.shard);
    else
        FZ_RUN(cmd_trace, "trace", fz_in, "--sequence", p.seq);

    FZ_RUN(cmd_logs, "logs", fz_in);
    FZ_RUN(cmd_logs, "logs", fz_in, "--key", p.key);

    static char *charts[] = { "iterator-age", "oldest", "concurrency", "throughput" };
    for (size_t c = 0; c < sizeof charts / sizeof charts[0]; c++)
        FZ_RUN(cmd_plot, "plot", fz_in, "--chart", charts[c], "-o", fz_svg);

    fuzz_write(fz_out, fz_empty, fz_empty_len);
    FZ_RUN(cmd_merge, "merge", fz_out, fz_in);

    fuzz_dir_clean();
    return 0;
}
