/*
 * runlog_open.c - opening a run log (runlog.h, SPEC section 3): the file
 * claimed as a run log of this schema version before anything in it
 * changes, its tables created from runlog_schema.c's, the inserts prepared
 * once for every run, and closing.
 */
#include "runlog.h"
#include "runlog_int.h"

#include <sqlite3.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "fmt.h"
#include "nameids.h"

/* A single integer out of a one-row query ("PRAGMA user_version"); on
 * error latch "PATH: WHAT: message". */
static int runlog_query_int(struct runlog *rl, const char *sql, const char *what, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(rl->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        runlogi_fail(rl, what);
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : -1;
}

/*
 * A new file becomes a run log; an existing one must be one, of this schema
 * version, so that esmsim never appends runs to someone else's database.
 * runlog_open asks twice: first with mark false, reading only, before it
 * changes anything (the journal mode is a change: it rewrites the header),
 * so that a refused file keeps its bytes; then with mark true inside the
 * transaction that creates the tables, should another process have claimed
 * the file meanwhile.
 */
static int runlog_claim(struct runlog *rl, bool mark)
{
    int64_t app = 0, version = 0, tables = 0;
    if (runlog_query_int(rl, "PRAGMA application_id", "open", &app) != 0
        || runlog_query_int(rl, "PRAGMA user_version", "open", &version) != 0
        || runlog_query_int(rl, "SELECT count(*) FROM sqlite_schema", "open", &tables) != 0)
        return -1;
    if (app == 0 && tables == 0) {
        if (!mark)
            return 0;
        char sql[128];
        snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d;",
                 RUNLOG_APPLICATION_ID, RUNLOG_SCHEMA_VERSION);
        return runlogi_exec(rl, sql, "mark as run log");
    }
    if (app != RUNLOG_APPLICATION_ID) {
        rl->failed = true;
        snprintf(rl->error, sizeof rl->error,
                 "%s: not an esmsim run log (a SQLite database with other tables)", rl->path);
        return -1;
    }
    if (version != RUNLOG_SCHEMA_VERSION) {
        rl->failed = true;
        snprintf(rl->error, sizeof rl->error,
                 "%s: run log schema version %lld, this esmsim writes version %d only: write"
                 " to a new file (a log of version %lld takes no runs of this esmsim)",
                 rl->path, (long long)version, RUNLOG_SCHEMA_VERSION, (long long)version);
        return -1;
    }
    return 0;
}

static int runlog_create_tables(struct runlog *rl)
{
    if (runlogi_exec(rl, runlog_runs_table, "create table runs") != 0)
        return -1;
    for (int t = 0; t < RL_TABLE_COUNT; t++) {
        char sql[1024], what[64];
        snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS %s (run_id INTEGER NOT NULL, %s)%s",
                 runlog_schema[t].name, runlog_schema[t].columns,
                 runlog_schema[t].rowless ? " WITHOUT ROWID" : "");
        snprintf(what, sizeof what, "create table %s", runlog_schema[t].name);
        if (runlogi_exec(rl, sql, what) != 0)
            return -1;
    }
    /* the views: a fate's number decoded and encoded (a text that is not
     * one of esmsim's stays a text) */
    char decode[512] = "CASE m.fate", encode[512] = "CASE NEW.fate";
    for (int f = 0; f < FATE_COUNT; f++) {
        size_t d = strlen(decode), e = strlen(encode);
        snprintf(decode + d, sizeof decode - d, " WHEN %d THEN '%s'", f, fate_name(f));
        snprintf(encode + e, sizeof encode - e, " WHEN '%s' THEN %d", fate_name(f), f);
    }
    strcat(decode, " ELSE m.fate END");
    strcat(encode, " ELSE NEW.fate END");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < runlog_view_count; i++) {
        char sql[4096];
        const char *fate = strstr(runlog_views[i], "INSTEAD OF") ? encode : decode;
        snprintf(sql, sizeof sql, runlog_views[i], fate);   /* at most one %s */
        rc = runlogi_exec(rl, sql, "create views");
    }
    return rc;
}

/* A batched table's batch, with its insert of RUNLOG_BATCH rows: the
 * table's insert, its VALUES tuple repeated, every row's run_id the one
 * parameter ?1 (bound once a batch); NULL when out of memory.
 *
 * The insert is OR FAIL: an insert of many rows into a table with a NOT
 * NULL or UNIQUE constraint (ABORT by default) and an index keeps a
 * statement journal, a copy of every page it changes that existed before it,
 * so as to undo the rows it already wrote.  Appended to a file that already
 * has invocations_by_shard (a second run), a batch of invocations changes
 * the index's pages of 16 shards: the journal outgrew SQLite's 64 KiB and
 * went to a temporary file (temp_store=FILE), 262,660 writes to it in 30
 * simulated minutes of the bench with the tables off.  A failed insert fails
 * the run log, whose transaction is rolled back whole (runlogi_rollback), so
 * the rows a failed statement leaves are never kept: FAIL needs no journal. */
static struct runlog_batch *runlog_batch_new(struct runlog *rl, enum runlog_table t)
{
    /* every insert of runlog_schema is "INSERT INTO ... VALUES (?,...)" */
    const char *sql = runlog_schema[t].insert + strlen("INSERT");
    const char *tuple = strstr(sql, "VALUES (?") + 9;             /* after "(?" */
    size_t head = strlen("INSERT OR FAIL") + (size_t)(tuple - 2 - sql), len = strlen(tuple);
    int vals = sqlite3_bind_parameter_count(rl->insert[t]) - 1;
    struct runlog_batch *b = calloc(1, sizeof *b + RUNLOG_BATCH * (size_t)vals * sizeof *b->v);
    char *many = malloc(head + 1 + RUNLOG_BATCH * (len + 4));
    bool ok = b && many;
    if (ok) {
        char *p = many + head;
        snprintf(many, head + 1, "INSERT OR FAIL%s", sql);
        for (int r = 0; r < RUNLOG_BATCH; r++) {
            memcpy(p, "(?1", 3);
            memcpy(p + 3, tuple, len);
            p += 3 + len;
            *p++ = r + 1 < RUNLOG_BATCH ? ',' : 0;
        }
        b->vals = vals;
        ok = sqlite3_prepare_v3(rl->db, many, -1, SQLITE_PREPARE_PERSISTENT, &b->insert,
                                NULL) == SQLITE_OK
             && sqlite3_bind_parameter_count(b->insert) == 1 + RUNLOG_BATCH * vals;
    }
    free(many);
    if (!ok) {
        if (b)
            sqlite3_finalize(b->insert);
        free(b);
        return NULL;
    }
    return b;
}

/* The inserts, prepared once, and esmsim_key_head (runlog_run.c). */
static int runlog_prepare(struct runlog *rl)
{
    for (int t = 0; t < RL_TABLE_COUNT; t++) {
        if (sqlite3_prepare_v3(rl->db, runlog_schema[t].insert, -1, SQLITE_PREPARE_PERSISTENT,
                               &rl->insert[t], NULL) != SQLITE_OK
            || (runlog_schema[t].batched
                && !(rl->batch[t] = runlog_batch_new(rl, (enum runlog_table)t)))) {
            char what[64];
            snprintf(what, sizeof what, "prepare insert into %s", runlog_schema[t].name);
            runlogi_fail(rl, what);
            return -1;
        }
    }
    return runlogi_define_key_head(rl);
}

/* The runs in db's file; 0 without a runs table (a file whose open failed
 * before its tables), -1 when that cannot be read. */
static int64_t runlog_count_runs(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    for (int q = 0; q < 2 && n != 0; q++) {
        sqlite3_finalize(st);
        st = NULL;
        n = sqlite3_prepare_v2(db, q ? "SELECT count(*) FROM runs"
                               : "SELECT count(*) FROM sqlite_schema WHERE name = 'runs'",
                               -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW
            ? sqlite3_column_int64(st, 0) : -1;
        if (n < 0)
            break;
    }
    sqlite3_finalize(st);
    return n;
}

/* path relative to dir (AT_FDCWD: as open takes it) and SQLite's files
 * beside it, the side files first; with regular_only, those that are
 * regular files only.  True when path itself was removed. */
static bool runlog_unlink_in(int dir, const char *path, bool regular_only)
{
    static const char *const sides[] = { "-wal", "-shm", "-journal", "" };
    size_t len = strlen(path) + sizeof "-journal";
    char *name = malloc(len);
    bool gone = false;
    for (size_t i = 0; name && i < sizeof sides / sizeof sides[0]; i++) {
        snprintf(name, len, "%s%s", path, sides[i]);
        struct stat st;
        gone = (!regular_only || (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                  S_ISREG(st.st_mode))) &&
               unlinkat(dir, name, 0) == 0;
    }
    free(name);
    return gone;
}

bool runlog_unlink(const char *path)
{
    return runlog_unlink_in(AT_FDCWD, path, false);
}

bool runlog_unlink_regular(int dir, const char *name)
{
    return runlog_unlink_in(dir, name, true);
}

/*
 * Another process may have opened a file its maker is about to remove (two
 * runs, or a run and a sweep, into one new file at once): removed, what that
 * process goes on to write is lost with the unlinked file, and it cannot
 * tell.  SQLite's locks say whether it did: in WAL mode every connection
 * holds a shared lock on the file from its first read to its close, and a
 * connection in locking_mode EXCLUSIVE takes the exclusive lock at its
 * first read (its WAL index then in its own memory, not -shm, which a
 * failed open, a full disk, may have left too short to read).  So the
 * maker closes db and removes the file, if it holds no run, only under that
 * lock, on a new connection, taken at once (no busy handler): true when it
 * did.  An opener that came between its open and its first lock finds its
 * file moved and opens again (runlog_connect).  The side files go first,
 * while the lock keeps another process from making its own beside the
 * file, and the connection is closed with its WAL persistent, so that its
 * close deletes no file by name.
 */
static bool runlog_unmake(sqlite3 *db, const char *path, const struct stat *made)
{
    struct stat st;
    sqlite3 *ex = NULL;
    sqlite3_close(db);
    bool unmake = sqlite3_open_v2(path, &ex, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK
                  && sqlite3_exec(ex, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE", NULL,
                                  NULL, NULL) == SQLITE_OK
                  && runlog_count_runs(ex) == 0
                  && stat(path, &st) == 0 && st.st_dev == made->st_dev
                  && st.st_ino == made->st_ino;
    if (unmake) {
        int persist = 1;
        sqlite3_file_control(ex, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
        unmake = runlog_unlink(path);
    }
    sqlite3_exec(ex, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(ex);
    return unmake;
}

bool runlog_made(const struct runlog *rl, struct stat *made)
{
    if (rl->made)
        *made = rl->made_st;
    return rl->made;
}

/* A file this open created and could not make a run log, or begin a run
 * in, is removed once closed, so that a failed `run -o NEW.db` leaves
 * nothing. */
static void runlog_free(struct runlog *rl)
{
    for (int t = 0; t < RL_TABLE_COUNT; t++) {
        sqlite3_finalize(rl->insert[t]);
        if (rl->batch[t])
            sqlite3_finalize(rl->batch[t]->insert);
        free(rl->batch[t]);
    }
    nameids_destroy(rl->shards);
    free(rl->key);
    free(rl->ring);
    nameids_destroy(rl->producers);
    if (rl->made && !rl->kept)
        runlog_unmake(rl->db, rl->path, &rl->made_st);
    else
        sqlite3_close(rl->db);
    free(rl->path);
    free(rl);
}

int runlog_writable(const char *path, char *err, size_t errlen)
{
    char dir[4200];
    fmt_dir(path, dir, sizeof dir);
    if (access(path, F_OK) == 0 && access(path, W_OK) != 0) {
        errmsg_set(err, errlen, "%s: cannot write to it: %s", path, strerror(errno));
        return -1;
    }
    if (access(dir, W_OK) != 0) {
        errmsg_set(err, errlen, "%s: cannot write to its directory %s: %s", path, dir,
                   strerror(errno));
        return -1;
    }
    return 0;
}

/* A run log of path, no file touched yet; NULL when out of memory (said). */
static struct runlog *runlog_alloc(const char *path, char *err, size_t errlen)
{
    struct runlog *rl = calloc(1, sizeof *rl);
    if (!rl || !(rl->path = strdup(path)) || !(rl->shards = nameids_create())
        || !(rl->producers = nameids_create())) {
        if (rl)
            runlog_free(rl);
        errmsg_set(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    return rl;
}

/* rl's file was removed or renamed since its open: then SQLite may fail
 * (a disk I/O error) or write to the unlinked file. */
static bool runlog_moved(struct runlog *rl)
{
    int moved = 0;
    return sqlite3_file_control(rl->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK
           && moved;
}

/* Open rl's file: runlog_open but for the allocation.  0, 1 when the file
 * was removed (or renamed) between its open and the connection's first lock
 * (runlog_unmake), or -1 with a message (rl is then only to be freed). */
static int runlog_connect_once(struct runlog *rl, char *err, size_t errlen)
{
    const char *path = rl->path;
    /* SQLite counts the memory it holds, under a mutex, at each of its
     * malloc and free (a few a row) unless told not to before it starts;
     * nothing here reads the count (sqlite3_memory_used).  Told at the
     * first open (the run log's is a run's first), a no-op once SQLite
     * runs (SQLITE_MISUSE, ignored). */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {   /* /dev/null, a FIFO: never a run log */
        errmsg_set(err, errlen, "%s: not a regular file (%s)", path, fmt_file_kind(st.st_mode));
        return -1;
    }
    /* A file made here is removed should the open fail (runlog_free): made
     * by esmsim itself, not found (":memory:" and "" are SQLite's own).  A
     * place that cannot be written is said as such (SQLite says "unable to
     * open database file", with the errno of its last try, a read-only
     * open's). */
    bool file = strcmp(path, ":memory:") && *path;
    if (file && runlog_writable(path, err, errlen) < 0)
        return -1;
    int fd = file ? open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644) : -1;   /* as SQLite's */
    if (fd >= 0) {
        rl->made = fstat(fd, &rl->made_st) == 0;
        close(fd);
    }
    /* NOMUTEX: one thread at a time uses the connection (the simulation's, or
     * the writer thread's from its start to its join: logthread.c), so SQLite
     * need not lock a mutex on every call of every row (3% of a run). */
    int rc = sqlite3_open_v2(path, &rl->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        /* sqlite says "unable to open database file"; errno says why */
        int sys = rl->db ? sqlite3_system_errno(rl->db) : 0;
        errmsg_set(err, errlen, "%s: %s%s%s%s", path,
                      rl->db ? sqlite3_errmsg(rl->db) : sqlite3_errstr(rc),
                      sys ? " (" : "", sys ? strerror(sys) : "", sys ? ")" : "");
        return -1;
    }
    sqlite3_extended_result_codes(rl->db, 1);
    /* Another process may be appending to the same file: wait for its
     * commit rather than fail at once. */
    rl->busy_timeout_ms = RUNLOG_BUSY_TIMEOUT_MS;
    const char *knob = getenv("ESMSIM_BUSY_TIMEOUT_MS");   /* for the tests only */
    if (knob && *knob) {
        char *end;
        errno = 0;
        long long ms = strtoll(knob, &end, 10);
        if (errno || *end || ms < 0) {
            errmsg_set(err, errlen, "ESMSIM_BUSY_TIMEOUT_MS: expected milliseconds, not '%s'",
                       knob);
            return -1;
        }
        rl->busy_timeout_ms = ms;
    }
    sqlite3_busy_handler(rl->db, runlogi_busy, rl);
    rl->yield_wall_ms = runlogi_wall_ms();
    /*
     * A new file (not a page yet) becomes a run log with synchronous OFF:
     * its switch to WAL, its tables and their commit wait for no write to
     * reach the disk (five fsyncs: a rollback journal's, the file's, the
     * WAL header's and, twice, their directory's; 5 minutes of the bench,
     * tables off: the start 2 ms shorter at best, 13 ms in the median at a
     * load of 4), then NORMAL from the run's first row on.  The first
     * checkpoint (the run's end at the latest) syncs the WAL, the
     * directory and then the file, as it does NORMAL's commits: until then
     * an OS crash or power loss may take the new file's tables, or, if
     * the disk tears its first page, leave a file that is not a database,
     * where nothing was yet.  A killed process loses nothing by it, nor
     * does another process creating the same file at the same moment: on
     * a file that has its tables it changes no byte.
     */
    int64_t pages = -1;
    if (runlog_claim(rl, false) != 0   /* reading only: a refused file keeps its bytes */
        || runlog_query_int(rl, "PRAGMA page_count", "open", &pages) != 0
        || runlogi_exec(rl, pages == 0 ? "PRAGMA synchronous=OFF;" RUNLOG_PRAGMAS_WAL
                                       : RUNLOG_PRAGMAS, "open") != 0
        || runlogi_begin(rl) != 0   /* claim and create as one, should two processes race */
        || runlog_claim(rl, true) != 0
        || runlog_create_tables(rl) != 0
        || runlogi_commit(rl) != 0)
        return runlog_moved(rl) ? 1 : runlogi_report(rl, err, errlen);
    /* from here the shared lock of WAL mode keeps the file where it is */
    if (runlog_moved(rl))
        return 1;
    if ((pages == 0 && runlogi_exec(rl, "PRAGMA synchronous=NORMAL", "open") != 0)
        || runlog_prepare(rl) != 0)
        return runlogi_report(rl, err, errlen);
    rl->kept = true;
    return 0;
}

/* runlog_connect_once, again while another process removes the file under
 * it (it made the file and failed: runlog_unmake).  The connection to the
 * removed file is closed with its WAL persistent, deleting no file by name
 * (a WAL left beside the path is deleted by the next open, of a new file). */
static int runlog_connect(struct runlog *rl, char *err, size_t errlen)
{
    int rc = 1;
    for (int tries = 0; rc == 1 && tries < 10; tries++) {
        if (tries) {
            int persist = 1;
            sqlite3_file_control(rl->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
            sqlite3_close(rl->db);
            rl->db = NULL;
            rl->made = rl->failed = rl->locked = rl->busy_interrupted = false;
        }
        rc = runlog_connect_once(rl, err, errlen);
    }
    if (rc == 1)
        errmsg_set(err, errlen, "%s: removed by another process each time it was opened",
                   rl->path);
    return rc == 0 ? 0 : -1;
}

struct runlog *runlog_open_watching(const char *path, const volatile sig_atomic_t *interrupt,
                                    char *err, size_t errlen)
{
    struct runlog *rl = runlog_alloc(path, err, errlen);
    if (rl)
        rl->interrupt = interrupt;
    if (rl && runlog_connect(rl, err, errlen) != 0) {
        runlog_free(rl);
        return NULL;
    }
    return rl;
}

struct runlog *runlog_open(const char *path, char *err, size_t errlen)
{
    return runlog_open_watching(path, NULL, err, errlen);
}

struct runlog *runlog_open_later(const char *path, bool per_record, char *err, size_t errlen)
{
    struct runlog *rl = runlog_alloc(path, err, errlen);
    if (rl)
        rl->per_record = per_record;
    return rl;
}

int runlog_open_now(struct runlog *rl, const struct scenario *scn, uint64_t seed,
                    int64_t *run_id, char *err, size_t errlen)
{
    int rc = runlog_connect(rl, err, errlen) != 0
             ? -1 : runlog_begin_run(rl, scn, seed, rl->per_record, run_id, err, errlen);
    rl->kept = rc == 0;   /* a new file is kept once it holds the run */
    return rc;
}

void runlog_close(struct runlog *rl)
{
    if (!rl)
        return;
    runlogi_ckpt_join(rl);   /* before the close, whose checkpoint is then the last */
    runlogi_rollback(rl);   /* rows since the last sync: maybe not whole events */
    runlog_free(rl);
}

void runlog_close_unmade(struct runlog *rl)
{
    if (rl)
        rl->kept = false;
    runlog_close(rl);
}

sqlite3 *runlog_db(const struct runlog *rl)
{
    return rl->db;
}
