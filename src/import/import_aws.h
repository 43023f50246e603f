/*
 * import_aws.h - the AWS CLI's JSON outputs and `terraform show -json` as
 * parts of a scenario (import_aws.c).  Each reader returns 0, or -1 with
 * imp_fail (import_set.h).
 */
#ifndef ESMSIM_IMPORT_AWS_H
#define ESMSIM_IMPORT_AWS_H

#include <stdbool.h>

#include "import_set.h"

/* The AWS CLI outputs: the command whose output root is, or NULL. */
const char *imp_aws_detect(const struct cJSON *root);
int imp_aws_read(struct imp *im, const struct imp_file *f);

/* terraform show -json, of a plan or of the state. */
bool imp_tf_detect(const struct cJSON *root);
int imp_tf_read(struct imp *im, const struct imp_file *f);

#endif
