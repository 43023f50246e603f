/*
 * import_set.h - what the readers of `esmsim import` (import.h) share: the
 * scenario being made, each value with its origin and rank, what could not
 * be mapped, notes and the first error, and the mapping, stream and
 * function settings that more than one format spells.
 */
#ifndef ESMSIM_IMPORT_SET_H
#define ESMSIM_IMPORT_SET_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

struct imp;

/* How near a source is to what runs: a higher rank wins a conflict. */
enum imp_rank {
    IMP_DERIVED,    /* computed by import: defaults, hints (a note says why) */
    IMP_TEMPLATE,   /* a CloudFormation/SAM template, a terraform plan: what should be deployed */
    IMP_STATE,      /* terraform state: what terraform last deployed */
    IMP_LIVE,       /* the AWS CLI's describe/get outputs: what is deployed now */
};

/* One input file, parsed (JSON, or YAML turned into JSON). */
struct imp_file {
    const char *path;           /* as given on the command line */
    struct cJSON *root;         /* owned by the command */
    bool yaml;
};

/*
 * Set the scenario's value at spath ("stream.shards",
 * "event_source_mapping.DestinationConfig"; made of object keys) to value
 * (taken: freed even on error), from ipath ("$.StreamDescriptionSummary.
 * OpenShardCount") of file at rank.  A value already there from a lower rank
 * is replaced, from a higher one kept (a note says so when they differ);
 * from the same rank and different, it is an error naming both.  Returns 0,
 * or -1 (imp_fail).
 */
int imp_set(struct imp *im, const char *spath, struct cJSON *value, enum imp_rank rank,
            const char *file, const char *ipath);

/* The same for a value import computed itself; origin (printf-like) says
 * from what, for the description ("lognormal fitted to metrics.json
 * Duration p50, p90, p99: ...").  It never replaces a value an input gave.
 * value NULL records the origin of a part of a value already set
 * ("producers[0].rate"). */
int imp_set_derived(struct imp *im, const char *spath, struct cJSON *value, const char *origin, ...)
    __attribute__((format(printf, 4, 5)));

/* The same for a value made from one input value, file's ipath: a value the
 * scenario loader refuses is said there. */
int imp_set_derived_at(struct imp *im, const char *spath, struct cJSON *value, const char *file,
                       const char *ipath, const char *origin, ...)
    __attribute__((format(printf, 6, 7)));

/* The value at spath so far, or NULL. */
const struct cJSON *imp_get(const struct imp *im, const char *spath);

/* What could not be mapped: ipath of file, grouped by why on stderr
 * ("template.yaml: not modelled: $.Resources.Fn.Properties.Runtime, ..."). */
int imp_unmapped(struct imp *im, const char *file, const char *why, const char *ipath);

/* A line for stderr (a choice made, a value replaced, a warning). */
int imp_note(struct imp *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record the error (printf-like, the whole message: "FILE: PATH: what") and
 * return -1. */
int imp_fail(struct imp *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int imp_nomem(struct imp *im);

/* --mapping NAME (NULL: not given) and --parameter NAME=VALUE (NULL: not given). */
const char *imp_selected_mapping(const struct imp *im);
const char *imp_parameter(const struct imp *im, const char *name);

/* The i-th --parameter as given ("NAME=VALUE"), NULL past the last. */
const char *imp_parameter_given(const struct imp *im, size_t i);

/* base + ".key" (or base + "[\"key\"]" when key is not a plain name), or
 * base + "[i]", in buf (which may be base), returned.  PATH_LEN: room for a path. */
#define PATH_LEN 512
const char *imp_path(char *buf, size_t len, const char *base, const char *key);
const char *imp_path_index(char *buf, size_t len, const char *base, size_t i);

/*
 * What the readers share.  An event source mapping object (obj, at ipath
 * base of file) with AWS's key names (the CLI, CloudFormation: BatchSize)
 * or terraform's (batch_size): each setting into event_source_mapping,
 * EventSourceArn into the stream (imp_source_arn), FunctionArn or
 * FunctionName into the function; keys in skip are the caller's (a SAM
 * event's Stream); everything else is listed as not mapped.
 */
int imp_mapping(struct imp *im, const char *file, const char *base, const struct cJSON *obj,
                bool terraform, enum imp_rank rank, const char *const *skip);

/* The stream a mapping reads, from its EventSourceArn: a Kinesis stream
 * (stream.name), its enhanced fan-out consumer (stream.consumer "efo"), or a
 * DynamoDB table's stream (stream.type, stream.table). */
int imp_source_arn(struct imp *im, const char *arn, enum imp_rank rank, const char *file,
                   const char *ipath);

/* The function, from its name, its ARN or a partial ARN (function.name). */
int imp_function_ref(struct imp *im, const char *ref, enum imp_rank rank, const char *file,
                     const char *ipath);

/* The function's name in its name, ARN or partial ARN, without a qualifier
 * (malloc'd; NULL when out of memory). */
char *imp_function_name(const char *ref);

/* The name of a Kinesis stream or DynamoDB table in an ARN, in buf; NULL
 * when arn is not the ARN of one.  *dynamodb says which; *consumer whether
 * it is a Kinesis stream consumer's (enhanced fan-out). */
const char *imp_arn_stream(const char *arn, char *buf, size_t len, bool *dynamodb, bool *consumer);

/* v as a number when it is a string of one ("24": templates write numbers
 * so, and CloudFormation converts them), else a copy of v; NULL when out of
 * memory. */
struct cJSON *imp_number(const struct cJSON *v);

/* Settings copied as they are (a string of a number as the number): each
 * key of obj at base, when present and not null, into its spath. */
struct imp_copy {
    const char *key, *spath;
};
int imp_copy(struct imp *im, const char *file, const char *base, const struct cJSON *obj,
             const struct imp_copy *list, size_t n, enum imp_rank rank);

/* What a JSON value is, for "expected ..., got a string": "a number", ...,
 * "nothing" for NULL; and whether it is empty (NULL, null, "", [], {}). */
const char *imp_kind(const struct cJSON *v);
bool imp_empty(const struct cJSON *v);

/* Every key of obj (at base) not in used (NULL-terminated) and not empty
 * (null, "", [], {}), listed as not modelled. */
int imp_rest_unmapped(struct imp *im, const char *file, const char *base, const struct cJSON *obj,
                      const char *const *used);

/* The stream named v at path: stream.type type ("kinesis" or "dynamodb")
 * and its stream.name or stream.table. */
int imp_stream_named(struct imp *im, const char *type, const struct cJSON *v, enum imp_rank rank,
                     const char *file, const char *path);

/* stream.retention from a number of hours; stream.capacity_mode from
 * PROVISIONED (the default: nothing set) or ON_DEMAND; v at path of file. */
int imp_stream_retention(struct imp *im, const char *file, const char *path, const struct cJSON *v,
                         enum imp_rank rank);
int imp_stream_mode(struct imp *im, const char *file, const char *path, const struct cJSON *v,
                    enum imp_rank rank);

#endif
