/*
 * import_cfn_eval.h - a CloudFormation template evaluated as CloudFormation
 * would where the template alone says (import_cfn_eval.c): its intrinsic
 * functions, its Conditions and the resources they leave deployed.  Not a
 * public face (import_cfn.h is): what the template reader's files
 * (import_cfn.c, import_cfn_resources.c) share.
 */
#ifndef ESMSIM_IMPORT_CFN_EVAL_H
#define ESMSIM_IMPORT_CFN_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "import_set.h"

/* The template being read, and the evaluation under way. */
struct cfn {
    struct imp *im;
    const char *file;
    const cJSON *resources, *params, *conditions, *mappings, *globals;
    const cJSON *all;       /* every resource, those whose Condition is false too */
    bool bad;               /* a malformed template: imp_fail was called */
    bool novalue;           /* the value was AWS::NoValue: the property is left out */
    char why[400];          /* why a value cannot be computed from the template */
    bool noted[4];          /* a pseudo parameter's stand-in was said */
    int depth;
    /* values left out of an object, for the not-mapped list */
    struct { char path[PATH_LEN]; char why[400]; } *left;
    size_t n_left, cap_left;
};

#define CFN_NOT_DEPLOYED "the resource is not deployed (its Condition is false)"

/* The longest logical id CloudFormation takes (its quotas: a resource's name,
 * 255 characters): a longer one in Resources is refused, so a longer name
 * names no resource. */
#define CFN_ID_MAX 255

/* v with its intrinsic functions computed (a new value), or NULL: c->bad
 * (an error), c->novalue (AWS::NoValue), else c->why. */
cJSON *cfn_ev(struct cfn *c, const cJSON *v, const char *path);

/* The values left out since mark (c->n_left), listed as not mapped; 0 or -1. */
int cfn_report_left(struct cfn *c, size_t mark);

/* A malformed template: imp_fail with "FILE: PATH: what", c->bad set; NULL. */
cJSON *cfn_bad(struct cfn *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The parameters as CloudFormation checks them before it deploys: every
 * --parameter (but a pseudo parameter's) declared, a Number's value a number,
 * a value among its AllowedValues.  0, or -1 (c->bad). */
int cfn_check_parameters(struct cfn *c);

/* The resources CloudFormation would create (references into c->all), or NULL (c->bad). */
cJSON *cfn_deployed_resources(struct cfn *c);

/* A resource of the template that CloudFormation would not create. */
bool cfn_not_deployed(const struct cfn *c, const char *id);

/* The resource a value names by Ref, Fn::GetAtt or Fn::Sub, or NULL. */
const char *cfn_referenced(const struct cfn *c, const cJSON *v);

/* The deployed resource of type that CloudFormation names name (its name
 * property, or its logical id when it has none), or NULL (c->bad: an error
 * in a name property). */
const char *cfn_named(struct cfn *c, const char *type, const char *name);

/* A resource's Type ("" when it has none); whether resource id is of type. */
const char *cfn_type_of(const cJSON *r);
bool cfn_is_type(const struct cfn *c, const char *id, const char *type);

/* Resource id is a DynamoDB table, AWS::DynamoDB::Table or GlobalTable (a
 * mapping reads the stream of either alike). */
bool cfn_is_table(const struct cfn *c, const char *id);

/* Member key of o, when o is an object. */
const cJSON *cfn_get(const cJSON *o, const char *key);

#endif
