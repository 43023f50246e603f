/*
 * import_cfn.c - CloudFormation and SAM templates, JSON or YAML, for
 * `esmsim import` (import_cfn.h, issue 14 item 1).
 *
 * A YAML template is first turned into the JSON it would be (import_yaml.c).
 * Then the template is evaluated (import_cfn_eval.c) where it matters: the
 * mapping (an AWS::Lambda::EventSourceMapping, or a Kinesis or DynamoDB event
 * of an AWS::Serverless::Function), the stream it reads (AWS::Kinesis::Stream,
 * its AWS::Kinesis::StreamConsumer, or an AWS::DynamoDB::Table's stream) and
 * the function it invokes, with SAM's Globals.  The other resources are
 * listed as not mapped.  A template says what should be deployed:
 * IMP_TEMPLATE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fmt.h"
#include "import_cfn.h"
#include "import_cfn_eval.h"

struct used {
    const char *ids[16];
    size_t n;
};

static void use(struct used *u, const char *id)
{
    if (u->n < 16)
        u->ids[u->n++] = id;
}

static bool was_used(const struct used *u, const char *id)
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

static int map_stream(struct cfn *c, const char *id)
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
    rc = imp_rest_unmapped(c->im, c->file, base, raw_properties(c, id), used) ||
         cfn_report_left(c, mark) ? -1 : 0;
out:
    cJSON_Delete(p);
    return rc;
}

static int map_table(struct cfn *c, const char *id)
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
    rc = imp_rest_unmapped(c->im, c->file, base, raw_properties(c, id), used) ||
         cfn_report_left(c, mark) ? -1 : 0;
out:
    cJSON_Delete(p);
    return rc;
}

/* An enhanced fan-out consumer and the stream it reads. */
static int map_consumer(struct cfn *c, const char *id, struct used *u)
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
        use(u, sid);
        rc = map_stream(c, sid);
    } else if (!rc && cJSON_IsString(arn) &&
               imp_arn_stream(arn->valuestring, name, sizeof name, &ddb, &consumer) && !ddb) {
        rc = imp_set(c->im, "stream.type", cJSON_CreateString("kinesis"), IMP_TEMPLATE, c->file, path) ||
             imp_set(c->im, "stream.name", cJSON_CreateString(name), IMP_TEMPLATE, c->file, path);
    }
    rc = rc || imp_rest_unmapped(c->im, c->file, base, raw_properties(c, id), used) ||
         cfn_report_left(c, mark) ? -1 : 0;
    cJSON_Delete(p);
    return rc;
}

/* The function; event: the SAM event that is the mapping (its other events are listed). */
static int map_function(struct cfn *c, const char *id, const char *event)
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
    rc = imp_rest_unmapped(c->im, c->file, base, raw_properties(c, id), used) ||
         cfn_report_left(c, mark) ? -1 : 0;
out:
    cJSON_Delete(p);
    cJSON_Delete(globals);
    return rc;
}

/* A candidate mapping: an AWS::Lambda::EventSourceMapping, or a SAM event. */
struct cand {
    const char *id;             /* the mapping's logical id; the function's for a SAM event */
    const char *event;          /* the SAM event's name, or NULL */
    const cJSON *props;         /* the mapping's properties, as written */
    char path[PATH_LEN];        /* of props */
    const char *source_key;     /* "EventSourceArn", or SAM's "Stream" */
};

/* Is this mapping's source a stream (not a queue or a Kafka topic)? */
static bool reads_stream(struct cfn *c, const cJSON *props, const char *key)
{
    const cJSON *src = cfn_get(props, key);
    const char *id = src ? cfn_referenced(c, src) : NULL;
    if (id)
        return cfn_is_type(c, id, "AWS::Kinesis::Stream") || cfn_is_type(c, id, "AWS::DynamoDB::Table") ||
               cfn_is_type(c, id, "AWS::Kinesis::StreamConsumer");
    if (cJSON_IsString(src)) {
        char name[256];
        bool ddb, consumer;
        return imp_arn_stream(src->valuestring, name, sizeof name, &ddb, &consumer) != NULL;
    }
    return cfn_get(props, "StartingPosition") && !cfn_get(props, "Topics") && !cfn_get(props, "Queues");
}

static bool matches(const struct imp *im, const struct cand *k)
{
    const char *want = imp_selected_mapping(im);
    char both[520];
    snprintf(both, sizeof both, "%s.%s", k->id, k->event ? k->event : "");
    return !want || !strcmp(want, k->id) || (k->event && (!strcmp(want, k->event) ||
                                                          !strcmp(want, both)));
}

static int collect(struct cfn *c, struct cand *cands, size_t max, size_t *n)
{
    const cJSON *r;
    *n = 0;
    cJSON_ArrayForEach(r, c->resources) {
        char base[PATH_LEN];
        imp_path(base, sizeof base, "$.Resources", r->string);
        const cJSON *type = cfn_get(r, "Type");
        if (!cJSON_IsObject(r) || !cJSON_IsString(type)) {
            cfn_bad(c, base, "expected a resource: an object with a Type");
            return -1;
        }
        if (!strcmp(type->valuestring, "AWS::Lambda::EventSourceMapping")) {
            const cJSON *p = cfn_get(r, "Properties");
            if (reads_stream(c, p, "EventSourceArn") && *n < max) {
                struct cand *k = &cands[(*n)++];
                *k = (struct cand){ r->string, NULL, p, "", "EventSourceArn" };
                imp_path(k->path, sizeof k->path, base, "Properties");
            }
        } else if (!strcmp(type->valuestring, "AWS::Serverless::Function")) {
            const cJSON *e;
            char ep[PATH_LEN];
            imp_path(ep, sizeof ep, base, "Properties");
            imp_path(ep, sizeof ep, ep, "Events");
            cJSON_ArrayForEach(e, cfn_get(cfn_get(r, "Properties"), "Events")) {
                const cJSON *et = cfn_get(e, "Type");
                if (!cJSON_IsString(et) || (strcmp(et->valuestring, "Kinesis") &&
                                            strcmp(et->valuestring, "DynamoDB")) || *n >= max)
                    continue;
                struct cand *k = &cands[(*n)++];
                *k = (struct cand){ r->string, e->string, cfn_get(e, "Properties"), "", "Stream" };
                char p2[PATH_LEN];
                imp_path(p2, sizeof p2, ep, e->string);
                imp_path(k->path, sizeof k->path, p2, "Properties");
            }
        }
    }
    return 0;
}

/* The mapping k: its settings, the stream it reads, the function it invokes. */
static int map_mapping(struct cfn *c, const struct cand *k, struct used *u)
{
    static const char *const skip_esm[] = { "EventSourceArn", "FunctionName", NULL };
    static const char *const skip_sam[] = { "Stream", NULL };
    char path[PATH_LEN];
    size_t mark = c->n_left;
    if (!cJSON_IsObject(k->props)) {
        cfn_bad(c, k->path, "expected the mapping's properties (an object), got %s", imp_kind(k->props));
        return -1;
    }
    /* The stream: the resource the source names, or an ARN; the function:
     * the resource FunctionName names, or a name.  Those named by reference
     * are read from their resources, not from the ARNs made of them. */
    const cJSON *raw = cfn_get(k->props, k->source_key);
    const char *sid = raw ? cfn_referenced(c, raw) : NULL;
    const cJSON *fraw = k->event ? NULL : cfn_get(k->props, "FunctionName");
    const char *fid = k->event ? k->id : fraw ? cfn_referenced(c, fraw) : NULL;
    cJSON *props = cJSON_Duplicate(k->props, true);
    if (!props)
        return imp_nomem(c->im);
    if (sid)
        cJSON_DeleteItemFromObjectCaseSensitive(props, k->source_key);
    if (fid && fraw)
        cJSON_DeleteItemFromObjectCaseSensitive(props, "FunctionName");
    cJSON *p = cfn_ev(c, props, k->path);
    cJSON_Delete(props);
    if (!p)
        return -1;
    int rc = imp_mapping(c->im, c->file, k->path, p, false, IMP_TEMPLATE,
                         k->event ? skip_sam : skip_esm);
    imp_path(path, sizeof path, k->path, k->source_key);
    if (rc) {
    } else if (cfn_is_type(c, sid, "AWS::Kinesis::Stream")) {
        use(u, sid);
        rc = imp_set(c->im, "stream.consumer", cJSON_CreateString("shared"), IMP_TEMPLATE, c->file,
                     path) || map_stream(c, sid);
    } else if (cfn_is_type(c, sid, "AWS::DynamoDB::Table")) {
        use(u, sid);
        rc = map_table(c, sid);
    } else if (cfn_is_type(c, sid, "AWS::Kinesis::StreamConsumer")) {
        use(u, sid);
        rc = map_consumer(c, sid, u);
    } else if (cJSON_IsString(cfn_get(p, k->source_key))) {
        const cJSON *arn = cfn_get(p, k->source_key);
        rc = imp_set(c->im, "event_source_mapping.EventSourceArn", cJSON_Duplicate(arn, true),
                     IMP_TEMPLATE, c->file, path) ||
             imp_source_arn(c->im, arn->valuestring, IMP_TEMPLATE, c->file, path);
    } else if (raw) {
        rc = imp_unmapped(c->im, c->file, "the stream cannot be told from the template", path);
    }
    if (fid && !cfn_is_type(c, fid, "AWS::Lambda::Function") &&
        !cfn_is_type(c, fid, "AWS::Serverless::Function"))
        fid = NULL;
    if (!rc && fid) {
        use(u, fid);
        rc = map_function(c, fid, k->event);
    } else if (!rc && cJSON_IsString(cfn_get(p, "FunctionName"))) {
        const cJSON *fn = cfn_get(p, "FunctionName");
        imp_path(path, sizeof path, k->path, "FunctionName");
        rc = (!strncmp(fn->valuestring, "arn:", 4) &&
              imp_set(c->im, "event_source_mapping.FunctionArn", cJSON_Duplicate(fn, true),
                      IMP_TEMPLATE, c->file, path)) ||
             imp_function_ref(c->im, fn->valuestring, IMP_TEMPLATE, c->file, path);
    }
    rc = rc || cfn_report_left(c, mark) ? -1 : 0;
    cJSON_Delete(p);
    return rc;
}

bool imp_cfn_detect(const cJSON *root)
{
    return cJSON_IsObject(root) && (cfn_get(root, "Resources") || cfn_get(root, "AWSTemplateFormatVersion"));
}

/* Without a mapping in the template: its only stream and only function, if any. */
static int map_alone(struct cfn *c, struct used *u)
{
    const char *stream = NULL, *function = NULL;
    size_t ns = 0, nf = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, c->resources) {   /* each one's type from r: by id it is a search */
        const char *type = cfn_type_of(r);
        if (!strcmp(type, "AWS::Kinesis::Stream") ||
            (!strcmp(type, "AWS::DynamoDB::Table") &&
             cfn_get(cfn_get(r, "Properties"), "StreamSpecification")))
            stream = r->string, ns++;
        if (!strcmp(type, "AWS::Lambda::Function") || !strcmp(type, "AWS::Serverless::Function"))
            function = r->string, nf++;
    }
    imp_note(c->im, "%s: no event source mapping of a stream in the template%s", c->file,
             ns == 1 || nf == 1 ? ": its only stream and function are taken" : "");
    if (ns == 1) {
        use(u, stream);
        if ((cfn_is_type(c, stream, "AWS::Kinesis::Stream") ? map_stream(c, stream)
                                                             : map_table(c, stream)) < 0)
            return -1;
    }
    if (nf == 1) {
        use(u, function);
        if (map_function(c, function, NULL) < 0)
            return -1;
    }
    return 0;
}

int imp_cfn_read(struct imp *im, const struct imp_file *f)
{
    struct cfn c = { .im = im, .file = f->path };
    const cJSON *root = f->root;
    cJSON *deployed = NULL;
    c.all = cfn_get(root, "Resources");
    c.params = cfn_get(root, "Parameters");
    c.conditions = cfn_get(root, "Conditions");
    c.mappings = cfn_get(root, "Mappings");
    c.globals = cfn_get(root, "Globals");
    struct cand cands[32];
    struct used u = { 0 };
    size_t n = 0, chosen = 0, matched = 0;
    int rc = -1;
    if (!cJSON_IsObject(c.all)) {
        cfn_bad(&c, "$.Resources", "expected an object of resources, got %s", imp_kind(c.all));
        goto out;
    }
    if (!(c.resources = deployed = cfn_deployed_resources(&c)) ||
        collect(&c, cands, sizeof cands / sizeof cands[0], &n) < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (matches(im, &cands[i]))
            chosen = matched++ ? chosen : i;
    const char *want = imp_selected_mapping(im);
    if (want && !matched) {   /* a mapping, or a SAM function "Function.Event", not created */
        char id[256];
        snprintf(id, sizeof id, "%.*s", (int)strcspn(want, "."), want);
        if (cfn_not_deployed(&c, id)) {
            imp_fail(im, "%s: --mapping %s: %s", f->path, want, CFN_NOT_DEPLOYED);
            goto out;
        }
    }
    if (matched > 1 || (want && n && !matched)) {
        char list[1024] = "";
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s%s%s", i ? ", " : "", cands[i].id,
                     cands[i].event ? "." : "", cands[i].event ? cands[i].event : "");
        }
        imp_fail(im, "%s: %s: name one with --mapping (the mappings of a stream: %s)", f->path,
                 matched ? "several mappings of a stream" : "no mapping matches --mapping", list);
        goto out;
    }
    if (matched) {
        if (!cands[chosen].event)
            use(&u, cands[chosen].id);
        if (map_mapping(&c, &cands[chosen], &u) < 0)
            goto out;
    } else if (map_alone(&c, &u) < 0) {
        goto out;
    }
    const cJSON *r, *next = c.resources->child;   /* the deployed are in c.all's order */
    cJSON_ArrayForEach(r, c.all) {
        char path[PATH_LEN], why[300], safe[FMT_TEXT_MAX];
        bool on = next && !strcmp(next->string, r->string);
        next = on ? next->next : next;
        if (was_used(&u, r->string))
            continue;
        snprintf(why, sizeof why, "%s (%s)", !on
                 ? "not deployed: its Condition is false" : "not part of the mapping",
                 fmt_text(cfn_type_of(r), safe, 100));
        if (imp_unmapped(im, f->path, why, imp_path(path, sizeof path, "$.Resources", r->string)) < 0)
            goto out;
    }
    rc = 0;
out:
    free(c.left);
    cJSON_Delete(deployed);
    return rc;
}

