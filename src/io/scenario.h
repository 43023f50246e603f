/*
 * scenario.h - a scenario file (SPEC section 2) loaded.
 *
 * The loader (scenario.c, its sections in scenario_*.c) is the only place
 * that knows JSON: it validates every key strictly and turns the file into
 * the plain structs of config.h, every default applied, so the core never
 * has to guess, and keeps beside them what only the edges read: the
 * scenario's name, its expect block, the per-record tables switch and the
 * effective JSON.
 */
#ifndef ESMSIM_SCENARIO_H
#define ESMSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "footprint.h"

/* One line of the `expect` block: min <= metric <= max (equal: exact). */
struct scn_expect {
    char *metric;           /* one of summary_names() */
    double min, max;
};

struct scenario {
    char *path;             /* file it came from */
    char *name;
    char *description;
    struct cfg_sim cfg;     /* what the simulation is made of (config.h) */
    bool per_record_tables; /* log.per_record: messages, records, deliveries */
    struct scn_expect *expect;
    size_t n_expect;
    char *json;             /* the effective scenario (overrides applied), compact */
    char **sets;            /* the overrides as given, and the path each wrote ("$.a.b"), */
    char **set_paths;       /* n_sets of each: for scn_override_of */
    size_t n_sets;
};

/*
 * Load and validate path, applying each "path=value" override in order.
 * Returns a scenario the caller frees with scn_free(), or NULL with a message
 * in err naming the file, the JSON path and what was expected.
 */
struct scenario *scn_load(const char *path, const char *const *overrides,
                          size_t n_overrides, char *err, size_t errlen);

/* Same from a JSON text (tests); name is used in messages as the file. */
struct scenario *scn_parse(const char *name, const char *text,
                           const char *const *overrides, size_t n_overrides,
                           char *err, size_t errlen);

/* Same from a file's bytes text[0..len), text[len] being '\0': a NUL byte
 * inside is invalid JSON, as scn_load says of a file (the fuzz target of
 * tests/fuzz loads its inputs with this). */
struct scenario *scn_parse_bytes(const char *name, const char *text, size_t len,
                                 const char *const *overrides, size_t n_overrides,
                                 char *err, size_t errlen);

void scn_free(struct scenario *s);

/*
 * The override that last wrote path ("$.function.handler.cwd") or a parent
 * of it, escaped as the loader's messages show it, into buf; NULL when the
 * file wrote it.  For a check made after loading (a handler's program is
 * looked for when the run starts) to name it as the loader would.
 */
const char *scn_override_of(const struct scenario *s, const char *path, char *buf, size_t len);

struct cJSON;

/* An instant as epoch us, as the loader reads model.start_time: an ISO-8601
 * string with a zone ("2026-01-01T00:10:00Z", "...00.525+00:00": what the
 * AWS CLI v2 prints) or a number of epoch seconds, in SCN_TIME_RANGE; false
 * when v is not one. */
#define SCN_TIME_LAST "9999-12-31T23:59:59.999999Z"
#define SCN_TIME_RANGE "from 1970-01-01T00:00:00Z to " SCN_TIME_LAST
bool scn_time_value(const struct cJSON *v, int64_t *epoch_us);

/*
 * For other readers of input files (esmsim import, compare): the text of path
 * as the loader reads a scenario (a regular file or a pipe of at most 64 MiB,
 * UTF-8 with a byte order mark dropped, NUL terminated, its length in *len),
 * malloc'd, or NULL with "PATH: cannot read: ..." in err.
 */
char *scn_read_text(const char *path, size_t *len, char *err, size_t errlen);
/*
 * The first of n keys that repeats an earlier one (its index), or n when
 * none does; n also when out of memory (*nomem).  Sorted, so many keys are
 * cheap.
 */
size_t scn_first_repeat(const char *const *keys, size_t n, bool *nomem);

/* A key that obj (a cJSON object) holds twice, which cJSON would keep and
 * never read: the first repeat, or NULL (*nomem when it could not tell). */
const char *scn_key_twice(const struct cJSON *obj, bool *nomem);

/*
 * The JSON text of file (len bytes, as scn_read_text gives it), parsed as the
 * loader parses a scenario, for the other JSON inputs (import's, compare's):
 * a NUL byte, a \u0000 escape in a key or string (cJSON would cut it there),
 * bytes that are not UTF-8 and a number beyond a double (1e309, which cJSON
 * takes for infinity) are refused, with the file and the place
 * ("FILE: invalid JSON at line 3, column 14 (near ...)", "FILE: $.a.b:
 * expected text without U+0000 ...").  NULL with err set.
 */
struct cJSON *scn_json_parse(const char *file, const char *text, size_t len, char *err, size_t errlen);
/* scn_json_parse's check of a tree read otherwise (a YAML input): 0, or -1
 * with "FILE: $.a.b: expected ..." in err. */
int scn_json_check(const char *file, const struct cJSON *root, char *err, size_t errlen);

/*
 * Parse a duration: a number of seconds (text "1.5") or a number with a unit
 * ms, s, m, h, d ("250ms", "90s", "15m", "2h", "1d").  Returns 0 and the
 * value in us, or -1 when text is not a duration.
 */
int scn_parse_duration(const char *text, int64_t *out_us);

/* The memory s's run may need: footprint.h's estimate for its config and
 * its effective JSON. */
void scn_footprint(const struct scenario *s, enum fpt_case c, struct fpt_estimate *out);

#endif
