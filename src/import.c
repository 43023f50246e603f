/*
 * import.c - `esmsim import FILE... -o SCENARIO.json`: see import.h (SPEC
 * section 5, issue 14 item 1).
 *
 * Each file is read (JSON, or YAML when it does not start like JSON), its
 * format recognised from its content, and its reader sets values of the
 * scenario with where they came from.  The metric data comes last: it
 * fills what the others leave (traffic, durations, failures).  Then the
 * defaults import chooses, the description (every value's origin), and the
 * scenario loader itself checks the result: a value it refuses is reported
 * at the input file and path it came from, so the loader stays the one
 * place that knows what a scenario may hold.  Nothing is written unless all
 * of it passes.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "array.h"
#include "errmsg.h"
#include "fmt.h"
#include "import.h"
#include "metricdata.h"
#include "scenario.h"

#define EXIT_FAILED 1
#define EXIT_BAD_INPUT 2

/* Where a value of the scenario came from. */
struct origin {
    char *spath;            /* "stream.shards", "producers[0].rate" */
    char *file;             /* the input file; NULL for a value import computed */
    char *ipath;            /* the path in it ("$.StreamDescriptionSummary.OpenShardCount") */
    char *text;             /* for a computed value: from what (the description's words) */
    enum imp_rank rank;
};

/* What could not be mapped, one line per file and reason. */
struct unmapped {
    char *file, *why;
    char *paths;            /* "$.A, $.B" */
};

struct imp {
    cJSON *scn;                     /* the scenario being made */
    struct origin *o;
    size_t n_o, cap_o;
    struct unmapped *u;
    size_t n_u, cap_u;
    char **notes;
    size_t n_notes, cap_notes;
    char err[2048];                 /* the first error */
    bool failed;
    const char *mapping;            /* --mapping */
    char **params;                  /* --parameter NAME=VALUE, as given */
    size_t n_params;
    char *function_arn, *stream_arn;   /* the first real ARNs seen, for model.region/account */
    char *function_arn_from, *stream_arn_from;   /* "FILE IPATH" of each */
};

/* ---- messages ------------------------------------------------------------- */

static char *vformat(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

int imp_fail(struct imp *im, const char *fmt, ...)
{
    if (!im->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(im->err, sizeof im->err, fmt, ap);
        va_end(ap);
        im->failed = true;
    }
    return -1;
}

int imp_nomem(struct imp *im)
{
    return imp_fail(im, "out of memory");
}

int imp_note(struct imp *im, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    if (!s || array_grow((void **)&im->notes, &im->cap_notes, im->n_notes, sizeof *im->notes)) {
        free(s);
        return imp_nomem(im);
    }
    im->notes[im->n_notes++] = s;
    return 0;
}

int imp_unmapped(struct imp *im, const char *file, const char *why, const char *ipath)
{
    struct unmapped *u = NULL;
    for (size_t i = 0; i < im->n_u; i++)
        if (!strcmp(im->u[i].file, file) && !strcmp(im->u[i].why, why))
            u = &im->u[i];
    if (!u) {
        if (array_grow((void **)&im->u, &im->cap_u, im->n_u, sizeof *im->u))
            return imp_nomem(im);
        u = &im->u[im->n_u++];
        *u = (struct unmapped){ strdup(file), strdup(why), strdup("") };
        if (!u->file || !u->why || !u->paths)
            return imp_nomem(im);
    }
    size_t len = strlen(u->paths) + strlen(ipath) + 3;
    char *p = malloc(len);
    if (!p)
        return imp_nomem(im);
    snprintf(p, len, "%s%s%s", u->paths, u->paths[0] ? ", " : "", ipath);
    free(u->paths);
    u->paths = p;
    return 0;
}

const char *imp_selected_mapping(const struct imp *im)
{
    return im->mapping;
}

const char *imp_parameter(const struct imp *im, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = im->n_params; i-- > 0;)   /* the last one given wins */
        if (!strncmp(im->params[i], name, n) && im->params[i][n] == '=')
            return im->params[i] + n + 1;
    return NULL;
}

/* (buf may be base: the path is made aside, then copied) */
const char *imp_path(char *buf, size_t len, const char *base, const char *key)
{
    bool plain = (isalpha((unsigned char)key[0]) || key[0] == '_');
    for (const char *p = key; plain && *p; p++)
        plain = isalnum((unsigned char)*p) || *p == '_';
    char safe[FMT_TEXT_MAX], made[1024];
    fmt_text(key, safe, 200);
    if (plain)
        snprintf(made, sizeof made, "%.800s.%.200s", base, key);
    else
        snprintf(made, sizeof made, "%.800s[\"%.200s\"]", base, safe);
    snprintf(buf, len, "%s", made);
    return buf;
}

const char *imp_path_index(char *buf, size_t len, const char *base, size_t i)
{
    char made[1024];
    snprintf(made, sizeof made, "%s[%zu]", base, i);
    snprintf(buf, len, "%s", made);
    return buf;
}

/* ---- the scenario and where its values came from -------------------------- */

static const char *const RANK_WORDS[] = {
    [IMP_DERIVED] = "computed by import", [IMP_TEMPLATE] = "a template or plan",
    [IMP_STATE] = "terraform state", [IMP_LIVE] = "what is deployed",
};

static struct origin *origin_of(const struct imp *im, const char *spath)
{
    for (size_t i = 0; i < im->n_o; i++)
        if (!strcmp(im->o[i].spath, spath))
            return &im->o[i];
    return NULL;
}

/* The object holding spath's last key (made on the way), and that key. */
static cJSON *parent_of(cJSON *root, const char *spath, char *key, size_t keylen, bool make)
{
    cJSON *o = root;
    const char *p = spath;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= keylen)
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        if (!dot)
            return o;
        cJSON *next = cJSON_GetObjectItemCaseSensitive(o, key);
        if (!next && make)
            next = cJSON_AddObjectToObject(o, key);
        if (!cJSON_IsObject(next))
            return NULL;
        o = next;
        p = dot + 1;
    }
}

const cJSON *imp_get(const struct imp *im, const char *spath)
{
    char key[128];
    cJSON *o = parent_of(im->scn, spath, key, sizeof key, false);
    return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* A value as short text, for notes ("4", "\"orders\""). */
static const char *value_text(const cJSON *v, char *buf, size_t len)
{
    char *t = v ? cJSON_PrintUnformatted(v) : NULL;
    char safe[FMT_TEXT_MAX];
    snprintf(buf, len, "%s", t ? fmt_text(t, safe, len < 80 ? len : 80) : "nothing");
    cJSON_free(t);
    return buf;
}

static void origin_words(const struct origin *o, char *buf, size_t len)
{
    if (o->file)
        snprintf(buf, len, "%s %s", o->file, o->ipath);
    else
        snprintf(buf, len, "%s", o->text);
}

/* Place value at spath and record its origin o (taken). */
static int put(struct imp *im, const char *spath, cJSON *value, struct origin o)
{
    char key[128];
    cJSON *parent = value ? parent_of(im->scn, spath, key, sizeof key, true) : NULL;
    struct origin *old = origin_of(im, spath);
    if (value && !parent) {
        cJSON_Delete(value);
        free(o.file), free(o.ipath), free(o.text);
        return imp_fail(im, "esmsim import: cannot place %s in the scenario", spath);
    }
    if (value) {
        if (cJSON_GetObjectItemCaseSensitive(parent, key))
            cJSON_ReplaceItemInObjectCaseSensitive(parent, key, value);
        else
            cJSON_AddItemToObject(parent, key, value);
    }
    if (old) {
        free(old->file), free(old->ipath), free(old->text);
        o.spath = old->spath;
        *old = o;
        return 0;
    }
    if (array_grow((void **)&im->o, &im->cap_o, im->n_o, sizeof *im->o) || !(o.spath = strdup(spath))) {
        free(o.file), free(o.ipath), free(o.text);
        return imp_nomem(im);
    }
    im->o[im->n_o++] = o;
    return 0;
}

int imp_set(struct imp *im, const char *spath, cJSON *value, enum imp_rank rank,
            const char *file, const char *ipath)
{
    if (!value)
        return imp_nomem(im);
    struct origin *old = origin_of(im, spath);
    const cJSON *was = imp_get(im, spath);
    char a[1024], b[1024], va[96], vb[96];
    if (old && was) {
        bool same = cJSON_Compare(was, value, true);
        origin_words(old, a, sizeof a);
        snprintf(b, sizeof b, "%s %s", file, ipath);
        if (old->rank == rank && !same) {
            int rc = imp_fail(im, "%s: %s: %s disagrees with %s (%s) on the scenario's %s: the "
                              "files describe different resources, or one is out of date",
                              file, ipath, value_text(value, va, sizeof va), a,
                              value_text(was, vb, sizeof vb), spath);
            cJSON_Delete(value);
            return rc;
        }
        if (old->rank > rank || (old->rank == rank && same)) {
            if (!same)
                imp_note(im, "%s: %s from %s (%s) rather than %s from %s (%s)", spath,
                         value_text(was, vb, sizeof vb), a, RANK_WORDS[old->rank],
                         value_text(value, va, sizeof va), b, RANK_WORDS[rank]);
            cJSON_Delete(value);
            return 0;
        }
        if (!same)
            imp_note(im, "%s: %s from %s (%s) rather than %s from %s (%s)", spath,
                     value_text(value, va, sizeof va), b, RANK_WORDS[rank],
                     value_text(was, vb, sizeof vb), a, RANK_WORDS[old->rank]);
    }
    struct origin o = { .file = strdup(file), .ipath = strdup(ipath), .rank = rank };
    if (!o.file || !o.ipath) {
        free(o.file), free(o.ipath);
        cJSON_Delete(value);
        return imp_nomem(im);
    }
    return put(im, spath, value, o);
}

int imp_set_derived(struct imp *im, const char *spath, cJSON *value, const char *origin, ...)
{
    va_list ap;
    va_start(ap, origin);
    char *text = vformat(origin, ap);
    va_end(ap);
    if (!text) {
        cJSON_Delete(value);
        return imp_nomem(im);
    }
    struct origin *old = origin_of(im, spath);
    if (value && old && old->rank > IMP_DERIVED) {   /* an input gave it: kept */
        cJSON_Delete(value);
        free(text);
        return 0;
    }
    return put(im, spath, value, (struct origin){ .text = text, .rank = IMP_DERIVED });
}

/* ---- what the readers share: ARNs, the mapping ------------------------------ */

/* Split an ARN "arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE" into parts
 * (each in its buffer of 128 bytes); false when arn is not one. */
static bool arn_parts(const char *arn, char service[128], char region[128], char account[128],
                      const char **resource)
{
    if (strncmp(arn, "arn:", 4) != 0)
        return false;
    const char *p = arn + 4;
    char *outs[4] = { NULL, service, region, account };
    char partition[128];
    outs[0] = partition;
    for (int i = 0; i < 4; i++) {
        const char *c = strchr(p, ':');
        if (!c || (size_t)(c - p) >= 128)
            return false;
        memcpy(outs[i], p, (size_t)(c - p));
        outs[i][c - p] = '\0';
        p = c + 1;
    }
    *resource = p;
    return *p != '\0';
}

const char *imp_arn_stream(const char *arn, char *buf, size_t len, bool *dynamodb, bool *consumer)
{
    char service[128], region[128], account[128];
    const char *res;
    *dynamodb = *consumer = false;
    if (!arn || !arn_parts(arn, service, region, account, &res))
        return NULL;
    const char *name, *end;
    if (!strcmp(service, "kinesis") && !strncmp(res, "stream/", 7)) {
        name = res + 7;
        end = strchr(name, '/');
        *consumer = end && !strncmp(end, "/consumer/", 10);
    } else if (!strcmp(service, "dynamodb") && !strncmp(res, "table/", 6)) {
        name = res + 6;
        end = strchr(name, '/');
        *dynamodb = true;
        if (!end || strncmp(end, "/stream/", 8) != 0)
            return NULL;   /* a table's ARN, not its stream's */
    } else {
        return NULL;
    }
    size_t n = end ? (size_t)(end - name) : strlen(name);
    if (n == 0 || n >= len)
        return NULL;
    memcpy(buf, name, n);
    buf[n] = '\0';
    return buf;
}

static int remember_arn(struct imp *im, char **arn, char **from, const char *value,
                        const char *file, const char *ipath)
{
    if (*arn)
        return 0;
    size_t len = strlen(file) + strlen(ipath) + 2;
    *arn = strdup(value);
    *from = malloc(len);
    if (!*arn || !*from)
        return imp_nomem(im);
    snprintf(*from, len, "%s %s", file, ipath);
    return 0;
}

int imp_source_arn(struct imp *im, const char *arn, enum imp_rank rank, const char *file,
                   const char *ipath)
{
    char name[256];
    bool ddb, consumer;
    if (!imp_arn_stream(arn, name, sizeof name, &ddb, &consumer)) {
        char safe[FMT_TEXT_MAX];
        return imp_fail(im, "%s: %s: expected the ARN of a Kinesis stream, of its consumer, or of a "
                        "DynamoDB table's stream (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME, "
                        "arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL), got \"%s\"",
                        file, ipath, fmt_text(arn, safe, 200));
    }
    if (remember_arn(im, &im->stream_arn, &im->stream_arn_from, arn, file, ipath) < 0 ||
        imp_set(im, "stream.type", cJSON_CreateString(ddb ? "dynamodb" : "kinesis"), rank, file,
                ipath) < 0 ||
        imp_set(im, ddb ? "stream.table" : "stream.name", cJSON_CreateString(name), rank, file,
                ipath) < 0)
        return -1;
    if (!ddb)
        return imp_set(im, "stream.consumer", cJSON_CreateString(consumer ? "efo" : "shared"), rank,
                       file, ipath);
    return 0;
}

int imp_function_ref(struct imp *im, const char *ref, enum imp_rank rank, const char *file,
                     const char *ipath)
{
    /* arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER], ACCOUNT:function:NAME, NAME[:QUALIFIER] */
    const char *name = ref, *f = strstr(ref, "function:");
    if (f)
        name = f + 9;
    if (!strncmp(ref, "arn:", 4) &&
        remember_arn(im, &im->function_arn, &im->function_arn_from, ref, file, ipath) < 0)
        return -1;
    size_t n = strcspn(name, ":");
    char *copy = strndup(name, n);
    if (!copy)
        return imp_nomem(im);
    cJSON *v = cJSON_CreateString(copy);
    free(copy);
    return imp_set(im, "function.name", v, rank, file, ipath);
}

const char *imp_kind(const cJSON *v)
{
    return !v ? "nothing" : cJSON_IsNumber(v) ? "a number" : cJSON_IsString(v) ? "a string"
         : cJSON_IsArray(v) ? "an array" : cJSON_IsObject(v) ? "an object"
         : cJSON_IsBool(v) ? "a boolean" : "null";
}

cJSON *imp_number(const cJSON *v)
{
    if (cJSON_IsString(v) && v->valuestring[0] && !isspace((unsigned char)v->valuestring[0])) {
        char *end;
        double d = strtod(v->valuestring, &end);
        if (!*end && isfinite(d))
            return cJSON_CreateNumber(d);
    }
    return cJSON_Duplicate(v, true);
}

int imp_copy(struct imp *im, const char *file, const char *base, const cJSON *obj,
             const struct imp_copy *list, size_t n, enum imp_rank rank)
{
    char path[1024];
    for (size_t i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, list[i].key);
        if (v && !cJSON_IsNull(v) &&
            imp_set(im, list[i].spath, imp_number(v), rank, file,
                    imp_path(path, sizeof path, base, list[i].key)) < 0)
            return -1;
    }
    return 0;
}

int imp_stream_named(struct imp *im, const char *type, const cJSON *v, enum imp_rank rank,
                     const char *file, const char *path)
{
    bool ddb = !strcmp(type, "dynamodb");
    if (!cJSON_IsString(v))
        return imp_fail(im, "%s: %s: expected the %s's name (a string), got %s", file, path,
                        ddb ? "table" : "stream", imp_kind(v));
    return imp_set(im, "stream.type", cJSON_CreateString(type), rank, file, path) ||
           imp_set(im, ddb ? "stream.table" : "stream.name", cJSON_Duplicate(v, true), rank, file,
                   path) ? -1 : 0;
}

int imp_stream_retention(struct imp *im, const char *file, const char *path, const cJSON *v,
                         enum imp_rank rank)
{
    cJSON *n = imp_number(v);
    if (!cJSON_IsNumber(n)) {
        cJSON_Delete(n);
        return n ? imp_fail(im, "%s: %s: expected a number of hours, got %s", file, path, imp_kind(v))
                 : imp_nomem(im);
    }
    char text[64];
    snprintf(text, sizeof text, "%.17gh", n->valuedouble);
    cJSON_Delete(n);
    return imp_set(im, "stream.retention", cJSON_CreateString(text), rank, file, path);
}

int imp_stream_mode(struct imp *im, const char *file, const char *path, const cJSON *v,
                    enum imp_rank rank)
{
    if (cJSON_IsString(v) && !strcmp(v->valuestring, "ON_DEMAND"))
        return imp_set(im, "stream.capacity_mode", cJSON_CreateString("ON_DEMAND"), rank, file, path);
    if (cJSON_IsString(v) && !strcmp(v->valuestring, "PROVISIONED"))
        return 0;   /* the default */
    char safe[FMT_TEXT_MAX];
    return imp_fail(im, "%s: %s: expected PROVISIONED or ON_DEMAND, got %s", file, path,
                    cJSON_IsString(v) ? fmt_text(v->valuestring, safe, 100) : imp_kind(v));
}

/* The settings of a mapping, by AWS's name and terraform's. */
enum field_type { F_INT, F_BOOL, F_ANY };
static const struct esm_field {
    const char *aws, *tf;
    enum field_type type;
} ESM_FIELDS[] = {
    { "BatchSize", "batch_size", F_INT },
    { "MaximumBatchingWindowInSeconds", "maximum_batching_window_in_seconds", F_INT },
    { "ParallelizationFactor", "parallelization_factor", F_INT },
    { "MaximumRetryAttempts", "maximum_retry_attempts", F_INT },
    { "MaximumRecordAgeInSeconds", "maximum_record_age_in_seconds", F_INT },
    { "BisectBatchOnFunctionError", "bisect_batch_on_function_error", F_BOOL },
    { "FunctionResponseTypes", "function_response_types", F_ANY },
    { "TumblingWindowInSeconds", "tumbling_window_in_seconds", F_INT },
    { "Enabled", "enabled", F_BOOL },
    { "StartingPosition", "starting_position", F_ANY },
    { "StartingPositionTimestamp", "starting_position_timestamp", F_ANY },
};

/* v as the type a setting has: templates write numbers and booleans as
 * strings too ("100", "true"), which CloudFormation converts. */
static cJSON *typed(const cJSON *v, enum field_type t)
{
    if (cJSON_IsString(v) && t == F_INT) {
        char *end;
        double d = strtod(v->valuestring, &end);
        if (v->valuestring[0] && !*end && !isspace((unsigned char)v->valuestring[0]))
            return cJSON_CreateNumber(d);
    }
    if (cJSON_IsString(v) && t == F_BOOL) {
        if (!strcmp(v->valuestring, "true") || !strcmp(v->valuestring, "false"))
            return cJSON_CreateBool(!strcmp(v->valuestring, "true"));
    }
    return cJSON_Duplicate(v, true);
}

bool imp_empty(const cJSON *v)
{
    return !v || cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0]) ||
           ((cJSON_IsArray(v) || cJSON_IsObject(v)) && !v->child);
}

static bool in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (!strcmp(*list, s))
            return true;
    return false;
}

int imp_rest_unmapped(struct imp *im, const char *file, const char *base, const cJSON *obj,
                      const char *const *used)
{
    char path[1024];
    const cJSON *k;
    cJSON_ArrayForEach(k, obj)
        if (!in_list(used, k->string) && !imp_empty(k) &&
            imp_unmapped(im, file, "not modelled", imp_path(path, sizeof path, base, k->string)) < 0)
            return -1;
    return 0;
}

/* The first element of a terraform block list ([{...}]), or the object itself. */
static const cJSON *block(const cJSON *v, bool terraform)
{
    return terraform && cJSON_IsArray(v) ? v->child : v;
}

/* DestinationConfig: OnFailure.Destination is simulated (SQS or SNS). */
static int mapping_destinations(struct imp *im, const char *file, const char *base,
                                const cJSON *dc, bool terraform, enum imp_rank rank)
{
    char p1[512], p2[512], p3[512], safe[FMT_TEXT_MAX];
    const char *which[2][2] = { { "OnFailure", "on_failure" }, { "OnSuccess", "on_success" } };
    const cJSON *d = block(dc, terraform);
    const cJSON *k;
    char at[512];
    if (terraform && cJSON_IsArray(dc))
        base = imp_path_index(at, sizeof at, base, 0);
    cJSON_ArrayForEach(k, d) {
        int w = !strcmp(k->string, which[0][terraform]) ? 0
              : !strcmp(k->string, which[1][terraform]) ? 1 : -1;
        imp_path(p1, sizeof p1, base, k->string);
        if (terraform && cJSON_IsArray(k))
            imp_path_index(p1, sizeof p1, p1, 0);
        if (w < 0) {
            if (!imp_empty(k) && imp_unmapped(im, file, "not modelled", p1) < 0)
                return -1;
            continue;
        }
        const cJSON *one = block(k, terraform), *x;
        cJSON_ArrayForEach(x, one) {
            imp_path(p2, sizeof p2, p1, x->string);
            bool dest = !strcmp(x->string, terraform ? "destination_arn" : "Destination");
            if (imp_empty(x))
                continue;
            if (!dest || w == 1) {
                if (imp_unmapped(im, file, w == 1 ? "not used by stream mappings (OnSuccess)"
                                 : "not modelled", p2) < 0)
                    return -1;
                continue;
            }
            if (cJSON_IsString(x) && strstr(x->valuestring, ":s3:")) {
                imp_note(im, "%s: %s: an S3 OnFailure destination (%s) is not simulated yet: the "
                         "scenario has no destination; discards are still logged", file, p2,
                         fmt_text(x->valuestring, safe, 200));
                if (imp_unmapped(im, file, "not simulated yet", p2) < 0)
                    return -1;
                continue;
            }
            snprintf(p3, sizeof p3, "%s", p2);
            if (imp_set(im, "event_source_mapping.DestinationConfig.OnFailure.Destination",
                        cJSON_Duplicate(x, true), rank, file, p3) < 0)
                return -1;
        }
    }
    return 0;
}

/* FilterCriteria: none is simulated yet; a non-empty one is said, not dropped silently. */
static int mapping_filters(struct imp *im, const char *file, const char *path, const cJSON *fc,
                           bool terraform)
{
    const cJSON *filters = terraform ? cJSON_GetObjectItemCaseSensitive(block(fc, true), "filter")
                                     : cJSON_GetObjectItemCaseSensitive(fc, "Filters");
    if (imp_empty(filters))
        return 0;
    imp_note(im, "%s: %s: event filtering is not simulated yet: in the scenario every record "
             "reaches the function", file, path);
    return imp_unmapped(im, file, "not simulated yet", path);
}

int imp_mapping(struct imp *im, const char *file, const char *base, const cJSON *obj,
                bool terraform, enum imp_rank rank, const char *const *skip)
{
    char path[512], spath[160];
    const cJSON *k;
    cJSON_ArrayForEach(k, obj) {
        const char *key = k->string;
        imp_path(path, sizeof path, base, key);
        if (in_list(skip, key) || imp_empty(k))
            continue;
        const struct esm_field *f = NULL;
        for (size_t i = 0; i < sizeof ESM_FIELDS / sizeof ESM_FIELDS[0]; i++)
            if (!strcmp(key, terraform ? ESM_FIELDS[i].tf : ESM_FIELDS[i].aws))
                f = &ESM_FIELDS[i];
        int rc = 0;
        if (f) {
            snprintf(spath, sizeof spath, "event_source_mapping.%s", f->aws);
            rc = imp_set(im, spath, typed(k, f->type), rank, file, path);
        } else if (!strcmp(key, terraform ? "event_source_arn" : "EventSourceArn")) {
            if (!cJSON_IsString(k))
                return imp_fail(im, "%s: %s: expected an ARN (a string)", file, path);
            rc = imp_set(im, "event_source_mapping.EventSourceArn", cJSON_Duplicate(k, true), rank,
                         file, path) || imp_source_arn(im, k->valuestring, rank, file, path);
        } else if (!strcmp(key, terraform ? "function_name" : "FunctionArn") ||
                   (!terraform && !strcmp(key, "FunctionName"))) {
            if (!cJSON_IsString(k))
                return imp_fail(im, "%s: %s: expected a function name or ARN (a string)", file, path);
            /* An ARN is what events and OnFailure records carry. */
            if (!strncmp(k->valuestring, "arn:", 4))
                rc = imp_set(im, "event_source_mapping.FunctionArn", cJSON_Duplicate(k, true), rank,
                             file, path);
            rc = rc || imp_function_ref(im, k->valuestring, rank, file, path);
        } else if (!strcmp(key, terraform ? "destination_config" : "DestinationConfig")) {
            rc = mapping_destinations(im, file, path, k, terraform, rank);
        } else if (!strcmp(key, terraform ? "filter_criteria" : "FilterCriteria")) {
            rc = mapping_filters(im, file, path, k, terraform);
        } else if (!(terraform && !strcmp(key, "function_arn"))) {   /* function_name has it */
            rc = imp_unmapped(im, file, "not modelled", path);
        }
        if (rc)
            return -1;
    }
    return 0;
}

/* ---- reading the files ------------------------------------------------------ */

/* Does text start like JSON (after spaces and a byte order mark)? */
static bool looks_like_json(const char *text)
{
    if (!strncmp(text, "\xEF\xBB\xBF", 3))
        text += 3;
    while (isspace((unsigned char)*text))
        text++;
    return *text == '{' || *text == '[';
}

static int read_file(struct imp *im, struct imp_file *f)
{
    size_t len;
    char err[1024];
    char *text = scn_read_text(f->path, &len, err, sizeof err);
    if (!text)
        return imp_fail(im, "%s", err);
    if (looks_like_json(text)) {
        const char *end = NULL;
        f->root = memchr(text, '\0', len) ? NULL : cJSON_ParseWithOpts(text, &end, 1);
        if (!f->root)
            scn_json_error(f->path, text, len, end, err, sizeof err);
    } else {
        f->yaml = true;
        f->root = imp_yaml_parse(f->path, text, len, err, sizeof err);
    }
    free(text);
    return f->root ? 0 : imp_fail(im, "%s", err);
}

/* ---- what import chooses when no input says -------------------------------- */

/* A value import sets whatever an input said (a choice its note explains). */
static int replace_derived(struct imp *im, const char *spath, cJSON *value, const char *origin, ...)
    __attribute__((format(printf, 4, 5)));
static int replace_derived(struct imp *im, const char *spath, cJSON *value, const char *origin, ...)
{
    va_list ap;
    va_start(ap, origin);
    char *text = vformat(origin, ap);
    va_end(ap);
    if (!text || !value) {
        free(text);
        cJSON_Delete(value);
        return imp_nomem(im);
    }
    return put(im, spath, value, (struct origin){ .text = text, .rank = IMP_DERIVED });
}

static bool is_true_string(const cJSON *v, const char *s)
{
    return cJSON_IsString(v) && !strcmp(v->valuestring, s);
}

static int finish_mapping(struct imp *im)
{
    const cJSON *start = imp_get(im, "event_source_mapping.StartingPosition");
    if (!imp_get(im, "event_source_mapping") &&
        imp_note(im, "no event source mapping among the inputs: the scenario has AWS's default "
                 "settings (give the output of aws lambda get-event-source-mapping, or a template)") < 0)
        return -1;
    /* A replay starts with an empty stream, the mapping already reading it:
     * that is TRIM_HORIZON, whatever position the mapping was created with
     * (LATEST would miss the first minute, a past AT_TIMESTAMP means nothing). */
    if (start && !is_true_string(start, "TRIM_HORIZON")) {
        char was[64];
        value_text(start, was, sizeof was);
        struct origin *o = origin_of(im, "event_source_mapping.StartingPosition");
        char from[1024];
        origin_words(o, from, sizeof from);
        cJSON *esm = (cJSON *)imp_get(im, "event_source_mapping");
        cJSON_DeleteItemFromObjectCaseSensitive(esm, "StartingPositionTimestamp");
        if (imp_note(im, "event_source_mapping.StartingPosition: TRIM_HORIZON rather than %s (%s): "
                     "the scenario replays a mapping that is already reading, on a stream that starts "
                     "empty", was, from) < 0 ||
            replace_derived(im, "event_source_mapping.StartingPosition",
                            cJSON_CreateString("TRIM_HORIZON"), "TRIM_HORIZON rather than %s (%s): "
                            "a replay of a mapping already reading", was, from) < 0)
            return -1;
    } else if (!start && imp_set_derived(im, "event_source_mapping.StartingPosition",
                                         cJSON_CreateString("TRIM_HORIZON"),
                                         "no input gives it: a mapping already reading") < 0) {
        return -1;
    }
    return 0;
}

/* model.region and model.account from the function's ARN, else the stream's. */
static int finish_identity(struct imp *im)
{
    const char *arn = im->function_arn ? im->function_arn : im->stream_arn;
    const char *from = im->function_arn ? im->function_arn_from : im->stream_arn_from;
    char service[128], region[128], account[128];
    const char *res;
    if (!arn || !arn_parts(arn, service, region, account, &res))
        return 0;
    return imp_set_derived(im, "model.region", cJSON_CreateString(region), "the ARN at %s", from) ||
           imp_set_derived(im, "model.account", cJSON_CreateString(account), "the ARN at %s", from)
           ? -1 : 0;
}

static int finish_defaults(struct imp *im)
{
    if (finish_mapping(im) < 0 || finish_identity(im) < 0)
        return -1;
    const cJSON *types = imp_get(im, "event_source_mapping.FunctionResponseTypes");
    bool rbif = false;
    const cJSON *t;
    cJSON_ArrayForEach(t, types)
        rbif |= is_true_string(t, "ReportBatchItemFailures");
    if (rbif && imp_get(im, "function.failures") &&
        imp_set_derived(im, "function.report", cJSON_CreateString("all-failures"),
                        "a choice: the mapping takes ReportBatchItemFailures, and the common way to "
                        "answer it is a batch processor that reports every failed record "
                        "(Powertools)") < 0)
        return -1;
    if (!imp_get(im, "duration") &&
        imp_set_derived(im, "duration", cJSON_CreateString("1h"),
                        "a choice: no metric data gives the time span") < 0)
        return -1;
    const cJSON *fn = imp_get(im, "function.name"), *st = imp_get(im, "stream.name");
    const cJSON *tb = imp_get(im, "stream.table");
    const char *name = cJSON_IsString(fn) ? fn->valuestring : cJSON_IsString(st) ? st->valuestring
                     : cJSON_IsString(tb) ? tb->valuestring : NULL;
    char buf[300];
    snprintf(buf, sizeof buf, "%s%simported", name ? name : "", name ? "-" : "");
    return imp_set_derived(im, "name", cJSON_CreateString(buf), "the function's or the stream's name");
}

/* ---- the description ---------------------------------------------------------- */

/* Where a path's section comes in the scenario, for the description's order. */
static int section_order(const char *spath)
{
    static const char *const order[] = { "name", "duration", "model", "stream", "producers",
                                         "event_source_mapping", "function" };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        size_t n = strlen(order[i]);
        if (!strncmp(spath, order[i], n) && (spath[n] == '\0' || spath[n] == '.' || spath[n] == '['))
            return (int)i;
    }
    return 99;
}

struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (n >= 0 && b->len + (size_t)n + 1 > cap)
            cap *= 2;
        char *g = n >= 0 ? realloc(b->s, cap) : NULL;
        if (!g) {
            b->oom = true;
            va_end(ap);
            return;
        }
        b->s = g;
        b->cap = cap;
    }
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    va_end(ap);
}

static int describe(struct imp *im, const struct imp_file *files, size_t n_files)
{
    struct sbuf b = { 0 };
    char safe[FMT_TEXT_MAX];
    sb_add(&b, "Made by esmsim import from");
    for (size_t i = 0; i < n_files; i++)
        sb_add(&b, "%s %s", i ? "," : "", fmt_text(files[i].path, safe, 256));
    sb_add(&b, ". Where each value comes from:");
    size_t k = 0;
    for (int sec = 0; sec <= 99; sec++)
        for (size_t i = 0; i < im->n_o; i++) {
            const struct origin *o = &im->o[i];
            if (section_order(o->spath) != sec || !strcmp(o->spath, "name"))
                continue;
            char words[FMT_TEXT_MAX];
            origin_words(o, words, sizeof words);
            sb_add(&b, "%s %s: %s", k++ ? ";" : "", o->spath, fmt_text(words, safe, sizeof safe));
        }
    sb_add(&b, ". Everything else is esmsim's default (docs/scenario.md).");
    if (b.oom) {
        free(b.s);
        return imp_nomem(im);
    }
    cJSON *d = cJSON_CreateString(b.s);
    free(b.s);
    if (!d)
        return imp_nomem(im);
    cJSON_DeleteItemFromObjectCaseSensitive(im->scn, "description");
    cJSON_AddItemToObject(im->scn, "description", d);
    return 0;
}

/* ---- the scenario as a file ---------------------------------------------------- */

/* Keys of o in the order given, then the others as they came. */
static void reorder(cJSON *o, const char *const *keys)
{
    cJSON *items[64];
    size_t n = 0;
    if (!cJSON_IsObject(o))
        return;
    for (const char *const *k = keys; *k && n < 64; k++) {
        cJSON *item = cJSON_DetachItemFromObjectCaseSensitive(o, *k);
        if (item)
            items[n++] = item;
    }
    while (o->child && n < 64)   /* the others after them, as they came */
        items[n++] = cJSON_DetachItemViaPointer(o, o->child);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(o, items[i]);   /* an item keeps its key */
}

static void arrange(cJSON *scn)
{
    static const char *const top[] = { "name", "description", "seed", "duration", "stream",
                                       "producers", "event_source_mapping", "function", "model", NULL };
    static const char *const stream[] = { "type", "name", "table", "view_type", "capacity_mode",
                                          "shards", "retention", "consumer", "other_consumers", NULL };
    static const char *const function[] = { "name", "timeout", "memory_mb", "reserved_concurrency",
                                             "duration", "failures", "report", NULL };
    static const char *const model[] = { "start_time", "region", "account", NULL };
    reorder(scn, top);
    reorder(cJSON_GetObjectItemCaseSensitive(scn, "stream"), stream);
    reorder(cJSON_GetObjectItemCaseSensitive(scn, "function"), function);
    reorder(cJSON_GetObjectItemCaseSensitive(scn, "model"), model);
}

static void print_key(struct sbuf *b, const char *key)
{
    cJSON *k = cJSON_CreateString(key);
    char *t = k ? cJSON_PrintUnformatted(k) : NULL;
    if (t)
        sb_add(b, "%s: ", t);
    else
        b->oom = true;
    cJSON_free(t);
    cJSON_Delete(k);
}

/* JSON text for people: a value that fits on its line is written on it
 * (a rate series one point a line), the others indented by two. */
static void print_json(struct sbuf *b, const cJSON *v, int indent, bool flat)
{
    bool container = cJSON_IsArray(v) || cJSON_IsObject(v);
    char *t = !container || !flat ? cJSON_PrintUnformatted(v) : NULL;
    if (!container) {
        if (t)
            sb_add(b, "%s", t);
        b->oom |= !t;
        cJSON_free(t);
        return;
    }
    if (!flat) {
        b->oom |= !t;
        flat = !v->child || (t && strlen(t) + (size_t)indent <= 90);
        cJSON_free(t);
    }
    bool array = cJSON_IsArray(v);
    sb_add(b, "%c%s", array ? '[' : '{', flat ? "" : "\n");
    for (const cJSON *c = v->child; c; c = c->next) {
        if (!flat)
            sb_add(b, "%*s", indent + 2, "");
        if (!array)
            print_key(b, c->string);
        print_json(b, c, indent + 2, flat);
        sb_add(b, "%s", c->next ? (flat ? ", " : ",\n") : flat ? "" : "\n");
    }
    if (!flat)
        sb_add(b, "%*s", indent, "");
    sb_add(b, "%c", array ? ']' : '}');
}

/* The loader refused the scenario (msg, "OUT: $.path: what"): said at the
 * input file and path the value came from. */
static int refused(struct imp *im, const char *out, const char *msg)
{
    const char *p = msg;
    size_t n = strlen(out);
    if (!strncmp(p, out, n) && !strncmp(p + n, ": ", 2))
        p += n + 2;
    const char *colon = strstr(p, ": ");
    if (strncmp(p, "$.", 2) != 0 || !colon)
        return imp_fail(im, "%s: the scenario made from the inputs is refused: %s", out, p);
    char spath[512];
    snprintf(spath, sizeof spath, "%.*s", (int)(colon - p - 2), p + 2);
    const struct origin *best = NULL;
    for (size_t i = 0; i < im->n_o; i++) {
        size_t k = strlen(im->o[i].spath);
        char next = spath[k];
        if (!strncmp(spath, im->o[i].spath, k) && (next == '\0' || next == '.' || next == '[') &&
            (!best || k > strlen(best->spath)))
            best = &im->o[i];
    }
    if (best && best->file)
        return imp_fail(im, "%s: %s%s: %s", best->file, best->ipath, spath + strlen(best->spath),
                        colon + 2);
    if (best)
        return imp_fail(im, "%s: $.%s: %s (import made the value from %s)", out, spath, colon + 2,
                        best->text);
    return imp_fail(im, "%s: the scenario made from the inputs is refused: %s", out, p);
}

static int validate(struct imp *im, const char *out)
{
    char *text = cJSON_PrintUnformatted(im->scn);
    if (!text)
        return imp_nomem(im);
    char err[2048];
    struct scenario *s = scn_parse(out, text, NULL, 0, err, sizeof err);
    cJSON_free(text);
    if (!s)
        return refused(im, out, err);
    scn_free(s);
    return 0;
}

/* Write text to path whole or not at all: a temporary file beside it, renamed. */
static int write_out(const char *path, const char *text, char *err, size_t errlen)
{
    if (!strcmp(path, "-")) {
        if (fputs(text, stdout) < 0 || fflush(stdout) != 0) {
            errmsg_set(err, errlen, "standard output: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    size_t len = strlen(path) + 8;
    char *temp = malloc(len);
    if (!temp) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    snprintf(temp, len, "%s.XXXXXX", path);
    int fd = mkstemp(temp);
    if (fd < 0) {
        errmsg_set(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        free(temp);
        return -1;
    }
    mode_t mask = umask(0);   /* mkstemp made it 0600: give it a new file's mode */
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    FILE *f = fdopen(fd, "w");
    bool ok = f && fputs(text, f) >= 0;
    ok = f && fclose(f) == 0 && ok;
    if (!f)
        close(fd);
    if (ok && rename(temp, path) == 0) {
        free(temp);
        return 0;
    }
    errmsg_set(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    unlink(temp);
    free(temp);
    return -1;
}

/* ---- the command ---------------------------------------------------------------- */

static void import_usage(FILE *out)
{
    fputs("usage: esmsim import FILE... -o SCENARIO.json [--mapping NAME] [--parameter NAME=VALUE ...]\n"
          "\n"
          "A scenario from the files you have, each recognised from its content:\n"
          "  AWS CLI JSON   aws lambda get-event-source-mapping (or list-event-source-mappings),\n"
          "                 get-function-configuration (or get-function), get-function-concurrency,\n"
          "                 aws kinesis describe-stream-summary (or describe-stream),\n"
          "                 aws dynamodbstreams describe-stream\n"
          "  templates      CloudFormation or SAM, JSON or YAML (short-form tags such as !Ref)\n"
          "  terraform      terraform show -json, of a plan or of the state\n"
          "  metric data    aws cloudwatch get-metric-data: IncomingRecords, IncomingBytes,\n"
          "                 Duration, Errors, Invocations, Throttles (IteratorAge and\n"
          "                 ConcurrentExecutions are for esmsim compare)\n"
          "\n"
          "-o FILE             the scenario to write (- for standard output)\n"
          "--mapping NAME      the mapping to take when a template or terraform holds several:\n"
          "                    its logical id, address, UUID or function name\n"
          "--parameter N=V     a template parameter's value (instead of its Default)\n"
          "Where each value came from is written into the scenario's description; what\n"
          "cannot be mapped is listed on stderr.\n"
          "exit status: 0 written, 1 the file could not be written, 2 bad input (nothing written)\n",
          out);
}

struct import_opts {
    const char **files;
    size_t n_files;
    const char *output;
};

static int import_args(int argc, char **argv, struct import_opts *o, struct imp *im)
{
    if (!(o->files = calloc((size_t)argc, sizeof *o->files)) ||
        !(im->params = calloc((size_t)argc, sizeof *im->params))) {
        fprintf(stderr, "esmsim import: out of memory\n");
        return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            import_usage(stdout);
            return 1;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has_value) {
            o->output = argv[++i];
        } else if (!strcmp(a, "--mapping") && has_value) {
            im->mapping = argv[++i];
        } else if (!strcmp(a, "--parameter") && has_value) {
            const char *eq = strchr(argv[++i], '=');
            if (!eq || eq == argv[i]) {
                fprintf(stderr, "esmsim import: --parameter: expected NAME=VALUE, got \"%s\"\n",
                        argv[i]);
                return -1;
            }
            im->params[im->n_params++] = argv[i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "esmsim import: unknown option or missing value: %s\n", a);
            return -1;
        } else {
            o->files[o->n_files++] = a;
        }
    }
    if (!o->n_files) {
        fprintf(stderr, "esmsim import: no input file (esmsim import FILE... -o SCENARIO.json)\n");
        return -1;
    }
    if (!o->output || !o->output[0]) {
        fprintf(stderr, "esmsim import: missing -o SCENARIO.json (- for standard output)\n");
        return -1;
    }
    return 0;
}

/* The output must not be one of the inputs. */
static int output_not_input(struct imp *im, const struct import_opts *o)
{
    struct stat out, in;
    if (!strcmp(o->output, "-") || stat(o->output, &out) != 0)
        return 0;
    for (size_t i = 0; i < o->n_files; i++)
        if (stat(o->files[i], &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
            return imp_fail(im, "-o %s: is the input %s: write the scenario to another file",
                            o->output, o->files[i]);
    return 0;
}

/* Read every file and give it to its reader; the metric data last. */
static int import_files(struct imp *im, struct imp_file *files, size_t n)
{
    struct mdata_set metrics = { 0 };
    char err[2048];
    size_t n_metrics = 0;
    int rc = -1;
    for (size_t i = 0; i < n; i++)
        if (read_file(im, &files[i]) < 0)
            goto out;
    for (size_t i = 0; i < n; i++) {
        const struct imp_file *f = &files[i];
        if (mdata_is(f->root)) {
            n_metrics++;
            if (mdata_add(&metrics, f->path, f->root, err, sizeof err) < 0) {
                imp_fail(im, "%s", err);
                goto out;
            }
        } else if (!f->yaml && imp_aws_detect(f->root)) {
            if (imp_aws_read(im, f) < 0)
                goto out;
        } else if (!f->yaml && imp_tf_detect(f->root)) {
            if (imp_tf_read(im, f) < 0)
                goto out;
        } else if (imp_cfn_detect(f->root)) {
            if (imp_cfn_read(im, f) < 0)
                goto out;
        } else {
            imp_fail(im, "%s: not a format esmsim import knows: expected the JSON of an AWS CLI "
                     "command (lambda get-event-source-mapping, get-function-configuration, "
                     "get-function-concurrency, kinesis describe-stream-summary, dynamodbstreams "
                     "describe-stream, cloudwatch get-metric-data), a CloudFormation or SAM template "
                     "(JSON or YAML, with Resources), or terraform show -json", f->path);
            goto out;
        }
    }
    if (n_metrics) {
        if (mdata_finish(&metrics, err, sizeof err) < 0) {
            imp_fail(im, "%s", err);
            goto out;
        }
        if (imp_metrics_read(im, &metrics) < 0)
            goto out;
    }
    rc = 0;
out:
    mdata_free(&metrics);
    return rc;
}

/* A line on stderr: "esmsim import: " and the parts, which hold what the
 * inputs said (names, keys, values), so a control character is shown as
 * \xNN, never sent to the terminal. */
static void say(const char *a, const char *b, const char *c, const char *d, const char *e,
                const char *f)
{
    size_t len = strlen(a) + strlen(b) + strlen(c) + strlen(d) + strlen(e) + strlen(f) + 1;
    char *line = malloc(len), *safe = malloc(4 * len + 4);
    if (line && safe) {
        snprintf(line, len, "%s%s%s%s%s%s", a, b, c, d, e, f);
        fprintf(stderr, "esmsim import: %s\n", fmt_text(line, safe, 4 * len + 4));
    } else {
        fprintf(stderr, "esmsim import: out of memory\n");
    }
    free(line);
    free(safe);
}

static void imp_free(struct imp *im)
{
    cJSON_Delete(im->scn);
    for (size_t i = 0; i < im->n_o; i++) {
        free(im->o[i].spath), free(im->o[i].file), free(im->o[i].ipath), free(im->o[i].text);
    }
    free(im->o);
    for (size_t i = 0; i < im->n_u; i++)
        free(im->u[i].file), free(im->u[i].why), free(im->u[i].paths);
    free(im->u);
    for (size_t i = 0; i < im->n_notes; i++)
        free(im->notes[i]);
    free(im->notes);
    free(im->params);
    free(im->function_arn), free(im->function_arn_from);
    free(im->stream_arn), free(im->stream_arn_from);
}

int import_main(int argc, char **argv)
{
    struct imp im = { 0 };
    struct import_opts o = { 0 };
    struct imp_file *files = NULL;
    struct sbuf text = { 0 };
    int rc = import_args(argc, argv, &o, &im);
    if (rc != 0) {
        rc = rc > 0 ? 0 : EXIT_BAD_INPUT;
        goto out;
    }
    rc = EXIT_BAD_INPUT;
    if (!(im.scn = cJSON_CreateObject()) || !(files = calloc(o.n_files, sizeof *files))) {
        imp_nomem(&im);
        goto fail;
    }
    for (size_t i = 0; i < o.n_files; i++)
        files[i].path = o.files[i];
    if (output_not_input(&im, &o) < 0 || import_files(&im, files, o.n_files) < 0 ||
        finish_defaults(&im) < 0 || describe(&im, files, o.n_files) < 0)
        goto fail;
    arrange(im.scn);
    const char *out_name = strcmp(o.output, "-") ? o.output : "SCENARIO";
    if (validate(&im, out_name) < 0)
        goto fail;
    print_json(&text, im.scn, 0, false);
    sb_add(&text, "\n");
    if (text.oom) {
        imp_nomem(&im);
        goto fail;
    }
    for (size_t i = 0; i < im.n_notes; i++)
        say("note: ", im.notes[i], "", "", "", "");
    for (size_t i = 0; i < im.n_u; i++)
        say("not mapped: ", im.u[i].file, ": ", im.u[i].why, ": ", im.u[i].paths);
    char err[1024];
    if (write_out(o.output, text.s, err, sizeof err) < 0) {
        fprintf(stderr, "esmsim import: %s\n", err);
        rc = EXIT_FAILED;
        goto out;
    }
    if (strcmp(o.output, "-"))
        printf("wrote %s\n", o.output);
    rc = 0;
    goto out;
fail:
    say("", im.err, "", "", "", "");
out:
    for (size_t i = 0; files && i < o.n_files; i++)
        cJSON_Delete(files[i].root);
    free(files);
    free(o.files);
    free(text.s);
    imp_free(&im);
    return rc;
}
