/*
 * import_cfn.c - CloudFormation and SAM templates, JSON or YAML, for
 * `esmsim import` (import_cfn.h, issue 14 item 1).
 *
 * A YAML template is first turned into the JSON it would be (import_yaml.c).
 * Then the template is evaluated (import_cfn_eval.c) where it matters: the
 * mapping (an AWS::Lambda::EventSourceMapping, or a Kinesis or DynamoDB event
 * of an AWS::Serverless::Function), chosen here, the stream it reads
 * (AWS::Kinesis::Stream, its AWS::Kinesis::StreamConsumer, or an
 * AWS::DynamoDB::Table's or GlobalTable's stream) and the function it invokes, with SAM's
 * Globals (import_cfn_resources.c).  The other resources are listed as not
 * mapped.  A template says what should be deployed: IMP_TEMPLATE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fmt.h"
#include "import_cfn.h"
#include "import_cfn_eval.h"
#include "import_cfn_resources.h"

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
    if (cfn_is_type(c, id, "AWS::Kinesis::Stream") || cfn_is_table(c, id) ||
        cfn_is_type(c, id, "AWS::Kinesis::StreamConsumer"))
        return true;
    if (cJSON_IsString(src)) {
        char name[256];
        bool ddb, consumer;
        return imp_arn_stream(src->valuestring, name, sizeof name, &ddb, &consumer) != NULL;
    }
    /* another source, or one the template cannot tell (another stack's output): a stream
     * mapping has a StartingPosition, as Kafka's has (with Topics) and no queue's */
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
            const cJSON *events = cfn_get(cfn_get(r, "Properties"), "Events");
            if (events && !cJSON_IsObject(events) && !cJSON_IsNull(events)) {   /* SAM: a map */
                cfn_bad(c, ep, "expected the function's events, an object of named event sources, "
                        "got %s", imp_kind(events));
                return -1;
            }
            cJSON_ArrayForEach(e, events) {
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

/*
 * A stream or function the mapping names by its name or ARN, written out or
 * made with Fn::Sub or Fn::Join ("arn:...:stream/${Events}") rather than by
 * Ref or Fn::GetAtt: when it is the template's own, read from its resource
 * too (its ShardCount, StreamModeDetails, Timeout ...).  0, or -1.
 */
static int stream_by_arn(struct cfn *c, const char *arn, struct cfn_used *u)
{
    char name[256];
    bool ddb, consumer;
    if (!imp_arn_stream(arn, name, sizeof name, &ddb, &consumer) || consumer)
        return 0;   /* a consumer's ARN holds its creation time: no template writes it out */
    const char *id = cfn_named(c, ddb ? "AWS::DynamoDB::Table" : "AWS::Kinesis::Stream", name);
    if (!id && ddb && !c->bad)
        id = cfn_named(c, "AWS::DynamoDB::GlobalTable", name);
    if (!id)
        return c->bad ? -1 : 0;
    cfn_use(u, id);
    return ddb ? cfn_map_table(c, id) : cfn_map_stream(c, id);
}

static int function_by_arn(struct cfn *c, const char *ref, struct cfn_used *u)
{
    char *name = imp_function_name(ref);
    if (!name)
        return imp_nomem(c->im);
    const char *id = cfn_named(c, "AWS::Lambda::Function", name);
    if (!id && !c->bad)
        id = cfn_named(c, "AWS::Serverless::Function", name);
    free(name);
    if (!id)
        return c->bad ? -1 : 0;
    cfn_use(u, id);
    return cfn_map_function(c, id, NULL);
}

/* The mapping k: its settings, the stream it reads, the function it invokes. */
static int map_mapping(struct cfn *c, const struct cand *k, struct cfn_used *u)
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
    if (cfn_is_type(c, fid, "AWS::Lambda::Alias"))
        cfn_use(u, fid);   /* its Ref, the alias's ARN, names the function (function_by_arn) */
    if (fid && !cfn_is_type(c, fid, "AWS::Lambda::Function") &&
        !cfn_is_type(c, fid, "AWS::Serverless::Function"))
        fid = NULL;
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
        cfn_use(u, sid);
        rc = imp_set(c->im, "stream.consumer", cJSON_CreateString("shared"), IMP_TEMPLATE, c->file,
                     path) || cfn_map_stream(c, sid);
    } else if (cfn_is_table(c, sid)) {
        cfn_use(u, sid);
        rc = cfn_map_table(c, sid);
    } else if (cfn_is_type(c, sid, "AWS::Kinesis::StreamConsumer")) {
        cfn_use(u, sid);
        rc = cfn_map_consumer(c, sid, u);
    } else if (cJSON_IsString(cfn_get(p, k->source_key))) {
        const cJSON *arn = cfn_get(p, k->source_key);
        rc = imp_set(c->im, "event_source_mapping.EventSourceArn", cJSON_Duplicate(arn, true),
                     IMP_TEMPLATE, c->file, path) ||
             imp_source_arn(c->im, arn->valuestring, IMP_TEMPLATE, c->file, path) ||
             stream_by_arn(c, arn->valuestring, u);
    } else if (raw) {
        rc = imp_unmapped(c->im, c->file, "the stream cannot be told from the template", path);
    }
    if (!rc && fid) {
        cfn_use(u, fid);
        rc = cfn_map_function(c, fid, k->event);
    } else if (!rc && cJSON_IsString(cfn_get(p, "FunctionName"))) {
        const cJSON *fn = cfn_get(p, "FunctionName");
        imp_path(path, sizeof path, k->path, "FunctionName");
        rc = (!strncmp(fn->valuestring, "arn:", 4) &&
              imp_set(c->im, "event_source_mapping.FunctionArn", cJSON_Duplicate(fn, true),
                      IMP_TEMPLATE, c->file, path)) ||
             imp_function_ref(c->im, fn->valuestring, IMP_TEMPLATE, c->file, path) ||
             function_by_arn(c, fn->valuestring, u);
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
static int map_alone(struct cfn *c, struct cfn_used *u)
{
    const char *stream = NULL, *function = NULL;
    size_t ns = 0, nf = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, c->resources) {   /* each one's type from r: by id it is a search */
        const char *type = cfn_type_of(r);
        if (!strcmp(type, "AWS::Kinesis::Stream") ||
            ((!strcmp(type, "AWS::DynamoDB::Table") || !strcmp(type, "AWS::DynamoDB::GlobalTable")) &&
             cfn_get(cfn_get(r, "Properties"), "StreamSpecification")))
            stream = r->string, ns++;
        if (!strcmp(type, "AWS::Lambda::Function") || !strcmp(type, "AWS::Serverless::Function"))
            function = r->string, nf++;
    }
    imp_note(c->im, "%s: no event source mapping of a stream in the template%s", c->file,
             ns == 1 || nf == 1 ? ": its only stream and function are taken" : "");
    if (ns == 1) {
        cfn_use(u, stream);
        if ((cfn_is_type(c, stream, "AWS::Kinesis::Stream") ? cfn_map_stream(c, stream)
                                                            : cfn_map_table(c, stream)) < 0)
            return -1;
    }
    if (nf == 1) {
        cfn_use(u, function);
        if (cfn_map_function(c, function, NULL) < 0)
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
    struct cfn_used u = { 0 };
    size_t n = 0, chosen = 0, matched = 0;
    int rc = -1;
    if (!cJSON_IsObject(c.all)) {
        cfn_bad(&c, "$.Resources", "expected an object of resources, got %s", imp_kind(c.all));
        goto out;
    }
    if (cfn_check_parameters(&c) < 0 || !(c.resources = deployed = cfn_deployed_resources(&c)) ||
        collect(&c, cands, sizeof cands / sizeof cands[0], &n) < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (matches(im, &cands[i]))
            chosen = matched++ ? chosen : i;
    const char *want = imp_selected_mapping(im);
    if (want && !matched && strcspn(want, ".") <= CFN_ID_MAX) {   /* a mapping, or a SAM function
                                                                    * "Function.Event", not created */
        char id[CFN_ID_MAX + 1];
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
            cfn_use(&u, cands[chosen].id);
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
        if (cfn_was_used(&u, r->string))
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

