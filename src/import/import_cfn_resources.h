/*
 * import_cfn_resources.h - the resources a template's mapping reaches, as
 * parts of the scenario (import_cfn_resources.c): its stream, table,
 * consumer and function.  Not a public face (import_cfn.h is): import_cfn.c
 * calls them for the mapping it chose.  Each returns 0, or -1 (imp_fail).
 */
#ifndef ESMSIM_IMPORT_CFN_RESOURCES_H
#define ESMSIM_IMPORT_CFN_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "import_cfn_eval.h"

/* The resources imported (their logical ids): the others are listed as not
 * part of the mapping. */
struct cfn_used {
    const char *ids[16];
    size_t n;
};

void cfn_use(struct cfn_used *u, const char *id);
bool cfn_was_used(const struct cfn_used *u, const char *id);

/* An AWS::Kinesis::Stream, an AWS::DynamoDB::Table's stream. */
int cfn_map_stream(struct cfn *c, const char *id);
int cfn_map_table(struct cfn *c, const char *id);

/* An enhanced fan-out consumer and the stream it reads (recorded in u). */
int cfn_map_consumer(struct cfn *c, const char *id, struct cfn_used *u);

/* The function; event: the SAM event that is the mapping (its other events
 * are listed), or NULL. */
int cfn_map_function(struct cfn *c, const char *id, const char *event);

#endif
