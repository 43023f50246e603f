/*
 * dump.c - the files of `esmsim run --dump-events DIR` (see dump.h): per
 * invocation the Lambda event and the function's answer, in the JSON of
 * awsjson.c, and one index line.
 *
 * Cost: the event is built with cJSON and written once per invocation, about
 * the event's size in bytes; a long run is bounded by the limit, past which
 * an invocation costs a counter increment.  Each file is opened, written and
 * closed at once, so a run stopped by Ctrl-C leaves whole files behind (only
 * the last index line may be cut, as index.jsonl is buffered).
 */
#include "dump.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "awsjson.h"
#include "errmsg.h"

/* "%09" PRIu64 ".response.json" with room to spare for 20 digits. */
#define DUMP_NAME_MAX 48

struct dump {
    char *dir;             /* as given, trailing slashes cut: for paths and messages */
    char *path;            /* scratch: dir + "/" + a file name */
    FILE *index;           /* DIR/index.jsonl */
    uint64_t limit;        /* invocations to write */
    uint64_t written;      /* invocations written in full */
    uint64_t skipped;      /* invocations past the limit */
    bool failed;           /* latched: nothing more is written */
    char error[512];       /* the first failure */
};

/* Latch the first failure: "PATH: strerror". */
static void dump_fail(struct dump *d, const char *path, int errnum)
{
    if (d->failed)
        return;
    d->failed = true;
    snprintf(d->error, sizeof d->error, "%s: %s", path, strerror(errnum));
}

static const char *dump_path(struct dump *d, const char *name)
{
    sprintf(d->path, "%s/%s", d->dir, name);
    return d->path;
}

static void dump_free(struct dump *d)
{
    if (!d)
        return;
    if (d->index)
        fclose(d->index);
    free(d->dir);
    free(d->path);
    free(d);
}

struct dump *dump_open(const char *dir, uint64_t limit, char *err, size_t errlen)
{
    struct dump *d = calloc(1, sizeof *d);
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')   /* "out/" names out; "/" stays "/" */
        len--;
    if (!d || !(d->dir = strndup(dir, len)) || !(d->path = malloc(len + 1 + DUMP_NAME_MAX))) {
        errmsg_set(err, errlen, "%s: out of memory", dir);
        dump_free(d);
        return NULL;
    }
    d->limit = limit;

    struct stat st;
    if (mkdir(d->dir, 0777) != 0 && errno != EEXIST) {
        errmsg_set(err, errlen, "%s: cannot create directory: %s", d->dir, strerror(errno));
        dump_free(d);
        return NULL;
    }
    if (stat(d->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errmsg_set(err, errlen, "%s: not a directory", d->dir);
        dump_free(d);
        return NULL;
    }
    if (!(d->index = fopen(dump_path(d, DUMP_INDEX_NAME), "w"))) {
        errmsg_set(err, errlen, "%s: %s", d->path, strerror(errno));
        dump_free(d);
        return NULL;
    }
    return d;
}

/* Write text and a newline to DIR/name, latching any failure; nothing
 * after a failure. */
static void dump_file(struct dump *d, const char *name, const char *text)
{
    if (d->failed)
        return;
    FILE *f = fopen(dump_path(d, name), "w");
    if (!f) {
        dump_fail(d, d->path, errno);
        return;
    }
    bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    int errnum = errno;
    if (fclose(f) != 0 && ok) {   /* the buffered bytes are written here: disk full shows now */
        ok = false;
        errnum = errno;
    }
    if (!ok)
        dump_fail(d, d->path, errnum);
}

/* The index line of one invocation, compact JSON; NULL when out of memory. */
static char *dump_index_line(const struct slog_invocation *inv, const char *event_file,
                             const char *response_file)
{
    char first[24], last[24];
    snprintf(first, sizeof first, "%" PRIu64, inv->first_sequence_number);
    snprintf(last, sizeof last, "%" PRIu64, inv->last_sequence_number);
    cJSON *o = cJSON_CreateObject();
    bool ok = o
        && cJSON_AddNumberToObject(o, "invocation_id", (double)inv->invocation_id)
        && cJSON_AddStringToObject(o, "shard_id", inv->shard_id ? inv->shard_id : "")
        && cJSON_AddNumberToObject(o, "attempt", inv->attempt)
        && cJSON_AddStringToObject(o, "outcome", outcome_name(inv->outcome))
        && cJSON_AddNumberToObject(o, "record_count", inv->record_count)
        && cJSON_AddStringToObject(o, "first_sequence_number", first)
        && cJSON_AddStringToObject(o, "last_sequence_number", last)
        && cJSON_AddStringToObject(o, "event_file", event_file)
        && cJSON_AddStringToObject(o, "response_file", response_file);
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

void dump_event(void *ctx, const struct slog_event *ev)
{
    struct dump *d = ctx;
    if (d->failed)
        return;
    if (d->written >= d->limit) {
        d->skipped++;
        return;
    }
    const struct slog_invocation *inv = ev->inv;
    char event_file[DUMP_NAME_MAX], response_file[DUMP_NAME_MAX];
    snprintf(event_file, sizeof event_file, "%09" PRIu64 ".event.json", inv->invocation_id);
    snprintf(response_file, sizeof response_file, "%09" PRIu64 ".response.json",
             inv->invocation_id);

    char *event = awsjson_event(ev);
    /* a real handler's answer as it posted it; else the model's, in its JSON */
    char *response = ev->answer ? strndup(ev->answer, ev->answer_len)
                     : ev->response ? awsjson_response(ev->response) : awsjson_function_error(ev);
    char *line = dump_index_line(inv, event_file, response_file);
    if (!event || !response || !line) {
        dump_fail(d, dump_path(d, event_file), ENOMEM);
    } else {
        dump_file(d, event_file, event);
        dump_file(d, response_file, response);
        if (!d->failed && (fputs(line, d->index) < 0 || fputc('\n', d->index) == EOF))
            dump_fail(d, dump_path(d, DUMP_INDEX_NAME), errno);
        if (!d->failed)
            d->written++;
    }
    free(event);
    free(response);
    free(line);
}

uint64_t dump_written(const struct dump *d)
{
    return d->written;
}

uint64_t dump_skipped(const struct dump *d)
{
    return d->skipped;
}

int dump_close(struct dump *d, char *err, size_t errlen)
{
    if (!d)
        return 0;
    FILE *index = d->index;
    d->index = NULL;
    if (fclose(index) != 0)
        dump_fail(d, dump_path(d, DUMP_INDEX_NAME), errno);
    int rc = 0;
    if (d->failed) {
        errmsg_set(err, errlen, "%s", d->error);
        rc = -1;
    }
    dump_free(d);
    return rc;
}
