/*
 * scenario_mapping.c - the event source mapping of a scenario as
 * get-event-source-mapping prints it (SPEC 1.4 and section 2: batching R2,
 * retries R5, discard R6, R7, bisect R8, R10, starting position R13,
 * tumbling windows R15, destinations, filters), and the schedule of its and
 * the function's updates (R16).
 */
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"

/* ---- the event source mapping ------------------------------------------ */

/* What this version reads. */
static const char *const MAPPING_KEYS[] = {
    "BatchSize", "MaximumBatchingWindowInSeconds", "ParallelizationFactor", "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "FunctionResponseTypes",
    "TumblingWindowInSeconds", "DestinationConfig", "Enabled", "FilterCriteria",
    "StartingPosition", "StartingPositionTimestamp", "FunctionArn", "EventSourceArn", NULL };
/* Fixed when a mapping is created: update-event-source-mapping cannot change them. */
static const char *const CREATE_ONLY_KEYS[] = {
    "StartingPosition", "StartingPositionTimestamp", "FunctionArn", "EventSourceArn", NULL };
/* Printed by get-event-source-mapping, read-only or about other event sources: ignored. */
static const char *const MAPPING_IGNORED[] = {
    "UUID", "State", "StateTransitionReason", "LastModified", "LastProcessingResult",
    "EventSourceMappingArn", "FilterCriteriaError", "ScalingConfig", "MetricsConfig",
    "ProvisionedPollerConfig", "Topics", "Queues", "SourceAccessConfigurations",
    "SelfManagedEventSource", "SelfManagedKafkaEventSourceConfig",
    "AmazonManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig", "KMSKeyArn", "Tags",
    "LoggingConfig", NULL };
static const char *const STARTS[] = { "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", NULL };
static const char *const DESTINATION_KEYS[] = { "OnFailure", "OnSuccess", NULL };
static const char *const ONE_DESTINATION_KEYS[] = { "Destination", NULL };
static const char *const FILTER_KEYS[] = { "Filters", NULL };
static const char *const PATTERN_KEYS[] = { "Pattern", NULL };
static const char *const DESTINATION_SERVICES[] = { "sqs", "sns", "s3", NULL };
static const char *const RESPONSE_TYPES[] = { "ReportBatchItemFailures", NULL };

/* DestinationConfig: {} or {OnFailure: {Destination: ARN}, OnSuccess: {...}}. */
static int parse_destinations(struct ctx *c, const cJSON *o, struct cfg_mapping *m)
{
    static const char what[] = "an SQS queue, SNS topic or S3 bucket ARN";
    const char *const which[] = { "OnFailure", "OnSuccess" };
    const cJSON *dc, *d;
    size_t mark, m2;
    if (scni_enter(c, o, "DestinationConfig", OPT, DESTINATION_KEYS, &dc, &mark))
        return -1;
    int rc = 0;
    for (int i = 0; i < 2 && !rc; i++) {
        char *arn = NULL;
        if ((rc = scni_enter(c, dc, which[i], OPT, ONE_DESTINATION_KEYS, &d, &m2)))
            break;
        rc = scni_get_arn(c, d, "Destination", OPT, DESTINATION_SERVICES, what, &arn);
        if (arn && i == 0) {
            if (strstr(arn, ":s3:") && !c->s3_destination[0]) {
                size_t m3 = scni_path_key(c, "Destination");
                snprintf(c->s3_destination, sizeof c->s3_destination, "%s", c->path);
                scni_path_pop(c, m3);
            }
            free(m->on_failure_destination);
            m->on_failure_destination = arn;
        } else {
            free(arn);   /* OnSuccess: accepted, not used by stream mappings */
        }
        scni_path_pop(c, m2);
    }
    scni_path_pop(c, mark);
    return rc;
}

static int parse_pattern(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    char *pattern = NULL;
    int rc = scni_elem_object(c, v, PATTERN_KEYS) ||
             scni_get_string(c, v, "Pattern", REQ, &DATA, NULL, &pattern);
    free(pattern);
    return rc ? -1 : 0;
}

static int parse_filters(struct ctx *c, const cJSON *o)
{
    const cJSON *fc;
    size_t mark, n = 0;
    if (scni_enter(c, o, "FilterCriteria", OPT, FILTER_KEYS, &fc, &mark))
        return -1;
    int rc = scni_get_list(c, fc, "Filters", 0, NULL, &n, parse_pattern, NULL);
    if (n > 0 && !c->filters[0])
        snprintf(c->filters, sizeof c->filters, "%s", c->path);
    scni_path_pop(c, mark);
    return rc;
}

/* FunctionResponseTypes: [] or ["ReportBatchItemFailures"]. */
static int parse_response_types(struct ctx *c, const cJSON *o, bool *report)
{
    static const char what[] = "[] or [\"ReportBatchItemFailures\"]";
    const cJSON *a, *t;
    *report = false;
    if (scni_lookup(c, o, "FunctionResponseTypes", OPT, what, &a))
        return -1;
    if (a && !cJSON_IsArray(a))
        return scni_expected(c, "FunctionResponseTypes", what, a);
    cJSON_ArrayForEach(t, a) {
        if (!cJSON_IsString(t) || !scni_in_list(RESPONSE_TYPES, t->valuestring))
            return scni_expected(c, "FunctionResponseTypes", what, a);
        *report = true;
    }
    return 0;
}

/* The virtual time of StartingPositionTimestamp: an instant (epoch seconds or
 * ISO-8601), or a duration string counted from the start of the run. */
static int get_start_timestamp(struct ctx *c, const cJSON *o, const struct cfg_model *model,
                               int64_t *out)
{
    static const char what[] = "a time: an ISO-8601 string with a zone such as "
                                "\"2026-01-01T00:10:00Z\" or a number of epoch seconds, " SCN_TIME_RANGE
                                "; or a duration string from the start of the run such as \"10m\"";
    const cJSON *v;
    int64_t epoch_us = 0;
    if (scni_lookup(c, o, "StartingPositionTimestamp", REQ, what, &v))
        return -1;
    if (cJSON_IsString(v) && scni_parse_duration(v->valuestring, out) == 0)
        return 0;
    if (!scni_to_epoch_us(v, &epoch_us))
        return scni_expected(c, "StartingPositionTimestamp", what, v);
    *out = epoch_us - model->epoch_ms * US_PER_MS;
    if (*out < 0)
        return scni_fail(c, "StartingPositionTimestamp", "expected a time at or after the start of the "
                         "run (model.start_time, epoch %lld ms), or a duration from it such as \"10m\"",
                         (long long)model->epoch_ms);
    return 0;
}

/*
 * event_source_mapping, as get-event-source-mapping prints it; with update,
 * the subset update_mapping may change (a scheduled update-event-source-mapping).
 */
/*
 * The mapping object o into m (cfg gives the names its ARNs default to).  An
 * update (R16) is checked alone, without the create-only and read-only keys,
 * and m is left half-filled: the caller only validates it.
 */
int scni_parse_mapping(struct ctx *c, const cJSON *o, const struct cfg_sim *cfg,
                       struct cfg_mapping *m, bool update)
{
    int64_t batch = 0, window = 0, pf = 0, retries = 0, age = 0, tumbling = 0;
    int start = 0;
    if (scni_check_keys(c, o, MAPPING_KEYS, update ? NULL : MAPPING_IGNORED))
        return -1;
    for (const char *const *k = CREATE_ONLY_KEYS; update && *k; k++)
        if (scni_item(o, *k))
            return scni_fail(c, *k, "fixed when the mapping is created: an update cannot change it");
    if (scni_get_int(c, o, "BatchSize", OPT, 1, 10000, 100, &batch) ||
        scni_get_int(c, o, "MaximumBatchingWindowInSeconds", OPT, 0, 300, 0, &window) ||
        scni_get_int(c, o, "ParallelizationFactor", OPT, 1, 10, 1, &pf) ||
        scni_get_int(c, o, "MaximumRetryAttempts", OPT, -1, 10000, -1, &retries) ||
        scni_get_int_or(c, o, "MaximumRecordAgeInSeconds", OPT, -1, 60, 604800, -1, &age) ||
        scni_get_bool(c, o, "BisectBatchOnFunctionError", false, &m->bisect_on_error) ||
        parse_response_types(c, o, &m->report_batch_item_failures) ||
        scni_get_int(c, o, "TumblingWindowInSeconds", OPT, 0, 900, 0, &tumbling) ||
        parse_destinations(c, o, m) ||
        scni_get_bool(c, o, "Enabled", true, &m->enabled) ||
        parse_filters(c, o) ||
        scni_get_enum(c, o, "StartingPosition", update ? OPT : REQ, STARTS, 0, &start) ||
        scni_get_arn(c, o, "FunctionArn", OPT, NULL, "a function ARN", &m->function_arn) ||
        scni_get_arn(c, o, "EventSourceArn", OPT, NULL, "a stream ARN", &m->event_source_arn))
        return -1;
    m->batch_size = (uint32_t)batch;
    m->batching_window_us = window * US_PER_S;
    m->parallelization_factor = (uint32_t)pf;
    m->max_retry_attempts = retries;
    m->max_record_age_us = age < 0 ? -1 : age * US_PER_S;
    m->tumbling_window_us = tumbling * US_PER_S;
    m->starting_position = (enum cfg_start)start;
    if (m->starting_position == CFG_START_AT_TIMESTAMP && scni_is_dynamodb(cfg))
        return scni_expected(c, "StartingPosition", "\"TRIM_HORIZON\" or \"LATEST\" (AT_TIMESTAMP is for Kinesis "
                             "streams, not DynamoDB Streams)", scni_item(o, "StartingPosition"));
    /* Validated whatever the position, used only with AT_TIMESTAMP (a --set of
     * StartingPosition should not have to remove it). */
    if ((m->starting_position == CFG_START_AT_TIMESTAMP || scni_item(o, "StartingPositionTimestamp")) &&
        get_start_timestamp(c, o, &cfg->model, &m->starting_timestamp_us))
        return -1;
    if (update)
        return 0;
    if (!m->function_arn)
        m->function_arn = scni_fmt_dup("arn:aws:lambda:%s:%s:function:%s", cfg->model.region,
                                       cfg->model.account, cfg->function.name);
    if (!m->event_source_arn)
        m->event_source_arn = scni_stream_arn(cfg);
    return m->function_arn && m->event_source_arn ? 0 : scni_nomem(c);
}

static const char *const SCHEDULE_KEYS[] = { "at", "update_mapping", "update_function", NULL };
/* What update_function may change: the function's behaviour, not its identity. */
static const char *const FUNCTION_UPDATE_KEYS[] = {
    "timeout", "reserved_concurrency", "duration", "cold_start", "idle_timeout", "failures",
    "report", "returns_state", NULL };

/* What the schedule entries build on: the configuration as the previous
 * entry left it, as JSON, and that entry's time. */
struct schedule_state {
    struct cfg_sim *cfg;
    cJSON *mapping, *function;   /* owned */
    int64_t last_at;
};

/*
 * base with every key of update replaced (a shallow merge: a nested object
 * such as DestinationConfig or duration is replaced whole), as a new object
 * owned by the caller; NULL when out of memory.
 */
static cJSON *merge_keys(const cJSON *base, const cJSON *update)
{
    cJSON *out = base ? cJSON_Duplicate(base, 1) : cJSON_CreateObject();
    for (const cJSON *k = update ? update->child : NULL; out && k; k = k->next) {
        cJSON *v = cJSON_Duplicate(k, 1);
        if (!v || (cJSON_HasObjectItem(out, k->string)
                       ? !cJSON_ReplaceItemInObjectCaseSensitive(out, k->string, v)
                       : !cJSON_AddItemToObject(out, k->string, v))) {
            cJSON_Delete(v);
            cJSON_Delete(out);
            return NULL;
        }
    }
    return out;
}

/* The mapping after update u, into *out (allocated), the state advanced. */
static int schedule_mapping(struct ctx *c, struct schedule_state *st, const cJSON *u,
                            struct cfg_mapping **out)
{
    struct cfg_mapping alone = { 0 };   /* u checked by itself: its own paths in messages */
    int rc = scni_parse_mapping(c, u, st->cfg, &alone, true);
    scni_free_mapping(&alone);
    if (rc)
        return -1;
    cJSON *merged = merge_keys(st->mapping, u);
    if (!merged || !(*out = calloc(1, sizeof **out))) {
        cJSON_Delete(merged);
        return scni_nomem(c);
    }
    cJSON_Delete(st->mapping);
    st->mapping = merged;
    return scni_parse_mapping(c, merged, st->cfg, *out, false);
}

/* The function after update u, into *out (allocated), the state advanced. */
static int schedule_function(struct ctx *c, struct schedule_state *st, const cJSON *u,
                             struct cfg_function **out)
{
    if (scni_check_keys(c, u, FUNCTION_UPDATE_KEYS, NULL))
        return -1;
    cJSON *merged = merge_keys(st->function, u);
    if (!merged || !(*out = calloc(1, sizeof **out))) {
        cJSON_Delete(merged);
        return scni_nomem(c);
    }
    cJSON_Delete(st->function);
    st->function = merged;
    return scni_parse_function_fields(c, merged, *out);
}

/* One scheduled change (R16): {at, update_mapping, update_function}. */
static int parse_schedule(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct schedule_state *st = arg;
    struct cfg_change *ch = elem;
    const cJSON *um, *uf;
    size_t mark;
    if (scni_elem_object(c, v, SCHEDULE_KEYS) ||
        scni_get_duration(c, v, "at", REQ, 0, MAX_DURATION_US, 0, &ch->at_us) ||
        scni_get_object(c, v, "update_mapping", OPT, &um) ||
        scni_get_object(c, v, "update_function", OPT, &uf))
        return -1;
    if (!um && !uf)
        return scni_fail(c, NULL, "expected update_mapping, update_function or both");
    if (ch->at_us < st->last_at)
        return scni_fail(c, "at", "expected entries in time order: at or after the previous "
                         "entry's %.3f s", (double)st->last_at / US_PER_S);
    st->last_at = ch->at_us;
    int rc = 0;
    if (um) {
        mark = scni_path_key(c, "update_mapping");
        rc = schedule_mapping(c, st, um, &ch->mapping);
        scni_path_pop(c, mark);
    }
    if (!rc && uf) {
        mark = scni_path_key(c, "update_function");
        rc = schedule_function(c, st, uf, &ch->function);
        scni_path_pop(c, mark);
    }
    return rc;
}

int scni_parse_schedule_list(struct ctx *c, const cJSON *root, struct cfg_sim *cfg)
{
    struct schedule_state st = {
        .cfg = cfg,
        .mapping = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(root, "event_source_mapping"), 1),
        .function = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(root, "function"), 1),
    };
    int rc = scni_get_list(c, root, "schedule", sizeof *cfg->schedule, &cfg->schedule, &cfg->n_schedule,
                           parse_schedule, &st);
    cJSON_Delete(st.mapping);
    cJSON_Delete(st.function);
    return rc;
}

/* What a mapping config owns (not m itself). */
void scni_free_mapping(struct cfg_mapping *m)
{
    free(m->on_failure_destination);
    free(m->function_arn);
    free(m->event_source_arn);
}
