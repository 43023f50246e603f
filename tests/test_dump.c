/*
 * test_dump.c - `esmsim run --dump-events DIR` (dump.h): each invocation
 * given to the sink's event hook becomes its exact Lambda event, what the
 * function answered (R7 response, or the error payload of a timeout) and one
 * index line; past the limit invocations are counted, not written; errors
 * (a directory that cannot be made, a write failing mid-run) name the path
 * and are latched, never a crash.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "awsjson.h"
#include "check.h"
#include "dump.h"

#define EPOCH_2026 INT64_C(1767225600000)   /* 2026-01-01T00:00:00Z, in ms */

static char dir[64];

static const char *path_in_dir(const char *name)
{
    static char buf[4][128];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

/* A whole file as a string (malloc), or NULL when it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len == 1) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = 0;
    return buf;
}

static void check_file(const char *name, const char *want)
{
    char *got = slurp(path_in_dir(name));
    if (!got)
        fprintf(stderr, "%s: cannot read\n", path_in_dir(name));
    CHECK_STR(got, want);
    free(got);
}

static bool exists(const char *name)
{
    return access(path_in_dir(name), F_OK) == 0;
}

static const struct lev_source src = {
    .shard_id = "shardId-000000000001",
    .event_source_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
    .invoke_identity_arn = "arn:aws:iam::123456789012:role/lambda-role",
    .region = "us-east-1",
    .epoch_ms = EPOCH_2026,
};

static const unsigned char poison[] = "{\"order\":7,\"poison\":true}";

static const struct slog_event_record records[] = {
    { .partition_key = "user-7", .sequence_number = 41, .data = NULL, .data_len = 3,
      .arrival_us = 1500000 },
    { .partition_key = "user-8", .sequence_number = 45, .data = poison,
      .data_len = sizeof poison - 1, .arrival_us = 1750000 },
};

static const struct rsp_item partial_items[] = { { RSP_ITEM_SEQUENCE, 45 } };
static const struct rsp_response partial = { .shape = RSP_LIST, .items = partial_items,
                                             .n_items = 1 };

/* Invocation 1: both records, a partial response (R7).  Invocation 2: the
 * second record alone, timed out (R11). */
static struct slog_invocation inv1 = {
    .invocation_id = 1, .shard_id = "shardId-000000000001", .start_us = 2000000,
    .end_us = 2024000, .record_count = 2, .first_sequence_number = 41,
    .last_sequence_number = 45, .attempt = 1, .outcome = OUTCOME_PARTIAL,
};
static struct slog_invocation inv2 = {
    .invocation_id = 2, .shard_id = "shardId-000000000001", .start_us = 3024000,
    .end_us = 6024000, .record_count = 1, .first_sequence_number = 45,
    .last_sequence_number = 45, .attempt = 1, .outcome = OUTCOME_TIMEOUT,
    .error = "Task timed out",
};

static struct slog_event event1(void)
{
    return (struct slog_event){ .inv = &inv1, .source = &src, .records = records, .n_records = 2,
                                .response = &partial, .timeout_us = 3000000 };
}

static struct slog_event event2(void)
{
    return (struct slog_event){ .inv = &inv2, .source = &src, .records = records + 1,
                                .n_records = 1, .response = NULL, .timeout_us = 3000000 };
}

/* The event file is awsjson's event, byte for byte, and a newline. */
static void check_event_file(const char *name, const struct slog_event_record *recs, size_t n)
{
    char *json = awsjson_kinesis_event(&src, recs, n);
    size_t len = json ? strlen(json) : 0;
    char *want = malloc(len + 2);
    if (json && want) {
        memcpy(want, json, len);
        memcpy(want + len, "\n", 2);
        check_file(name, want);
    } else {
        CHECK(!"out of memory");
    }
    free(json);
    free(want);
}

static void remove_dump_files(void)
{
    char name[32];
    for (int id = 1; id <= 9; id++) {   /* the invocations the tests dump */
        snprintf(name, sizeof name, "%09d.event.json", id);
        unlink(path_in_dir(name));
        snprintf(name, sizeof name, "%09d.response.json", id);
        unlink(path_in_dir(name));
    }
    unlink(path_in_dir(DUMP_INDEX_NAME));
}

static void test_two_invocations_and_limit(void)
{
    char err[256] = "";
    struct dump *d = dump_open(dir, 2, NULL, err, sizeof err);   /* dir exists already: fine */
    dump_begin(d);
    CHECK(d != NULL);
    if (!d) {
        fprintf(stderr, "dump_open: %s\n", err);
        return;
    }
    struct slog log = { .event = dump_event, .event_ctx = d };
    struct slog_event e1 = event1(), e2 = event2(), e3 = event1();
    struct slog_invocation inv3 = inv1;
    inv3.invocation_id = 3;
    e3.inv = &inv3;
    log.event(log.event_ctx, &e1);
    log.event(log.event_ctx, &e2);
    log.event(log.event_ctx, &e3);   /* past the limit of 2 */
    CHECK_INT(dump_written(d), 2);
    CHECK_INT(dump_skipped(d), 1);
    CHECK_INT(dump_close(d, err, sizeof err), 0);

    check_event_file("000000001.event.json", records, 2);
    check_event_file("000000002.event.json", records + 1, 1);
    check_file("000000001.response.json", "{\"batchItemFailures\":[{\"itemIdentifier\":\"45\"}]}\n");
    /* Ends at 6.024 s of virtual time: 3 s after it started, the timeout. */
    char request_id[AWSJSON_UUID_LEN + 1], want[256];
    awsjson_request_id(2, request_id);
    snprintf(want, sizeof want, "{\"errorMessage\":\"2026-01-01T00:00:06.024Z %s"
             " Task timed out after 3.00 seconds\"}\n", request_id);
    check_file("000000002.response.json", want);
    check_file(DUMP_INDEX_NAME,
        "{\"invocation_id\":1,\"shard_id\":\"shardId-000000000001\",\"attempt\":1,"
        "\"outcome\":\"partial\",\"record_count\":2,\"first_sequence_number\":\"41\","
        "\"last_sequence_number\":\"45\",\"event_file\":\"000000001.event.json\","
        "\"response_file\":\"000000001.response.json\"}\n"
        "{\"invocation_id\":2,\"shard_id\":\"shardId-000000000001\",\"attempt\":1,"
        "\"outcome\":\"timeout\",\"record_count\":1,\"first_sequence_number\":\"45\","
        "\"last_sequence_number\":\"45\",\"event_file\":\"000000002.event.json\","
        "\"response_file\":\"000000002.response.json\"}\n");
    CHECK(!exists("000000003.event.json"));
    CHECK(!exists("000000003.response.json"));
    remove_dump_files();
}

/* A directory that does not exist yet is made (the last component only);
 * a trailing slash names the same directory. */
static void test_creates_directory(void)
{
    char err[256] = "", sub[128];
    snprintf(sub, sizeof sub, "%s/events/", dir);
    struct dump *d = dump_open(sub, 10, NULL, err, sizeof err);
    dump_begin(d);
    CHECK(d != NULL);
    struct slog_event e = event1();
    if (d)
        dump_event(d, &e);
    CHECK_INT(dump_close(d, err, sizeof err), 0);
    CHECK(exists("events/000000001.event.json"));
    CHECK(exists("events/000000001.response.json"));
    CHECK(exists("events/" DUMP_INDEX_NAME));
    unlink(path_in_dir("events/000000001.event.json"));
    unlink(path_in_dir("events/000000001.response.json"));
    unlink(path_in_dir("events/" DUMP_INDEX_NAME));
    CHECK_INT(rmdir(path_in_dir("events")), 0);
}

/* A dump closed before its run began (the run log refused: exit 2) leaves
 * the directory as it was: an index.jsonl there whole, a directory and an
 * index it made removed; the run log among the dump's files is refused. */
static void test_closed_before_begin(void)
{
    char err[256] = "", sub[128], log[160];
    FILE *f = fopen(path_in_dir(DUMP_INDEX_NAME), "w");
    CHECK(f != NULL && fputs("{\"invocation_id\":7}\n", f) >= 0 && fclose(f) == 0);
    CHECK_INT(dump_close(dump_open(dir, 10, NULL, err, sizeof err), err, sizeof err), 0);
    check_file(DUMP_INDEX_NAME, "{\"invocation_id\":7}\n");
    unlink(path_in_dir(DUMP_INDEX_NAME));
    snprintf(sub, sizeof sub, "%s/events", dir);
    CHECK_INT(dump_close(dump_open(sub, 10, NULL, err, sizeof err), err, sizeof err), 0);
    CHECK(!exists("events"));
    snprintf(log, sizeof log, "%s/000000001.response.json", dir);
    CHECK(dump_open(dir, 10, log, err, sizeof err) == NULL);
    char want[400];
    snprintf(want, sizeof want, "%s: is the run log -o %s: dump to another directory", log, log);
    CHECK_STR(err, want);
    CHECK(!exists(DUMP_INDEX_NAME));
}

/* Directories that cannot be used: the message names the path and why.
 * (The tests may run as root, so these do not rely on permissions.) */
static void test_open_errors(void)
{
    char err[256] = "", path[128];
    FILE *f = fopen(path_in_dir("plain-file"), "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);

    snprintf(path, sizeof path, "%s/plain-file/events", dir);
    CHECK(dump_open(path, 10, NULL, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, path);
    CHECK_CONTAINS(err, ": cannot create directory: ");
    CHECK_CONTAINS(err, strerror(ENOTDIR));

    snprintf(path, sizeof path, "%s/missing/events", dir);
    CHECK(dump_open(path, 10, NULL, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, path);
    CHECK_CONTAINS(err, strerror(ENOENT));

    CHECK(dump_open(path_in_dir("plain-file"), 10, NULL, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "plain-file: not a directory");
    unlink(path_in_dir("plain-file"));

    CHECK_INT(dump_close(NULL, err, sizeof err), 0);
}

/*
 * A write failing mid-run (the file size limit stands for a full disk): the
 * first error is kept with the file's path, the file cut short is removed,
 * nothing more is written, and dump_close reports it.
 */
static void test_write_failure(void)
{
    char err[256] = "";
    struct dump *d = dump_open(dir, 10, NULL, err, sizeof err);
    dump_begin(d);
    CHECK(d != NULL);
    if (!d)
        return;
    struct rlimit old, small;
    getrlimit(RLIMIT_FSIZE, &old);
    small = old;
    small.rlim_cur = 64;         /* smaller than any event */
    signal(SIGXFSZ, SIG_IGN);    /* a failed write(2), not a dead process */
    setrlimit(RLIMIT_FSIZE, &small);

    struct slog_event e1 = event1(), e2 = event2();
    dump_event(d, &e1);
    dump_event(d, &e2);

    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    CHECK_INT(dump_written(d), 0);
    CHECK_INT(dump_skipped(d), 0);
    CHECK_INT(dump_close(d, err, sizeof err), -1);
    CHECK_CONTAINS(err, path_in_dir("000000001.event.json"));
    CHECK_CONTAINS(err, strerror(EFBIG));
    CHECK(!exists("000000001.event.json"));      /* cut short: removed */
    CHECK(!exists("000000001.response.json"));   /* stopped at the first error */
    CHECK(!exists("000000002.event.json"));
    check_file(DUMP_INDEX_NAME, "");
    remove_dump_files();

    /* index.jsonl reaching the limit mid-line: the line cut short was left, looking like a
     * last line (index.jsonl was buffered: the failure showed at dump_close), and its
     * invocation counted as written.  Now the index ends at its last whole line, which
     * lists the invocations written. */
    struct stat st_event, st_response, st_index;
    d = dump_open(dir, 10, NULL, err, sizeof err);   /* sizes: every invocation 1 to 9 has the same */
    dump_begin(d);
    CHECK(d != NULL);
    if (!d)
        return;
    dump_event(d, &e1);
    CHECK_INT(dump_close(d, err, sizeof err), 0);
    CHECK_INT(stat(path_in_dir("000000001.event.json"), &st_event), 0);
    CHECK_INT(stat(path_in_dir("000000001.response.json"), &st_response), 0);
    CHECK_INT(stat(path_in_dir(DUMP_INDEX_NAME), &st_index), 0);
    off_t line = st_index.st_size, files = st_event.st_size > st_response.st_size
                                           ? st_event.st_size : st_response.st_size;
    CHECK(line > 0);
    if (line <= 0)
        return;
    uint64_t whole = (uint64_t)(files / line) + 1;   /* lines that fit, the files too */
    CHECK(whole + 1 < 10);
    remove_dump_files();
    d = dump_open(dir, 10, NULL, err, sizeof err);
    dump_begin(d);
    CHECK(d != NULL);
    if (!d)
        return;
    small.rlim_cur = (rlim_t)((off_t)whole * line + line / 2);
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &small);
    for (uint64_t id = 1; id <= 9; id++) {
        inv1.invocation_id = id;
        dump_event(d, &e1);
    }
    inv1.invocation_id = 1;
    CHECK_INT(dump_written(d), whole);
    CHECK_INT(dump_close(d, err, sizeof err), -1);   /* under the limit, as a full disk stays full */
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    CHECK_CONTAINS(err, path_in_dir(DUMP_INDEX_NAME));
    CHECK_CONTAINS(err, strerror(EFBIG));
    char *index = slurp(path_in_dir(DUMP_INDEX_NAME)), last[32];
    CHECK(index && strlen(index) == (size_t)((off_t)whole * line) && index[strlen(index) - 1] == '\n');
    snprintf(last, sizeof last, "\"invocation_id\":%" PRIu64 ",", whole);
    CHECK_CONTAINS(index, last);
    free(index);
    remove_dump_files();

    /* The directory gone under a running dump: the next file cannot be made. */
    d = dump_open(dir, 10, NULL, err, sizeof err);
    dump_begin(d);
    CHECK(d != NULL);
    if (!d)
        return;
    char moved[80];
    snprintf(moved, sizeof moved, "%s-moved", dir);
    CHECK_INT(rename(dir, moved), 0);
    dump_event(d, &e1);
    CHECK_INT(rename(moved, dir), 0);
    CHECK_INT(dump_close(d, err, sizeof err), -1);
    CHECK_CONTAINS(err, path_in_dir("000000001.event.json"));
    CHECK_CONTAINS(err, strerror(ENOENT));
    remove_dump_files();
}

/* The file at path still holds "precious\n". */
static void check_untouched(const char *path)
{
    char *got = slurp(path);
    CHECK_STR(got, "precious\n");
    free(got);
}

/*
 * Issue 11 item 17: a name of the dump's files that is a symbolic link, a
 * hard link or not a regular file is never written through: dump_open
 * refuses it at once, naming it, and one planted during the run stops the
 * dump at that file.  The link's target is left as it was.
 */
static void test_links_refused(void)
{
    char err[256] = "", target[96], want[160];
    snprintf(target, sizeof target, "%s-target", dir);
    static const char *const names[] = { DUMP_INDEX_NAME, "000000002.event.json",
                                         "000012345.response.json" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        FILE *f = fopen(target, "w");
        CHECK(f != NULL && fputs("precious\n", f) >= 0 && fclose(f) == 0);
        CHECK_INT(symlink(target, path_in_dir(names[i])), 0);
        CHECK(dump_open(dir, 10, NULL, err, sizeof err) == NULL);
        snprintf(want, sizeof want, "%s: a symbolic link: esmsim does not write through links "
                 "(remove it, or dump to another directory)", path_in_dir(names[i]));
        CHECK_STR(err, want);
        check_untouched(target);
        unlink(path_in_dir(names[i]));

        CHECK_INT(link(target, path_in_dir(names[i])), 0);   /* a hard link: the same inode */
        CHECK(dump_open(dir, 10, NULL, err, sizeof err) == NULL);
        CHECK_CONTAINS(err, ": a hard link to another name: esmsim does not write through links");
        check_untouched(target);
        unlink(path_in_dir(names[i]));
    }
    CHECK_INT(mkfifo(path_in_dir("000000001.event.json"), 0600), 0);   /* would block a writer */
    CHECK(dump_open(dir, 10, NULL, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "000000001.event.json: not a regular file: esmsim does not write through links");
    unlink(path_in_dir("000000001.event.json"));

    /* A link planted once the dump is open: that file fails, nothing is
     * written through it, and the dump stops there. */
    struct dump *d = dump_open(dir, 10, NULL, err, sizeof err);
    dump_begin(d);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK_INT(symlink(target, path_in_dir("000000001.event.json")), 0);
    struct slog_event e1 = event1(), e2 = event2();
    dump_event(d, &e1);
    dump_event(d, &e2);
    CHECK_INT(dump_written(d), 0);
    CHECK_INT(dump_close(d, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: a symbolic link: esmsim does not write through links "
             "(remove it, or dump to another directory)", path_in_dir("000000001.event.json"));
    CHECK_STR(err, want);
    check_untouched(target);
    CHECK(!exists("000000002.event.json"));
    unlink(target);
    remove_dump_files();
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/esmsim-dump-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_two_invocations_and_limit();
    test_creates_directory();
    test_closed_before_begin();
    test_open_errors();
    test_write_failure();
    test_links_refused();
    rmdir(dir);
    return check_done();
}
