/*
 * import_cfn.h - CloudFormation and SAM templates, JSON or YAML, as parts
 * of a scenario (import_cfn.c), and the YAML reader they need.  The reader
 * returns 0, or -1 with imp_fail (import_set.h).
 */
#ifndef ESMSIM_IMPORT_CFN_H
#define ESMSIM_IMPORT_CFN_H

#include <stdbool.h>
#include <stddef.h>

#include "import_set.h"

/* CloudFormation / SAM, JSON or YAML. */
bool imp_cfn_detect(const struct cJSON *root);
int imp_cfn_read(struct imp *im, const struct imp_file *f);

/*
 * YAML text (len bytes) as JSON: mappings as objects, sequences as arrays,
 * plain scalars typed (null, booleans, integers, floats; YAML 1.2's core
 * schema), aliases expanded (at most IMP_YAML_MAX_NODES nodes in all, so an
 * alias bomb is refused), merge keys (<<) applied, and CloudFormation's
 * short-form tags as their long forms: !Ref X as {"Ref": X}, !GetAtt A.B as
 * {"Fn::GetAtt": ["A", "B"]}, !Condition X as {"Condition": X}, any other
 * !Name V as {"Fn::Name": V}.  NULL with "FILE: invalid YAML at line L,
 * column C: ..." in err.
 */
#define IMP_YAML_MAX_NODES 200000
struct cJSON *imp_yaml_parse(const char *file, const char *text, size_t len,
                             char *err, size_t errlen);

#endif
