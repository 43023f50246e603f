/*
 * import_yaml.h - YAML as JSON, for the templates `esmsim import` reads
 * (import_yaml.c): a CloudFormation or SAM template written in YAML becomes
 * the JSON template it stands for.
 */
#ifndef ESMSIM_IMPORT_YAML_H
#define ESMSIM_IMPORT_YAML_H

#include <stddef.h>

struct cJSON;

/*
 * YAML text (len bytes) as JSON: mappings as objects, sequences as arrays,
 * plain scalars typed (null, booleans, integers, floats; YAML 1.2's core
 * schema), aliases expanded (at most IMP_YAML_MAX_NODES nodes in all, so an
 * alias bomb is refused), merge keys (<<) applied, and CloudFormation's
 * short-form tags as their long forms: !Ref X as {"Ref": X}, !GetAtt A.B as
 * {"Fn::GetAtt": ["A", "B"]}, !Condition X as {"Condition": X}, any other
 * !Name V as {"Fn::Name": V}.  Nested at most IMP_YAML_MAX_DEPTH deep, and
 * one document only.  NULL with "FILE: invalid YAML at line L, column C: ..."
 * in err.
 */
#define IMP_YAML_MAX_NODES 200000
#define IMP_YAML_MAX_DEPTH 200
struct cJSON *imp_yaml_parse(const char *file, const char *text, size_t len,
                             char *err, size_t errlen);

#endif
