/*
 * import_set.c - the scenario `esmsim import` makes, as a JSON tree, and
 * where each of its values came from: what every reader of an input format
 * sets through import_set.h (imp_set, imp_note, imp_mapping ...), and what the
 * command (import.c) reads back through import_set_impl.h.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "array.h"
#include "fmt.h"
#include "import_set_impl.h"
#include "import_set.h"

/* ---- messages ------------------------------------------------------------- */

char *impi_vformat(const char *fmt, va_list ap)
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
    char *s = impi_vformat(fmt, ap);
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
    struct impi_unmapped *u = NULL;
    for (size_t i = 0; i < im->n_u; i++)
        if (!strcmp(im->u[i].file, file) && !strcmp(im->u[i].why, why))
            u = &im->u[i];
    if (!u) {
        if (array_grow((void **)&im->u, &im->cap_u, im->n_u, sizeof *im->u))
            return imp_nomem(im);
        u = &im->u[im->n_u++];
        *u = (struct impi_unmapped){ strdup(file), strdup(why), NULL, 0, 0 };
        if (!u->file || !u->why)
            return imp_nomem(im);
    }
    /* appended in place: a template of 40,000 resources lists them all */
    size_t add = strlen(ipath) + (u->len ? 2 : 0);
    while (u->len + add + 1 > u->cap)
        if (array_grow((void **)&u->paths, &u->cap, u->cap, 1))
            return imp_nomem(im);
    snprintf(u->paths + u->len, u->cap - u->len, "%s%s", u->len ? ", " : "", ipath);
    u->len += add;
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

const char *imp_parameter_given(const struct imp *im, size_t i)
{
    return i < im->n_params ? im->params[i] : NULL;
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

struct impi_origin *impi_origin_of(const struct imp *im, const char *spath)
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
const char *impi_value_text(const cJSON *v, char *buf, size_t len)
{
    char *t = v ? cJSON_PrintUnformatted(v) : NULL;
    char safe[FMT_TEXT_MAX];
    snprintf(buf, len, "%s", t ? fmt_text(t, safe, len < 80 ? len : 80) : "nothing");
    cJSON_free(t);
    return buf;
}

void impi_origin_words(const struct impi_origin *o, char *buf, size_t len)
{
    if (o->text)
        snprintf(buf, len, "%s", o->text);
    else
        snprintf(buf, len, "%s %s", o->file, o->ipath);
}

/* Place value at spath and record its origin o (taken). */
int impi_put(struct imp *im, const char *spath, cJSON *value, struct impi_origin o)
{
    char key[128];
    cJSON *parent = value ? parent_of(im->scn, spath, key, sizeof key, true) : NULL;
    struct impi_origin *old = impi_origin_of(im, spath);
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
    struct impi_origin *old = impi_origin_of(im, spath);
    const cJSON *was = imp_get(im, spath);
    char a[1024], b[1024], va[96], vb[96];
    if (old && was) {
        bool same = cJSON_Compare(was, value, true);
        impi_origin_words(old, a, sizeof a);
        snprintf(b, sizeof b, "%s %s", file, ipath);
        if (old->rank == rank && !same) {
            int rc = imp_fail(im, "%s: %s: %s disagrees with %s (%s) on the scenario's %s: the "
                              "files describe different resources, or one is out of date",
                              file, ipath, impi_value_text(value, va, sizeof va), a,
                              impi_value_text(was, vb, sizeof vb), spath);
            cJSON_Delete(value);
            return rc;
        }
        if (old->rank > rank || (old->rank == rank && same)) {
            if (!same)
                imp_note(im, "%s: %s from %s (%s) rather than %s from %s (%s)", spath,
                         impi_value_text(was, vb, sizeof vb), a, RANK_WORDS[old->rank],
                         impi_value_text(value, va, sizeof va), b, RANK_WORDS[rank]);
            cJSON_Delete(value);
            return 0;
        }
        if (!same)
            imp_note(im, "%s: %s from %s (%s) rather than %s from %s (%s)", spath,
                     impi_value_text(value, va, sizeof va), b, RANK_WORDS[rank],
                     impi_value_text(was, vb, sizeof vb), a, RANK_WORDS[old->rank]);
    }
    struct impi_origin o = { .file = strdup(file), .ipath = strdup(ipath), .rank = rank };
    if (!o.file || !o.ipath) {
        free(o.file), free(o.ipath);
        cJSON_Delete(value);
        return imp_nomem(im);
    }
    return impi_put(im, spath, value, o);
}

static int set_derived(struct imp *im, const char *spath, cJSON *value, const char *file,
                       const char *ipath, const char *origin, va_list ap)
{
    char *text = impi_vformat(origin, ap);
    char *f = file ? strdup(file) : NULL, *i = file ? strdup(ipath) : NULL;
    if (!text || (file && (!f || !i))) {
        cJSON_Delete(value);
        free(text), free(f), free(i);
        return imp_nomem(im);
    }
    struct impi_origin *old = impi_origin_of(im, spath);
    if (value && old && old->rank > IMP_DERIVED) {   /* an input gave it: kept */
        cJSON_Delete(value);
        free(text), free(f), free(i);
        return 0;
    }
    return impi_put(im, spath, value,
                    (struct impi_origin){ .file = f, .ipath = i, .text = text, .rank = IMP_DERIVED });
}

int imp_set_derived(struct imp *im, const char *spath, cJSON *value, const char *origin, ...)
{
    va_list ap;
    va_start(ap, origin);
    int rc = set_derived(im, spath, value, NULL, NULL, origin, ap);
    va_end(ap);
    return rc;
}

int imp_set_derived_at(struct imp *im, const char *spath, cJSON *value, const char *file,
                       const char *ipath, const char *origin, ...)
{
    va_list ap;
    va_start(ap, origin);
    int rc = set_derived(im, spath, value, file, ipath, origin, ap);
    va_end(ap);
    return rc;
}

/* ---- what the readers share: ARNs, the mapping ------------------------------ */

/* Split an ARN "arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE" into parts
 * (each in its buffer of 128 bytes); false when arn is not one. */
bool impi_arn_parts(const char *arn, char service[128], char region[128], char account[128],
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
    if (!arn || !impi_arn_parts(arn, service, region, account, &res))
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

static int remember_arn(struct imp *im, struct impi_arn *a, const char *value, const char *file,
                        const char *ipath)
{
    if (a->arn)
        return 0;
    a->arn = strdup(value);
    a->file = strdup(file);
    a->ipath = strdup(ipath);
    return a->arn && a->file && a->ipath ? 0 : imp_nomem(im);
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
    if (remember_arn(im, &im->stream_arn, arn, file, ipath) < 0 ||
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

char *imp_function_name(const char *ref)
{
    /* arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER], ACCOUNT:function:NAME, NAME[:QUALIFIER] */
    const char *name = ref, *f = strstr(ref, "function:");
    if (f)
        name = f + 9;
    return strndup(name, strcspn(name, ":"));
}

int imp_function_ref(struct imp *im, const char *ref, enum imp_rank rank, const char *file,
                     const char *ipath)
{
    if (!strncmp(ref, "arn:", 4) &&
        remember_arn(im, &im->function_arn, ref, file, ipath) < 0)
        return -1;
    char *copy = imp_function_name(ref);
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

/* The CLI's State (it prints no Enabled): Enabled or Enabling is an
 * enabled mapping, Disabled or Disabling a disabled one; the others
 * (Creating, Updating, Deleting) say neither and are listed. */
static int mapping_state(struct imp *im, const char *file, const char *path, const cJSON *v,
                         enum imp_rank rank)
{
    static const char *const ON[] = { "Enabled", "Enabling", NULL }, *const OFF[] = { "Disabled",
                                                                               "Disabling", NULL };
    bool on = cJSON_IsString(v) && in_list(ON, v->valuestring);
    if (!on && !(cJSON_IsString(v) && in_list(OFF, v->valuestring)))
        return imp_unmapped(im, file, "not modelled", path);
    return imp_set(im, "event_source_mapping.Enabled", cJSON_CreateBool(on), rank, file, path);
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
        } else if (!terraform && !strcmp(key, "State")) {
            rc = mapping_state(im, file, path, k, rank);
        } else if (!(terraform && !strcmp(key, "function_arn"))) {   /* function_name has it */
            rc = imp_unmapped(im, file, "not modelled", path);
        }
        if (rc)
            return -1;
    }
    return 0;
}

void impi_free(struct imp *im)
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
    free(im->function_arn.arn), free(im->function_arn.file), free(im->function_arn.ipath);
    free(im->stream_arn.arn), free(im->stream_arn.file), free(im->stream_arn.ipath);
}
