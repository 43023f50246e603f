/*
 * import.h - `esmsim import FILE... -o SCENARIO.json` (SPEC section 5,
 * issue 14): a scenario from what users already have, each file in its
 * tool's own output format, recognised from its content:
 *
 *   import_aws.c      AWS CLI JSON (lambda get-event-source-mapping,
 *                     get-function-configuration, get-function-concurrency,
 *                     kinesis describe-stream-summary, dynamodbstreams
 *                     describe-stream) and `terraform show -json`
 *   import_cfn.c      CloudFormation and SAM templates, JSON or YAML
 *                     (import_yaml.c: YAML as the JSON it stands for)
 *   import_metrics.c  CloudWatch get-metric-data: traffic, durations,
 *                     failures, throttles
 *
 * import.c is the command: it reads the files and hands each to its
 * reader (each reader's face is its own header).  import_set.c (import_set.h)
 * is what the readers share: the scenario being made
 * (a JSON tree), where each of its values came from (written into the
 * scenario's description, and used to name the input file and path when the
 * loader refuses a value), and what could not be mapped (listed on stderr).
 *
 * When two files give one value, the one nearer to what runs in AWS wins
 * (enum imp_rank, import_set.h); two files of the same kind that disagree are bad input.
 */
#ifndef ESMSIM_IMPORT_H
#define ESMSIM_IMPORT_H

#include <stddef.h>

/*
 * The command: the scenario made of the files paths[0..n_files) written to
 * output ("-": standard output), whole or not at all, with notes and what
 * could not be mapped on stderr.  mapping: --mapping NAME, or NULL;
 * params[0..n_params): --parameter NAME=VALUE.  Returns 0, ERRMSG_FAILED
 * when the scenario could not be written, or ERRMSG_BAD_INPUT (errmsg.h;
 * nothing written); the message on stderr.
 */
int import_scenario(const char *const *paths, size_t n_files, const char *output,
                    const char *mapping, const char *const *params, size_t n_params);

#endif
