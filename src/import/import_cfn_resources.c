/*
 * import_cfn_resources.c - the resources a template's mapping reaches, as
 * parts of the scenario (import_cfn_resources.h, issue 14 item 1): an
 * AWS::Kinesis::Stream, an AWS::DynamoDB::Table's stream, an
 * AWS::Kinesis::StreamConsumer and the stream it reads, an
 * AWS::Lambda::Function or AWS::Serverless::Function with SAM's Globals.
 * Each reads the properties it models, evaluated (import_cfn_eval.c), and
 * lists the others as not mapped.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "import_cfn_eval.h"
#include "import_cfn_resources.h"

void cfn_use(struct cfn_used *u, const char *id)
{
    if (u->n < 16)
        u->ids[u->n++] = id;
}

bool cfn_was_used(const struct cfn_used *u, const char *id)
{
    for (size_t i = 0; i < u->n; i++)
        if (!strcmp(u->ids[i], id))
            return true;
    return false;
}

/* The Properties of resource id that are in used, evaluated (an empty
 * object when it has none); the others are not evaluated, so what only a
 * deployment knows about them says nothing. */
static cJSON *properties(struct cfn *c, const char *id, char path[PATH_LEN], const char *const *used)
{
    char base[PATH_LEN];
    imp_path(base, sizeof base, "$.Resources", id);
    imp_path(path, PATH_LEN, base, "Properties");
    const cJSON *p = cfn_get(cfn_get(c->resources, id), "Properties");
    if (p && !cJSON_IsObject(p))
        return cfn_bad(c, path, "expected an object, got %s", imp_kind(p));
    cJSON *some = cJSON_CreateObject();
    for (const char *const *k = used; some && *k; k++) {
        const cJSON *v = cfn_get(p, *k);
        if (v && !cJSON_AddItemToObject(some, *k, cJSON_Duplicate(v, true))) {
            cJSON_Delete(some);
            some = NULL;
        }
    }
    if (!some)
        return imp_nomem(c->im), c->bad = true, NULL;
    cJSON *out = cfn_ev(c, some, path);
    cJSON_Delete(some);
    return out;
}

/* The resource's own Properties, as written. */
static const cJSON *raw_properties(const struct cfn *c, const char *id)
{
    return cfn_get(cfn_get(c->resources, id), "Properties");
}

/* A resource's end: its properties not in used listed as not mapped, and
 * the values left out since mark (cfn_report_left); 0 or -1. */
static int rest_unmapped(struct cfn *c, const char *id, const char *base,
                         const char *const *used, size_t mark)
{
    return imp_rest_unmapped(c->im, c->file, base, raw_properties(c, id), used) ||
                   cfn_report_left(c, mark)
               ? -1
               : 0;
}

/* A name property, or the logical id when CloudFormation makes the name up. */
static int set_name(struct cfn *c, const char *spath, const cJSON *props, const char *key,
                    const char *id, const char *base)
{
    char path[PATH_LEN];
    const cJSON *v = cfn_get(props, key);
    if (v)
        return imp_set(c->im, spath, cJSON_Duplicate(v, true), IMP_TEMPLATE, c->file,
                       imp_path(path, sizeof path, base, key));
    imp_path(path, sizeof path, "$.Resources", id);
    if (imp_note(c->im, "%s: %s: no %s: CloudFormation makes the name up when it deploys; the logical "
                 "id %s stands for it", c->file, path, key, id) < 0)
        return -1;
    return imp_set(c->im, spath, cJSON_CreateString(id), IMP_TEMPLATE, c->file, path);
}

int cfn_map_stream(struct cfn *c, const char *id)
{
    static const char *const used[] = { "Name", "ShardCount", "RetentionPeriodHours",
                                        "StreamModeDetails", NULL };
    char base[PATH_LEN], path[PATH_LEN];
    size_t mark = c->n_left;
    cJSON *p = properties(c, id, base, used);
    int rc = -1;
    const cJSON *v;
    if (!p)
        return -1;
    if (imp_set(c->im, "stream.type", cJSON_CreateString("kinesis"), IMP_TEMPLATE, c->file, base) < 0 ||
        set_name(c, "stream.name", p, "Name", id, base) < 0)
        goto out;
    if ((v = cfn_get(p, "ShardCount")) &&
        imp_set(c->im, "stream.shards", imp_number(v), IMP_TEMPLATE, c->file,
                imp_path(path, sizeof path, base, "ShardCount")) < 0)
        goto out;
    if ((v = cfn_get(p, "RetentionPeriodHours")) &&
        imp_stream_retention(c->im, c->file, imp_path(path, sizeof path, base, "RetentionPeriodHours"),
                             v, IMP_TEMPLATE) < 0)
        goto out;
    if ((v = cfn_get(p, "StreamModeDetails"))) {
        imp_path(path, sizeof path, base, "StreamModeDetails");
        if (imp_stream_mode(c->im, c->file, imp_path(path, sizeof path, path, "StreamMode"),
                            cfn_get(v, "StreamMode"), IMP_TEMPLATE) < 0)
            goto out;
    }
    rc = rest_unmapped(c, id, base, used, mark);
out:
    cJSON_Delete(p);
    return rc;
}

int cfn_map_table(struct cfn *c, const char *id)
{
    static const char *const used[] = { "TableName", "StreamSpecification", NULL };
    char base[PATH_LEN], path[PATH_LEN];
    size_t mark = c->n_left;
    cJSON *p = properties(c, id, base, used);
    int rc = -1;
    if (!p)
        return -1;
    const cJSON *view = cfn_get(cfn_get(p, "StreamSpecification"), "StreamViewType");
    imp_path(path, sizeof path, base, "StreamSpecification");
    if (imp_set(c->im, "stream.type", cJSON_CreateString("dynamodb"), IMP_TEMPLATE, c->file, base) < 0 ||
        set_name(c, "stream.table", p, "TableName", id, base) < 0 ||
        (view && imp_set(c->im, "stream.view_type", cJSON_Duplicate(view, true), IMP_TEMPLATE,
                         c->file, imp_path(path, sizeof path, path, "StreamViewType")) < 0))
        goto out;
    if (!view && imp_note(c->im, "%s: %s: no StreamViewType: the table has no stream", c->file,
                          path) < 0)
        goto out;
    rc = rest_unmapped(c, id, base, used, mark);
out:
    cJSON_Delete(p);
    return rc;
}

/* An enhanced fan-out consumer and the stream it reads. */
int cfn_map_consumer(struct cfn *c, const char *id, struct cfn_used *u)
{
    static const char *const used[] = { "StreamARN", "ConsumerName", NULL };
    static const char *const evaluated[] = { "StreamARN", NULL };
    static const char *const none[] = { NULL };
    char base[PATH_LEN], path[PATH_LEN];
    size_t mark = c->n_left;
    const cJSON *raw = cfn_get(raw_properties(c, id), "StreamARN");
    const char *sid = raw ? cfn_referenced(c, raw) : NULL;
    bool by_ref = cfn_is_type(c, sid, "AWS::Kinesis::Stream");
    cJSON *p = properties(c, id, base, by_ref ? none : evaluated);
    if (!p)
        return -1;
    imp_path(path, sizeof path, base, "StreamARN");
    const cJSON *arn = cfn_get(p, "StreamARN");
    char name[256];
    bool ddb, consumer;
    int rc = imp_set(c->im, "stream.consumer", cJSON_CreateString("efo"), IMP_TEMPLATE, c->file, base);
    if (!rc && by_ref) {
        cfn_use(u, sid);
        rc = cfn_map_stream(c, sid);
    } else if (!rc && cJSON_IsString(arn) &&
               imp_arn_stream(arn->valuestring, name, sizeof name, &ddb, &consumer) && !ddb) {
        rc = imp_set(c->im, "stream.type", cJSON_CreateString("kinesis"), IMP_TEMPLATE, c->file, path) ||
             imp_set(c->im, "stream.name", cJSON_CreateString(name), IMP_TEMPLATE, c->file, path);
    }
    rc = rc ? -1 : rest_unmapped(c, id, base, used, mark);
    cJSON_Delete(p);
    return rc;
}

/* The function; event: the SAM event that is the mapping (its other events are listed). */
int cfn_map_function(struct cfn *c, const char *id, const char *event)
{
    static const char *const used[] = { "FunctionName", "Timeout", "MemorySize",
                                        "ReservedConcurrentExecutions", "Events", NULL };
    static const char *const evaluated[] = { "FunctionName", "Timeout", "MemorySize",
                                             "ReservedConcurrentExecutions", NULL };
    static const struct { const char *key, *spath; } SETTINGS[] = {
        { "Timeout", "function.timeout" }, { "MemorySize", "function.memory_mb" },
        { "ReservedConcurrentExecutions", "function.reserved_concurrency" },
    };
    char base[PATH_LEN], path[PATH_LEN];
    size_t mark = c->n_left;
    bool sam = cfn_is_type(c, id, "AWS::Serverless::Function");
    cJSON *p = properties(c, id, base, evaluated), *globals = NULL;
    int rc = -1;
    if (!p)
        return -1;
    if (sam && cfn_get(c->globals, "Function") &&
        !(globals = cfn_ev(c, cfn_get(c->globals, "Function"), "$.Globals.Function")))
        goto out;
    if (set_name(c, "function.name", p, "FunctionName", id, base) < 0)
        goto out;
    for (size_t i = 0; i < sizeof SETTINGS / sizeof SETTINGS[0]; i++) {
        const cJSON *v = cfn_get(p, SETTINGS[i].key);
        if (v)
            imp_path(path, sizeof path, base, SETTINGS[i].key);
        else if ((v = cfn_get(globals, SETTINGS[i].key)))   /* SAM: the function's own value wins */
            imp_path(path, sizeof path, "$.Globals.Function", SETTINGS[i].key);
        if (v && imp_set(c->im, SETTINGS[i].spath, imp_number(v), IMP_TEMPLATE, c->file, path) < 0)
            goto out;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, globals) {
        bool setting = false;
        for (size_t i = 0; i < sizeof SETTINGS / sizeof SETTINGS[0]; i++)
            setting |= !strcmp(e->string, SETTINGS[i].key);
        if (!setting && imp_unmapped(c->im, c->file, "not modelled",
                                     imp_path(path, sizeof path, "$.Globals.Function", e->string)) < 0)
            goto out;
    }
    imp_path(path, sizeof path, base, "Events");
    cJSON_ArrayForEach(e, cfn_get(raw_properties(c, id), "Events")) {
        char ep[PATH_LEN];
        if ((!event || strcmp(e->string, event)) &&
            imp_unmapped(c->im, c->file, "not the mapping imported", imp_path(ep, sizeof ep, path,
                                                                             e->string)) < 0)
            goto out;
    }
    rc = rest_unmapped(c, id, base, used, mark);
out:
    cJSON_Delete(p);
    cJSON_Delete(globals);
    return rc;
}
