/*
 * scenario_int.h - the inside of the scenario loader (scenario.h), shared by
 * its files alone: the reading state (struct ctx: the file, the JSON path,
 * the error buffer), the rules of a string, and what each file lends the
 * others.  Nothing outside src/io/scenario*.c includes it.
 *
 *   scenario.c           the whole file, overrides (--set), the entry points
 *   scenario_mapping.c   the event source mapping and the schedule (R16)
 *   scenario_producer.c  producers, keys, writes, rates and explicit records
 *   scenario_function.c  the function, its failure rules and handler
 *   scenario_stream.c    the stream (Kinesis or DynamoDB) and its reshards
 *   scenario_dist.c      distributions
 *   scenario_json.c      paths, messages, key sets and the typed getters
 *
 * Each file uses only the ones below it.  Its functions take the ctx first
 * and return 0, or -1 with the message in c->err (scni_fail).
 */
#ifndef ESMSIM_SCENARIO_INT_H
#define ESMSIM_SCENARIO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "scenario.h"

#define US_PER_MS 1000LL
#define US_PER_S 1000000LL
#define US_PER_H (3600 * US_PER_S)
/* Longest duration accepted, ~274 years: far below INT64_MAX, so the core
 * may add a few durations together without overflow. */
#define MAX_DURATION_US (100000LL * 24 * US_PER_H)
/* The last instant accepted, as epoch us: SCN_TIME_LAST, the last that
 * ISO-8601's four-digit year writes (wall times are printed so). */
#define MAX_EPOCH_US (253402300800LL * US_PER_S - 1)
/* The largest integer a JSON number may give: cJSON keeps a double, and
 * above 2^53 - 1 one double stands for several integers (9007199254740993
 * reads as 9007199254740992), so a larger number could not be told apart
 * from a rounded one. */
#define MAX_EXACT_INT 9007199254740991.0
#define MAX_KEY_CHARS 256        /* Kinesis partition key: 1 to 256 characters */

#define REQ true    /* the key must be present */
#define OPT false   /* absent means the default */

/*
 * cJSON ends a string at a \u0000 escape, so "k\u0000a" and "k\u0000b" would
 * both read as "k".  Before parsing, each such escape is rewritten in place
 * to the bytes C0 80 "0000": the same length (positions in JSON errors
 * hold), C0 80 being the overlong form of U+0000 that valid UTF-8 never
 * holds, so the check of every string (check_utf8) finds it, and scni_escape()
 * shows it as it was written.  The "0000" after it tells a mark from C0 80
 * written in the file, which is only a byte sequence that is not UTF-8.
 */
#define NUL_MARK "\xC0\x80"
#define IS_NUL_MARK(s) (strncmp((s), NUL_MARK "0000", 6) == 0)

/* Where we are: the file, the JSON path being read, the error buffer. */
struct ctx {
    const char *file;           /* name used in messages */
    char *err;
    size_t errlen;
    char path[512];             /* "$.producers[0].keys" */
    size_t plen;
    const char *setting;        /* the override being applied, if any */
    const char *const *overrides;
    char **set_paths;           /* normalised path of each override, to name it in errors */
    size_t n_set;
    /* unsimulated features seen while parsing, refused by reject_unsimulated():
     * the path of the first one met ("" for none), the mapping's or a schedule entry's */
    char filters[512], s3_destination[512];
    bool inlined;               /* a rate file was read into the tree: print it again */
};

/* What a string may hold: its length (in characters when utf8) and its
 * characters.  Every string is valid UTF-8 without U+0000 (check_utf8);
 * unless data, it is also printable (see unprintable()). */
struct text_rule {
    size_t min, max;
    bool utf8;          /* count characters, not bytes */
    bool data;          /* a payload: any character, control characters too */
    const char *chars;  /* allowed characters (after prefix), or NULL for any */
    const char *what;
    const char *prefix; /* required start, or NULL */
};

/* Rules more than one file uses (each file keeps its own beside its keys). */
#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
static const struct text_rule ANY_TEXT = { .max = SIZE_MAX, .what = "a string" };
static const struct text_rule NONEMPTY = { .min = 1, .max = SIZE_MAX, .what = "a non-empty string" };
static const struct text_rule DATA = { .max = SIZE_MAX, .data = true, .what = "a string" };
static const struct text_rule PARTITION_KEY = {
    .min = 1, .max = MAX_KEY_CHARS, .utf8 = true,
    .what = "a partition key (a string of 1 to 256 characters)" };
static const struct text_rule DIGITS = {
    .min = 1, .max = 39, .chars = "0123456789", .what = "a string of decimal digits" };

/* An element of a list (scni_get_list): parse v into elem (NULL when the list
 * keeps none); arg is the caller's. */
typedef int (*elem_fn)(struct ctx *c, const cJSON *v, void *elem, void *arg);

enum qty { QTY_US, QTY_BYTES };   /* what a distribution draws */

/* ---- scenario_json.c: paths, messages, key sets, typed getters, files */

size_t scni_utf8_next(const unsigned char *s, size_t len, uint32_t *cp);
char *scni_escape(char *dst, size_t cap, const char *src, size_t len, bool quotes);

/* The index of the last of the n overrides whose normalised path (set_paths)
 * is path or a parent of it, or -1. */
long scni_override_at(char *const *set_paths, size_t n, const char *path);
size_t scni_path_key(struct ctx *c, const char *key);
size_t scni_path_index(struct ctx *c, size_t i);
void scni_path_pop(struct ctx *c, size_t mark);
int scni_fail(struct ctx *c, const char *key, const char *fmt, ...);
int scni_nomem(struct ctx *c);
const char *scni_describe(const cJSON *v, char buf[80]);
int scni_expected(struct ctx *c, const char *key, const char *what, const cJSON *got);
const char *scni_fmt_us(int64_t us, char buf[32]);
char *scni_fmt_dup(const char *fmt, ...);
bool scni_in_list(const char *const *list, const char *name);
int scni_check_unique(struct ctx *c, const cJSON *obj);
int scni_check_keys(struct ctx *c, const cJSON *obj, const char *const *allowed,
                    const char *const *ignored);
const cJSON *scni_item(const cJSON *obj, const char *key);
int scni_lookup(struct ctx *c, const cJSON *obj, const char *key, bool req,
                const char *what, const cJSON **v);
int scni_get_int_or(struct ctx *c, const cJSON *obj, const char *key, bool req, int64_t special,
                    int64_t lo, int64_t hi, int64_t def, int64_t *out);
int scni_get_int(struct ctx *c, const cJSON *obj, const char *key, bool req,
                 int64_t lo, int64_t hi, int64_t def, int64_t *out);
int scni_get_number(struct ctx *c, const cJSON *obj, const char *key, bool req,
                    double lo, bool lo_open, double hi, double def, double *out);
int scni_get_bool(struct ctx *c, const cJSON *obj, const char *key, bool def, bool *out);
int scni_get_enum(struct ctx *c, const cJSON *obj, const char *key, bool req,
                  const char *const *names, int def, int *out);
size_t scni_text_length(const char *s, bool utf8);
bool scni_text_ok(const char *s, const struct text_rule *r);
int scni_check_printable(struct ctx *c, const char *key, const cJSON *v);
int scni_get_string(struct ctx *c, const cJSON *obj, const char *key, bool req,
                    const struct text_rule *rule, const char *def, char **out);
bool scni_to_us(double seconds, int64_t *us);
bool scni_read_decimal(const char **p, uint64_t max, uint64_t *whole, double *frac);
int scni_parse_duration(const char *text, int64_t *out_us);
int scni_get_duration(struct ctx *c, const cJSON *obj, const char *key, bool req,
                      int64_t lo_us, int64_t hi_us, int64_t def, int64_t *out);
bool scni_parse_iso8601(const char *s, int64_t *epoch_us);
bool scni_to_epoch_us(const cJSON *v, int64_t *epoch_us);
int scni_get_time(struct ctx *c, const cJSON *obj, const char *key, bool req,
                  const char *def, int64_t *epoch_us);
int scni_get_object(struct ctx *c, const cJSON *obj, const char *key, bool req, const cJSON **out);
int scni_get_array(struct ctx *c, const cJSON *obj, const char *key, bool req, const cJSON **out);
int scni_enter(struct ctx *c, const cJSON *obj, const char *key, bool req,
               const char *const *allowed, const cJSON **out, size_t *mark);
int scni_get_list(struct ctx *c, const cJSON *obj, const char *key, size_t size,
                  void *arr, size_t *n, elem_fn fn, void *arg);
int scni_elem_object(struct ctx *c, const cJSON *v, const char *const *allowed);
int scni_get_arn(struct ctx *c, const cJSON *obj, const char *key, bool req,
                 const char *const *services, const char *what, char **out);
int scni_get_size(struct ctx *c, const cJSON *obj, const char *key, uint64_t *out);
char *scni_read_text_file(const char *path, const char *what, size_t *len, char *err, size_t errlen);

/* ---- scenario_dist.c: distributions */

int scni_get_dist(struct ctx *c, const cJSON *obj, const char *key, bool req, enum qty q,
                  double def, struct dist *d);
void scni_free_dist(struct dist *d);

/* ---- scenario_stream.c: the stream */

int scni_parse_on_demand(struct ctx *c, const cJSON *o, struct cfg_on_demand *od);
bool scni_is_dynamodb(const struct cfg_sim *cfg);
int scni_stream_type_only(struct ctx *c, const cJSON *obj, const char *key, const struct cfg_sim *cfg,
                          enum cfg_stream_type type, const char *why);
int scni_parse_stream(struct ctx *c, const cJSON *root, struct cfg_sim *cfg);
char *scni_stream_arn(const struct cfg_sim *cfg);

/* ---- scenario_function.c: the function */

int scni_parse_function_fields(struct ctx *c, const cJSON *o, struct cfg_function *f);
int scni_parse_function(struct ctx *c, const cJSON *root, struct cfg_function *f);
void scni_free_function(struct cfg_function *f);

/* ---- scenario_mapping.c: the event source mapping and the schedule */

int scni_parse_mapping(struct ctx *c, const cJSON *o, const struct cfg_sim *cfg,
                       struct cfg_mapping *m, bool update);
int scni_parse_schedule_list(struct ctx *c, const cJSON *root, struct cfg_sim *cfg);
void scni_free_mapping(struct cfg_mapping *m);

/* ---- scenario_producer.c: producers and explicit records */

int scni_parse_producer(struct ctx *c, const cJSON *v, void *elem, void *arg);
/* Every producer's name is its own (after the list is read). */
int scni_check_producer_names(struct ctx *c, const struct cfg_sim *cfg);
int scni_parse_record(struct ctx *c, const cJSON *v, void *elem, void *arg);

#endif
