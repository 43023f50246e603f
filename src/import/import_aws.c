/*
 * import_aws.c - what the AWS CLI and terraform print, for `esmsim import`
 * (import_aws.h, issue 14 item 1).
 *
 * AWS CLI JSON, recognised by its top-level keys:
 *   lambda get-event-source-mapping     UUID, EventSourceArn   (and list-event-source-mappings)
 *   lambda get-function-configuration   FunctionName, FunctionArn  (and get-function: Configuration)
 *   lambda get-function-concurrency     ReservedConcurrentExecutions, or {} when none is reserved
 *   kinesis describe-stream-summary     StreamDescriptionSummary  (and describe-stream)
 *   dynamodbstreams describe-stream     StreamDescription with TableName
 *   dynamodb describe-table             Table with TableName (the stream's view type, not its shards)
 * These describe what is deployed now (IMP_LIVE).
 *
 * terraform show -json: the state (values.root_module) or a plan
 * (planned_values.root_module, IMP_TEMPLATE), modules included: the
 * aws_lambda_event_source_mapping, the aws_kinesis_stream (or its
 * aws_kinesis_stream_consumer, or the aws_dynamodb_table) whose ARN it
 * names, and the aws_lambda_function it invokes.  In a plan an ARN not known
 * before apply is found through the configuration's references.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "array.h"
#include "fmt.h"
#include "import_aws.h"

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A string at key of o, at path; -1 when there but not a string. */
static int want_string(struct imp *im, const char *file, const char *path, const cJSON *v)
{
    if (cJSON_IsString(v))
        return 0;
    return imp_fail(im, "%s: %s: expected a string, got %s", file, path, imp_kind(v));
}

static int want_number(struct imp *im, const char *file, const char *path, const cJSON *v)
{
    if (cJSON_IsNumber(v))
        return 0;
    return imp_fail(im, "%s: %s: expected a number, got %s", file, path, imp_kind(v));
}

/* ---- Kinesis ------------------------------------------------------------------ */

static int consumer_count(struct imp *im, const char *file, const char *path, const cJSON *v)
{
    if (want_number(im, file, path, v) < 0)
        return -1;
    if (v->valuedouble <= 0)
        return 0;
    return imp_note(im, "%s: %s: %.0f enhanced fan-out consumers are registered: each reads with "
                    "its own throughput, so none shares the mapping's (stream.other_consumers counts "
                    "shared-throughput readers, which the stream's description does not show)",
                    file, path, v->valuedouble);
}

/* describe-stream's Shards (Kinesis or DynamoDB): stream.shards, the open
 * ones (without an EndingSequenceNumber); more_pages: why the list may not
 * be all of them (NULL: it is). */
static int open_shards(struct imp *im, const char *file, const char *base, const cJSON *shards,
                       const char *more_pages)
{
    char path[PATH_LEN];
    imp_path(path, sizeof path, base, "Shards");
    if (!cJSON_IsArray(shards))
        return imp_fail(im, "%s: %s: expected an array, got %s", file, path, imp_kind(shards));
    int open = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, shards)
        open += !get(get(s, "SequenceNumberRange"), "EndingSequenceNumber");
    if (more_pages && imp_note(im, "%s: %s: %s: only the %d open shards of this page are counted",
                               file, path, more_pages, open) < 0)
        return -1;
    return imp_set(im, "stream.shards", cJSON_CreateNumber(open > 0 ? open : 1), IMP_LIVE, file, path);
}

/* kinesis describe-stream-summary, or describe-stream (its Shards counted). */
static int kinesis_stream(struct imp *im, const char *file, const char *base, const cJSON *d)
{
    static const char *const used[] = { "StreamName", "StreamARN", "RetentionPeriodHours",
                                        "StreamModeDetails", "OpenShardCount", "ConsumerCount",
                                        "Shards", "HasMoreShards", NULL };
    char path[PATH_LEN];
    const cJSON *v;
    if (!cJSON_IsObject(d))
        return imp_fail(im, "%s: %s: expected an object, got %s", file, base, imp_kind(d));
    static const struct imp_copy copied[] = { { "OpenShardCount", "stream.shards" } };
    if ((v = get(d, "StreamName")) &&
        imp_stream_named(im, "kinesis", v, IMP_LIVE, file, imp_path(path, sizeof path, base,
                                                                    "StreamName")) < 0)
        return -1;
    if ((v = get(d, "StreamARN"))) {
        char name[256];
        bool ddb, consumer;
        imp_path(path, sizeof path, base, "StreamARN");
        if (want_string(im, file, path, v) < 0)
            return -1;
        if (!imp_arn_stream(v->valuestring, name, sizeof name, &ddb, &consumer) || ddb || consumer)
            return imp_fail(im, "%s: %s: expected a Kinesis stream's ARN", file, path);
        /* The stream's ARN names the stream, not how the mapping reads it. */
        if (imp_set(im, "stream.name", cJSON_CreateString(name), IMP_LIVE, file, path) < 0)
            return -1;
    }
    if ((v = get(d, "RetentionPeriodHours")) &&
        imp_stream_retention(im, file, imp_path(path, sizeof path, base, "RetentionPeriodHours"), v,
                      IMP_LIVE) < 0)
        return -1;
    if ((v = get(d, "StreamModeDetails"))) {
        imp_path(path, sizeof path, base, "StreamModeDetails");
        if (imp_stream_mode(im, file, imp_path(path, sizeof path, path, "StreamMode"),
                     get(v, "StreamMode"), IMP_LIVE) < 0)
            return -1;
    }
    if (imp_copy(im, file, base, d, copied, 1, IMP_LIVE) < 0)
        return -1;
    if ((v = get(d, "ConsumerCount")) &&
        consumer_count(im, file, imp_path(path, sizeof path, base, "ConsumerCount"), v) < 0)
        return -1;
    if ((v = get(d, "Shards")) && open_shards(im, file, base, v, cJSON_IsTrue(get(d, "HasMoreShards"))
                                              ? "HasMoreShards is true" : NULL) < 0)
        return -1;
    return imp_rest_unmapped(im, file, base, d, used);
}

/* dynamodbstreams describe-stream. */
static int dynamodb_stream(struct imp *im, const char *file, const char *base, const cJSON *d)
{
    static const char *const used[] = { "StreamArn", "TableName", "StreamViewType", "Shards", NULL };
    char path[PATH_LEN];
    const cJSON *v;
    if ((v = get(d, "StreamArn"))) {
        imp_path(path, sizeof path, base, "StreamArn");
        if (want_string(im, file, path, v) < 0 ||
            imp_source_arn(im, v->valuestring, IMP_LIVE, file, path) < 0)
            return -1;
    }
    static const struct imp_copy copied[] = { { "StreamViewType", "stream.view_type" } };
    if (((v = get(d, "TableName")) &&
         imp_stream_named(im, "dynamodb", v, IMP_LIVE, file, imp_path(path, sizeof path, base,
                                                                      "TableName")) < 0) ||
        imp_copy(im, file, base, d, copied, 1, IMP_LIVE) < 0)
        return -1;
    if ((v = get(d, "Shards")) && open_shards(im, file, base, v, get(d, "LastEvaluatedShardId")
                                              ? "LastEvaluatedShardId is set" : NULL) < 0)
        return -1;
    return imp_rest_unmapped(im, file, base, d, used);
}

/* dynamodb describe-table: the table, and its stream's view type and ARN. */
static int dynamodb_table(struct imp *im, const char *file, const char *base, const cJSON *t)
{
    static const char *const used[] = { "TableName", "StreamSpecification", "LatestStreamArn", NULL };
    char path[PATH_LEN];
    const cJSON *v, *spec = get(t, "StreamSpecification");
    imp_path(path, sizeof path, base, "StreamSpecification");
    if (!cJSON_IsTrue(get(spec, "StreamEnabled")))
        return imp_fail(im, "%s: %s: the table has no stream (StreamEnabled is not true): no mapping "
                        "can read it", file, path);
    static const struct imp_copy copied[] = { { "StreamViewType", "stream.view_type" } };
    if (((v = get(t, "TableName")) &&
         imp_stream_named(im, "dynamodb", v, IMP_LIVE, file, imp_path(path, sizeof path, base,
                                                                      "TableName")) < 0) ||
        imp_copy(im, file, imp_path(path, sizeof path, base, "StreamSpecification"), spec, copied, 1,
                 IMP_LIVE) < 0)
        return -1;
    if ((v = get(t, "LatestStreamArn"))) {
        imp_path(path, sizeof path, base, "LatestStreamArn");
        if (want_string(im, file, path, v) < 0 ||
            imp_source_arn(im, v->valuestring, IMP_LIVE, file, path) < 0)
            return -1;
    }
    return imp_rest_unmapped(im, file, base, t, used);
}

/* ---- Lambda ------------------------------------------------------------------- */

/* get-function-configuration (or get-function's Configuration). */
static int function_config(struct imp *im, const char *file, const char *base, const cJSON *c)
{
    static const char *const used[] = { "FunctionName", "FunctionArn", "Timeout", "MemorySize", NULL };
    char path[PATH_LEN];
    const cJSON *v;
    if (!cJSON_IsObject(c))
        return imp_fail(im, "%s: %s: expected an object, got %s", file, base, imp_kind(c));
    if ((v = get(c, "FunctionArn"))) {
        imp_path(path, sizeof path, base, "FunctionArn");
        if (want_string(im, file, path, v) < 0 ||
            imp_function_ref(im, v->valuestring, IMP_LIVE, file, path) < 0)
            return -1;
    }
    if ((v = get(c, "FunctionName"))) {
        imp_path(path, sizeof path, base, "FunctionName");
        if (want_string(im, file, path, v) < 0 ||
            imp_function_ref(im, v->valuestring, IMP_LIVE, file, path) < 0)
            return -1;
    }
    static const struct imp_copy copied[] = { { "Timeout", "function.timeout" },
                                              { "MemorySize", "function.memory_mb" } };
    if (imp_copy(im, file, base, c, copied, 2, IMP_LIVE) < 0)
        return -1;
    return imp_rest_unmapped(im, file, base, c, used);
}

static int function_concurrency(struct imp *im, const char *file, const char *base, const cJSON *c)
{
    static const char *const used[] = { "ReservedConcurrentExecutions", NULL };
    static const struct imp_copy copied[] = {
        { "ReservedConcurrentExecutions", "function.reserved_concurrency" } };
    if (!get(c, "ReservedConcurrentExecutions"))
        return imp_set(im, "function.reserved_concurrency", cJSON_CreateNumber(-1), IMP_LIVE, file,
                       base);   /* {}: nothing reserved */
    if (imp_copy(im, file, base, c, copied, 1, IMP_LIVE) < 0)
        return -1;
    return imp_rest_unmapped(im, file, base, c, used);
}

/* Does mapping m match --mapping NAME (its UUID or function)? */
static bool selected(const struct imp *im, const cJSON *m, const char *const *keys)
{
    const char *want = imp_selected_mapping(im);
    if (!want)
        return true;
    for (const char *const *k = keys; *k; k++) {
        const cJSON *v = get(m, *k);
        const char *f = cJSON_IsString(v) ? strstr(v->valuestring, ":function:") : NULL;
        if (cJSON_IsString(v) && (!strcmp(v->valuestring, want) || (f && !strcmp(f + 10, want))))
            return true;
    }
    return false;
}

/* A mapping's source is a stream (Kinesis or DynamoDB), not a queue. */
static bool stream_mapping(const cJSON *m, const char *arn_key)
{
    char name[256];
    bool ddb, consumer;
    const cJSON *arn = get(m, arn_key);
    return cJSON_IsString(arn) && imp_arn_stream(arn->valuestring, name, sizeof name, &ddb, &consumer);
}

/* list-event-source-mappings: the stream mapping (one, or the one --mapping names). */
static int mapping_list(struct imp *im, const char *file, const cJSON *list)
{
    static const char *const keys[] = { "UUID", "FunctionArn", NULL };
    char path[PATH_LEN];
    const cJSON *m, *found = NULL;
    size_t i = 0, at = 0, n = 0;
    if (!cJSON_IsArray(list))
        return imp_fail(im, "%s: $.EventSourceMappings: expected an array, got %s", file, imp_kind(list));
    cJSON_ArrayForEach(m, list) {
        if (stream_mapping(m, "EventSourceArn") && selected(im, m, keys)) {
            n++;
            found = found ? found : m;
            at = found == m ? i : at;
        }
        i++;
    }
    if (n == 0 && !imp_selected_mapping(im))   /* nothing for --mapping to choose from */
        return imp_fail(im, "%s: $.EventSourceMappings: no mapping of a stream among its %zu (esmsim "
                        "simulates stream mappings)", file, i);
    if (n != 1)
        return imp_fail(im, "%s: $.EventSourceMappings: %zu mappings of a stream%s: name one with "
                        "--mapping UUID", file, n, imp_selected_mapping(im) ? " match --mapping" : "");
    imp_path_index(path, sizeof path, "$.EventSourceMappings", at);
    return imp_mapping(im, file, path, found, false, IMP_LIVE, NULL);
}

const char *imp_aws_detect(const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return NULL;
    if (!root->child)
        return "lambda get-function-concurrency";
    if (get(root, "UUID") && get(root, "EventSourceArn"))
        return "lambda get-event-source-mapping";
    if (get(root, "EventSourceMappings"))
        return "lambda list-event-source-mappings";
    if (get(root, "FunctionName") && get(root, "FunctionArn"))
        return "lambda get-function-configuration";
    if (cJSON_IsObject(get(root, "Configuration")) && get(get(root, "Configuration"), "FunctionName"))
        return "lambda get-function";
    if (get(root, "ReservedConcurrentExecutions"))
        return "lambda get-function-concurrency";
    if (get(root, "StreamDescriptionSummary"))
        return "kinesis describe-stream-summary";
    const cJSON *d = get(root, "StreamDescription");
    if (get(d, "TableName") || get(d, "StreamViewType"))
        return "dynamodbstreams describe-stream";
    if (get(d, "StreamName"))
        return "kinesis describe-stream";
    if (cJSON_IsObject(get(root, "Table")) && get(get(root, "Table"), "TableName"))
        return "dynamodb describe-table";
    return NULL;
}

int imp_aws_read(struct imp *im, const struct imp_file *f)
{
    const char *what = imp_aws_detect(f->root), *file = f->path;
    const cJSON *r = f->root;
    if (!strcmp(what, "lambda get-event-source-mapping")) {
        if (!stream_mapping(r, "EventSourceArn"))
            return imp_fail(im, "%s: $.EventSourceArn: expected the ARN of a Kinesis stream or of a "
                            "DynamoDB table's stream (esmsim simulates stream mappings)", file);
        return imp_mapping(im, file, "$", r, false, IMP_LIVE, NULL);
    }
    if (!strcmp(what, "lambda list-event-source-mappings"))
        return mapping_list(im, file, get(r, "EventSourceMappings"));
    if (!strcmp(what, "lambda get-function-configuration"))
        return function_config(im, file, "$", r);
    if (!strcmp(what, "lambda get-function")) {
        static const char *const used[] = { "Configuration", "Concurrency", NULL };
        const cJSON *c = get(r, "Concurrency");
        if (function_config(im, file, "$.Configuration", get(r, "Configuration")) < 0 ||
            (c && function_concurrency(im, file, "$.Concurrency", c) < 0))
            return -1;
        return imp_rest_unmapped(im, file, "$", r, used);
    }
    if (!strcmp(what, "lambda get-function-concurrency"))
        return function_concurrency(im, file, "$", r);
    if (!strcmp(what, "kinesis describe-stream-summary"))
        return kinesis_stream(im, file, "$.StreamDescriptionSummary", get(r, "StreamDescriptionSummary"));
    if (!strcmp(what, "kinesis describe-stream"))
        return kinesis_stream(im, file, "$.StreamDescription", get(r, "StreamDescription"));
    if (!strcmp(what, "dynamodb describe-table"))
        return dynamodb_table(im, file, "$.Table", get(r, "Table"));
    return dynamodb_stream(im, file, "$.StreamDescription", get(r, "StreamDescription"));
}

/* ---- terraform show -json -------------------------------------------------------- */

struct tf_res {
    const cJSON *r;             /* the resource object */
    const cJSON *values;
    const char *type, *address;
    char path[PATH_LEN];        /* of the resource in the file */
    bool used;
};

struct tf {
    struct tf_res *v;
    size_t n, cap;
    const cJSON *config;        /* configuration.root_module (plans) */
};

static int tf_collect(struct imp *im, const char *file, struct tf *tf, const cJSON *module,
                      const char *base)
{
    char path[PATH_LEN], p2[PATH_LEN];
    const cJSON *r;
    size_t i = 0;
    cJSON_ArrayForEach(r, get(module, "resources")) {
        imp_path_index(path, sizeof path, imp_path(p2, sizeof p2, base, "resources"), i++);
        const cJSON *type = get(r, "type"), *addr = get(r, "address"), *mode = get(r, "mode");
        if (!cJSON_IsString(type) || !cJSON_IsString(addr))
            return imp_fail(im, "%s: %s: expected a resource with a type and an address", file, path);
        if (cJSON_IsString(mode) && strcmp(mode->valuestring, "managed"))
            continue;   /* data sources describe what exists, not what is deployed here */
        if (array_grow((void **)&tf->v, &tf->cap, tf->n, sizeof *tf->v) < 0)
            return imp_nomem(im);
        struct tf_res *t = &tf->v[tf->n++];
        *t = (struct tf_res){ .r = r, .values = get(r, "values"), .type = type->valuestring,
                              .address = addr->valuestring };
        snprintf(t->path, sizeof t->path, "%s", path);
    }
    i = 0;
    const cJSON *child;
    cJSON_ArrayForEach(child, get(module, "child_modules")) {
        imp_path_index(path, sizeof path, imp_path(p2, sizeof p2, base, "child_modules"), i++);
        if (tf_collect(im, file, tf, child, path) < 0)
            return -1;
    }
    return 0;
}

/* An attribute of a terraform resource; NULL when null (unset, or unknown until apply). */
static const cJSON *tf_get(const struct tf_res *t, const char *key)
{
    const cJSON *v = get(t->values, key);
    return cJSON_IsNull(v) ? NULL : v;
}

static const char *tf_string(const struct tf_res *t, const char *key)
{
    const cJSON *v = get(t->values, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* In a plan: the resource an attribute of the mapping refers to, from the
 * configuration (its references name "TYPE.NAME.attr" and "TYPE.NAME"). */
static struct tf_res *tf_referenced(struct tf *tf, const struct tf_res *from, const char *attr,
                                    const char *type)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, get(tf->config, "resources")) {
        const cJSON *addr = get(r, "address");
        if (!cJSON_IsString(addr) || strcmp(addr->valuestring, from->address))
            continue;
        const cJSON *ref;
        cJSON_ArrayForEach(ref, get(get(get(r, "expressions"), attr), "references")) {
            if (!cJSON_IsString(ref))
                continue;
            for (size_t i = 0; i < tf->n; i++)
                if (!strcmp(tf->v[i].type, type) && !strcmp(tf->v[i].address, ref->valuestring))
                    return &tf->v[i];
        }
    }
    return NULL;
}

/* The resource of type whose attribute key is value; else the one the
 * configuration references; else the only one of its type. */
static struct tf_res *tf_find(struct tf *tf, const struct tf_res *esm, const char *type,
                              const char *key, const char *value, const char *attr)
{
    struct tf_res *only = NULL;
    size_t n = 0;
    for (size_t i = 0; i < tf->n; i++) {
        if (strcmp(tf->v[i].type, type))
            continue;
        const char *v = tf_string(&tf->v[i], key);
        if (value && v && !strcmp(v, value))
            return &tf->v[i];
        only = &tf->v[i];
        n++;
    }
    struct tf_res *ref = tf->config ? tf_referenced(tf, esm, attr, type) : NULL;
    if (ref)
        return ref;
    return n == 1 && !value ? only : NULL;
}

/* The resource r is part of the mapping: the path of its values, in buf. */
static const char *tf_use(struct tf_res *r, char *buf, size_t len)
{
    r->used = true;
    return imp_path(buf, len, r->path, "values");
}

static int tf_stream(struct imp *im, const char *file, struct tf_res *s, enum imp_rank rank)
{
    static const char *const used[] = { "name", "shard_count", "retention_period",
                                        "stream_mode_details", "arn", "id", NULL };
    char path[PATH_LEN], p2[PATH_LEN];
    const cJSON *v;
    tf_use(s, p2, sizeof p2);
    if ((v = tf_get(s, "name")) &&
        imp_stream_named(im, "kinesis", v, rank, file, imp_path(path, sizeof path, p2, "name")) < 0)
        return -1;
    const cJSON *smd = tf_get(s, "stream_mode_details");
    const cJSON *mode = cJSON_IsArray(smd) ? smd->child : smd;
    bool on_demand = false;
    if (mode && (v = get(mode, "stream_mode"))) {
        imp_path(path, sizeof path, p2, "stream_mode_details[0].stream_mode");
        if (imp_stream_mode(im, file, path, v, rank) < 0)
            return -1;
        on_demand = cJSON_IsString(v) && !strcmp(v->valuestring, "ON_DEMAND");
    }
    /* An on-demand stream's shard_count is AWS's, not a setting: 0 in a plan. */
    if ((v = tf_get(s, "shard_count")) && !(on_demand && cJSON_IsNumber(v) && v->valuedouble == 0) &&
        imp_set(im, "stream.shards", cJSON_Duplicate(v, true), rank, file,
                imp_path(path, sizeof path, p2, "shard_count")) < 0)
        return -1;
    if ((v = tf_get(s, "retention_period")) &&
        imp_stream_retention(im, file, imp_path(path, sizeof path, p2, "retention_period"), v, rank) < 0)
        return -1;
    return imp_rest_unmapped(im, file, p2, s->values, used);
}

static int tf_table(struct imp *im, const char *file, struct tf_res *t, enum imp_rank rank)
{
    static const char *const used[] = { "name", "stream_view_type", "stream_arn", "stream_enabled",
                                        "arn", "id", NULL };
    char path[PATH_LEN], p2[PATH_LEN];
    const cJSON *v;
    tf_use(t, p2, sizeof p2);
    static const struct imp_copy copied[] = { { "stream_view_type", "stream.view_type" } };
    if ((v = tf_get(t, "name")) &&
        imp_stream_named(im, "dynamodb", v, rank, file, imp_path(path, sizeof path, p2, "name")) < 0)
        return -1;
    if (!imp_empty(tf_get(t, "stream_view_type")) && imp_copy(im, file, p2, t->values, copied, 1, rank) < 0)
        return -1;
    return imp_rest_unmapped(im, file, p2, t->values, used);
}

static int tf_function(struct imp *im, const char *file, struct tf_res *f, enum imp_rank rank)
{
    static const char *const used[] = { "function_name", "timeout", "memory_size",
                                        "reserved_concurrent_executions", "arn", "id", NULL };
    char path[PATH_LEN], p2[PATH_LEN];
    const cJSON *v;
    tf_use(f, p2, sizeof p2);
    if ((v = tf_get(f, "arn")) && cJSON_IsString(v) &&
        imp_function_ref(im, v->valuestring, rank, file, imp_path(path, sizeof path, p2, "arn")) < 0)
        return -1;
    if ((v = tf_get(f, "function_name"))) {
        imp_path(path, sizeof path, p2, "function_name");
        if (want_string(im, file, path, v) < 0 || imp_function_ref(im, v->valuestring, rank, file, path) < 0)
            return -1;
    }
    /* reserved_concurrent_executions -1 is unreserved, as in the scenario */
    static const struct imp_copy copied[] = {
        { "timeout", "function.timeout" }, { "memory_size", "function.memory_mb" },
        { "reserved_concurrent_executions", "function.reserved_concurrency" } };
    if (imp_copy(im, file, p2, f->values, copied, 3, rank) < 0)
        return -1;
    return imp_rest_unmapped(im, file, p2, f->values, used);
}

bool imp_tf_detect(const cJSON *root)
{
    return cJSON_IsObject(root) && get(root, "format_version") &&
           (get(root, "values") || get(root, "planned_values") || get(root, "terraform_version"));
}

int imp_tf_read(struct imp *im, const struct imp_file *f)
{
    const char *file = f->path;
    const cJSON *state = get(f->root, "values"), *plan = get(f->root, "planned_values");
    enum imp_rank rank = state ? IMP_STATE : IMP_TEMPLATE;
    const char *base = state ? "$.values.root_module" : "$.planned_values.root_module";
    const cJSON *module = get(state ? state : plan, "root_module");
    struct tf tf = { .config = get(get(f->root, "configuration"), "root_module") };
    int rc = -1;
    if (!module) {
        imp_note(im, "%s: an empty terraform state or plan: nothing to import", file);
        return 0;
    }
    if (tf_collect(im, file, &tf, module, base) < 0)
        goto out;

    /* The mapping: the one of a stream, or the one --mapping names. */
    struct tf_res *esm = NULL;
    size_t n = 0;
    const char *want = imp_selected_mapping(im);
    for (size_t i = 0; i < tf.n; i++) {
        struct tf_res *t = &tf.v[i];
        if (strcmp(t->type, "aws_lambda_event_source_mapping"))
            continue;
        const char *fn = tf_string(t, "function_name"), *uuid = tf_string(t, "uuid");
        const char *name = get(t->r, "name") && cJSON_IsString(get(t->r, "name"))
                         ? get(t->r, "name")->valuestring : "";
        if (want && strcmp(want, t->address) && strcmp(want, name) && !(fn && !strcmp(want, fn)) &&
            !(uuid && !strcmp(want, uuid)))
            continue;
        const char *arn = tf_string(t, "event_source_arn");
        char sname[256];
        bool ddb, consumer;
        if (arn && !imp_arn_stream(arn, sname, sizeof sname, &ddb, &consumer))
            continue;   /* a queue's mapping */
        esm = esm ? esm : t;
        n++;
    }
    if (n > 1) {
        imp_fail(im, "%s: %zu event source mappings of streams: name one with --mapping ADDRESS",
                 file, n);
        goto out;
    }
    if (esm) {
        char p2[PATH_LEN];
        static const char *const skip[] = { "uuid", "id", "arn", "function_arn", "state",
                                            "state_transition_reason", "last_modified",
                                            "last_processing_result", NULL };
        esm->used = true;
        if (imp_mapping(im, file, imp_path(p2, sizeof p2, esm->path, "values"), esm->values, true,
                        rank, skip) < 0)
            goto out;
        const char *arn = tf_string(esm, "event_source_arn"), *fn = tf_string(esm, "function_name");
        struct tf_res *s = tf_find(&tf, esm, "aws_kinesis_stream", "arn", arn, "event_source_arn");
        struct tf_res *c = s ? NULL : tf_find(&tf, esm, "aws_kinesis_stream_consumer", "arn", arn,
                                              "event_source_arn");
        if (c) {   /* enhanced fan-out: the consumer's stream */
            char path[PATH_LEN];
            c->used = true;
            imp_path(path, sizeof path, c->path, "values");
            if (imp_set(im, "stream.consumer", cJSON_CreateString("efo"), rank, file, path) < 0)
                goto out;
            s = tf_find(&tf, c, "aws_kinesis_stream", "arn", tf_string(c, "stream_arn"),
                        "stream_arn");
        }
        struct tf_res *t = s || c ? NULL : tf_find(&tf, esm, "aws_dynamodb_table", "stream_arn", arn,
                                                   "event_source_arn");
        if ((s && tf_stream(im, file, s, rank) < 0) || (t && tf_table(im, file, t, rank) < 0))
            goto out;
        struct tf_res *fnr = tf_find(&tf, esm, "aws_lambda_function", "function_name", fn,
                                     "function_name");
        if (!fnr && fn)
            fnr = tf_find(&tf, esm, "aws_lambda_function", "arn", fn, "function_name");
        if (fnr && tf_function(im, file, fnr, rank) < 0)
            goto out;
    } else {
        imp_note(im, "%s: no event source mapping of a stream in this terraform %s", file,
                 state ? "state" : "plan");
    }
    for (size_t i = 0; i < tf.n; i++) {
        if (tf.v[i].used)
            continue;
        char why[300], safe[FMT_TEXT_MAX];
        snprintf(why, sizeof why, "not part of the mapping (%s)", fmt_text(tf.v[i].type, safe, 100));
        if (imp_unmapped(im, file, why, tf.v[i].path) < 0)
            goto out;
    }
    rc = 0;
out:
    free(tf.v);
    return rc;
}
