/*
 * import_set_impl.h - the inside of `esmsim import`, shared by the command
 * (import.c) and the scenario being made (import_set.c) alone; the readers
 * of each format (import_aws.c, import_cfn*.c, import_metrics.c) see
 * import_set.h only.
 */
#ifndef ESMSIM_IMPORT_SET_IMPL_H
#define ESMSIM_IMPORT_SET_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "import_set.h"

/* Where a value of the scenario came from. */
struct impi_origin {
    char *spath;            /* "stream.shards", "producers[0].rate" */
    char *file;             /* the input file; NULL for a value import computed */
    char *ipath;            /* the path in it ("$.StreamDescriptionSummary.OpenShardCount") */
    char *text;             /* for a computed value: from what (the description's words); its
                             * file and ipath, when set, the one input value it was made from */
    enum imp_rank rank;
};

/* An ARN an input gave, and where. */
struct impi_arn {
    char *arn, *file, *ipath;
};

/* What could not be mapped, one line per file and reason. */
struct impi_unmapped {
    char *file, *why;
    char *paths;            /* "$.A, $.B" (len bytes, room for cap: it doubles) */
    size_t len, cap;
};

struct imp {
    cJSON *scn;                     /* the scenario being made */
    struct impi_origin *o;
    size_t n_o, cap_o;
    struct impi_unmapped *u;
    size_t n_u, cap_u;
    char **notes;
    size_t n_notes, cap_notes;
    char err[2048];                 /* the first error */
    bool failed;
    const char *mapping;            /* --mapping */
    const char *const *params;      /* --parameter NAME=VALUE, as given (borrowed) */
    size_t n_params;
    struct impi_arn function_arn, stream_arn;   /* the first real ARNs seen, for model.region/account */
};

/* The text of fmt and ap, malloc'd; NULL when out of memory. */
char *impi_vformat(const char *fmt, va_list ap);

/* The origin recorded for spath, or NULL. */
struct impi_origin *impi_origin_of(const struct imp *im, const char *spath);

/* A value as short text, for notes ("4", "\"orders\""), in buf, returned. */
const char *impi_value_text(const cJSON *v, char *buf, size_t len);

/* Where o's value came from, in words: "FILE IPATH", or what import computed it from. */
void impi_origin_words(const struct impi_origin *o, char *buf, size_t len);

/* Place value at spath (NULL: none, the origin only) and record its origin
 * o (its strings taken, freed even on error).  0, or -1 (imp_fail). */
int impi_put(struct imp *im, const char *spath, cJSON *value, struct impi_origin o);

/* Split an ARN "arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE" into parts
 * (each in its buffer of 128 bytes); false when arn is not one. */
bool impi_arn_parts(const char *arn, char service[128], char region[128], char account[128],
                    const char **resource);

/* Free what im holds (not im itself). */
void impi_free(struct imp *im);

#endif
