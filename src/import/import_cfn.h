/*
 * import_cfn.h - CloudFormation and SAM templates, JSON or YAML (a YAML
 * one read by import_yaml.h first), as parts of a scenario (import_cfn.c).
 * The reader returns 0, or -1 with imp_fail (import_set.h).
 */
#ifndef ESMSIM_IMPORT_CFN_H
#define ESMSIM_IMPORT_CFN_H

#include <stdbool.h>

#include "import_set.h"

/* CloudFormation / SAM, JSON or YAML. */
bool imp_cfn_detect(const struct cJSON *root);
int imp_cfn_read(struct imp *im, const struct imp_file *f);

#endif
