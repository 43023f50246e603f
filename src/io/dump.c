/*
 * dump.c - the files of `esmsim run --dump-events DIR` (see dump.h): per
 * invocation the Lambda event and the function's answer, in the JSON of
 * awsjson.c, and one index line.
 *
 * Cost: the event is built with cJSON and written once per invocation, about
 * the event's size in bytes; a long run is bounded by the limit, past which
 * an invocation costs a counter increment.  Each file is opened, written and
 * closed at once, and each index line written at once (index.jsonl is not
 * buffered), so a run stopped by Ctrl-C leaves whole files behind.
 *
 * Files are written only as themselves: a name in DIR that is a symbolic
 * link, a hard link to another name, a FIFO or a device is refused, never
 * written through (DIR may be shared, e.g. /tmp, where another user could
 * plant a link to a file of yours).  dump_open() refuses such a name of
 * the dump's files at once, before anything runs; one planted during the
 * run stops the dump at that file (dump_create_file()).
 */
#include "dump.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "awsjson.h"
#include "errmsg.h"

/* "%09" PRIu64 ".response.json" with room to spare for 20 digits. */
#define DUMP_NAME_MAX 48

struct dump {
    char *dir;             /* as given, trailing slashes cut: for paths and messages */
    char *path;            /* scratch: dir + "/" + a file name */
    FILE *index;           /* DIR/index.jsonl, not buffered */
    off_t index_size;      /* its whole lines' bytes */
    uint64_t limit;        /* invocations to write */
    uint64_t written;      /* invocations written in full */
    uint64_t skipped;      /* invocations past the limit */
    bool made_dir;         /* dump_open made dir ... */
    bool made_index;       /* ... and index.jsonl: removed should the run not begin */
    bool begun;            /* dump_begin: index.jsonl is this run's */
    bool failed;           /* latched: nothing more is written */
    char error[512];       /* the first failure */
};

/* Latch the first failure: "PATH: what". */
static void dump_fail_msg(struct dump *d, const char *path, const char *what)
{
    if (d->failed)
        return;
    d->failed = true;
    snprintf(d->error, sizeof d->error, "%s: %s", path, what);
}

/* Latch the first failure: "PATH: strerror". */
static void dump_fail(struct dump *d, const char *path, int errnum)
{
    dump_fail_msg(d, path, strerror(errnum));
}

static const char *dump_path(struct dump *d, const char *name);

/* Why esmsim does not write to a name that is not a file of its own. */
#define NOT_THROUGH_LINKS "esmsim does not write through links (remove it, or dump to another directory)"

/* Why a name of st is not one to write to, or NULL: it is a file of its own. */
static const char *dump_refusal(const struct stat *st)
{
    return S_ISLNK(st->st_mode) ? "a symbolic link: " NOT_THROUGH_LINKS
         : !S_ISREG(st->st_mode) ? "not a regular file: " NOT_THROUGH_LINKS
         : st->st_nlink > 1 ? "a hard link to another name: " NOT_THROUGH_LINKS : NULL;
}

/*
 * Open path to write it from its start, as a file of its own: created if
 * absent; refused, untouched, when it is a symbolic link (O_NOFOLLOW), not a
 * regular file (a FIFO or a device: opened without blocking, then checked)
 * or a regular file with other hard links.  Emptied with truncate, else
 * kept as it is until written.  NULL with why set.
 */
static FILE *dump_create_file(const char *path, bool truncate, char *why, size_t whylen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
    struct stat st;
    if (fd < 0) {   /* ELOOP: the name is a symbolic link */
        errmsg_set(why, whylen, "%s", errno == ELOOP ? "a symbolic link: " NOT_THROUGH_LINKS
                                                     : strerror(errno));
        return NULL;
    }
    FILE *f = NULL;
    if (fstat(fd, &st) != 0)
        errmsg_set(why, whylen, "%s", strerror(errno));
    else if (dump_refusal(&st))
        errmsg_set(why, whylen, "%s", dump_refusal(&st));
    else if ((truncate && ftruncate(fd, 0) != 0) || fcntl(fd, F_SETFL, 0) != 0 ||
             !(f = fdopen(fd, "w")))
        errmsg_set(why, whylen, "%s", strerror(errno));
    if (!f)
        close(fd);
    return f;
}

/* A name of the dump's files: index.jsonl, or nine digits or more and
 * .event.json or .response.json. */
static bool dump_name(const char *name)
{
    size_t digits = strspn(name, "0123456789");
    return strcmp(name, DUMP_INDEX_NAME) == 0 ||
           (digits >= 9 && (strcmp(name + digits, ".event.json") == 0 ||
                            strcmp(name + digits, ".response.json") == 0));
}

/* A name of the dump's files in d->dir that dump_create_file() would
 * refuse (a link, not a regular file): -1 with err set, else 0. */
static int dump_check_links(struct dump *d, char *err, size_t errlen)
{
    DIR *dir = opendir(d->dir);
    if (!dir) {
        errmsg_set(err, errlen, "%s: %s", d->dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(dir));) {
        struct stat st;
        if (!dump_name(e->d_name) || strlen(e->d_name) >= DUMP_NAME_MAX)
            continue;
        if (lstat(dump_path(d, e->d_name), &st) == 0 && dump_refusal(&st)) {
            errmsg_set(err, errlen, "%s: %s", d->path, dump_refusal(&st));
            rc = -1;
        }
    }
    closedir(dir);
    return rc;
}

static const char *dump_path(struct dump *d, const char *name)
{
    sprintf(d->path, "%s/%s", d->dir, name);
    return d->path;
}

/* The run log at keep (NULL: none) is none of the dump's files, which
 * would be written over it (and it over them): -1 with err set, else 0. */
static int dump_check_run_log(struct dump *d, const char *keep, char *err, size_t errlen)
{
    if (!keep)
        return 0;
    const char *slash = strrchr(keep, '/');
    struct stat in_dir, dump_dir;
    char *keep_dir = slash ? strndup(keep, slash == keep ? 1 : (size_t)(slash - keep)) : strdup(".");
    bool same = keep_dir && dump_name(slash ? slash + 1 : keep) && stat(keep_dir, &in_dir) == 0 &&
                stat(d->dir, &dump_dir) == 0 && in_dir.st_dev == dump_dir.st_dev &&
                in_dir.st_ino == dump_dir.st_ino;
    free(keep_dir);
    if (!same)
        return 0;
    errmsg_set(err, errlen, "%s: is the run log -o %s: dump to another directory",
               dump_path(d, slash ? slash + 1 : keep), keep);
    return -1;
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

struct dump *dump_open(const char *dir, uint64_t limit, const char *keep, char *err,
                       size_t errlen)
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
    d->made_dir = mkdir(d->dir, 0777) == 0;
    if (!d->made_dir && errno != EEXIST) {
        errmsg_set(err, errlen, "%s: cannot create directory: %s", d->dir, strerror(errno));
        dump_free(d);
        return NULL;
    }
    char why[200];
    if (stat(d->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        errmsg_set(err, errlen, "%s: not a directory", d->dir);
    else if (dump_check_run_log(d, keep, err, errlen) == 0 && dump_check_links(d, err, errlen) == 0) {
        d->made_index = lstat(dump_path(d, DUMP_INDEX_NAME), &st) != 0;
        if (!(d->index = dump_create_file(d->path, false, why, sizeof why)))
            errmsg_set(err, errlen, "%s: %s", d->path, why);
    }
    if (!d->index) {
        dump_close(d, NULL, 0);   /* what it made removed */
        return NULL;
    }
    setvbuf(d->index, NULL, _IONBF, 0);   /* a line on disk once dump_event returns */
    return d;
}

void dump_begin(struct dump *d)
{
    if (!d)
        return;
    d->begun = true;
    if (ftruncate(fileno(d->index), 0) != 0)
        dump_fail(d, dump_path(d, DUMP_INDEX_NAME), errno);
}

/* Write text and a newline to DIR/name, latching any failure; nothing
 * after a failure.  A file cut short (a full disk) is removed: an event
 * that is not the one sent must not be fed to a handler. */
static void dump_file(struct dump *d, const char *name, const char *text)
{
    if (d->failed)
        return;
    char why[200];
    FILE *f = dump_create_file(dump_path(d, name), true, why, sizeof why);
    if (!f) {
        dump_fail_msg(d, d->path, why);
        return;
    }
    bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    int errnum = errno;
    if (fclose(f) != 0 && ok) {   /* the buffered bytes are written here: disk full shows now */
        ok = false;
        errnum = errno;
    }
    if (!ok) {
        dump_fail(d, d->path, errnum);
        unlink(d->path);
    }
}

/* The index line of an invocation whose files are written, latching a
 * failure.  A line cut short (a full disk) is cut off: index.jsonl lists
 * the invocations written, each line whole (their files stay, as those of
 * an invocation whose response could not be written). */
static void dump_index(struct dump *d, const char *line)
{
    size_t len = strlen(line);
    if (d->failed)
        return;
    if (fwrite(line, 1, len, d->index) == len && fputc('\n', d->index) != EOF) {
        d->index_size += (off_t)len + 1;
        return;
    }
    dump_fail(d, dump_path(d, DUMP_INDEX_NAME), errno);
    if (ftruncate(fileno(d->index), d->index_size) != 0)
        unlink(d->path);   /* no index rather than one that looks whole */
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
    /* a real handler's answer as it posted it; else the model's, in its JSON
     * (with windows, the state it returned: R15) */
    char *response = ev->answer ? strndup(ev->answer, ev->answer_len)
                     : ev->response ? awsjson_response(ev->response, ev->returned)
                     : awsjson_function_error(ev);
    char *line = dump_index_line(inv, event_file, response_file);
    if (!event || !response || !line) {
        dump_fail(d, dump_path(d, event_file), ENOMEM);
    } else {
        dump_file(d, event_file, event);
        dump_file(d, response_file, response);
        dump_index(d, line);
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
    if (index && fclose(index) != 0)
        dump_fail(d, dump_path(d, DUMP_INDEX_NAME), errno);
    if (!d->begun) {   /* the run never began: the directory as it was */
        if (d->made_index)
            unlink(dump_path(d, DUMP_INDEX_NAME));
        if (d->made_dir)
            rmdir(d->dir);
    }
    int rc = 0;
    if (d->failed) {
        errmsg_set(err, errlen, "%s", d->error);
        rc = -1;
    }
    dump_free(d);
    return rc;
}
