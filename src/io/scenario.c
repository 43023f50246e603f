/*
 * scenario.c - the scenario loader: a JSON file (SPEC section 2) into the
 * plain structs of scenario.h.
 *
 * The only file that knows JSON.  It reads the file, applies the --set
 * overrides to the JSON tree, then walks the tree with a few typed getters
 * (get_int, get_number, get_bool, get_enum, get_string, get_duration,
 * get_dist) and one key-set check (check_keys) per object.  Every value is
 * checked against its range and every default is filled in, so the core
 * never sees a value it has to doubt.  Every error is one line naming the
 * file, the JSON path and what was expected; an error at a path written by
 * a --set also names that override.
 *
 * Features the core does not simulate yet are parsed and validated like the
 * rest (so a typo is still reported as a typo), then refused in one place,
 * reject_unsimulated(), which later issues shrink line by line.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "awsjson.h"
#include "summary.h"
#include "fmt.h"
#include "footprint.h"
#include "scenario.h"
#include "stream.h"

#define US_PER_MS 1000LL
#define US_PER_S 1000000LL
#define US_PER_H (3600 * US_PER_S)
/* Longest duration accepted, ~274 years: far below INT64_MAX, so the core
 * may add a few durations together without overflow. */
#define MAX_DURATION_US (100000LL * 24 * US_PER_H)
/* The largest integer a JSON number may give: cJSON keeps a double, and
 * above 2^53 - 1 one double stands for several integers (9007199254740993
 * reads as 9007199254740992), so a larger number could not be told apart
 * from a rounded one. */
#define MAX_EXACT_INT 9007199254740991.0
#define MAX_KEY_CHARS 256        /* Kinesis partition key: 1 to 256 characters */
#define MAX_KEYS 4294967294.0    /* distinct keys in a run: the key table's ids are 32-bit */
#define MAX_SCENARIO_BYTES (64 << 20)   /* a file past this is refused unread (/dev/zero) */
#define EXPLICIT_PRODUCER "records"  /* the producer name of the explicit records */

#define REQ true    /* the key must be present */
#define OPT false   /* absent means the default */

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
    /* unsimulated features seen while parsing, refused by reject_unsimulated() */
    bool filters, s3_destination;
    bool inlined;               /* a rate file was read into the tree: print it again */
};

/* ---- paths and messages ----------------------------------------------- */

static bool is_ident(const char *k)
{
    if (!*k || !(isalpha((unsigned char)*k) || *k == '_'))
        return false;
    for (; *k; k++)
        if (!(isalnum((unsigned char)*k) || *k == '_'))
            return false;
    return true;
}

/*
 * cJSON ends a string at a \u0000 escape, so "k\u0000a" and "k\u0000b" would
 * both read as "k".  Before parsing, each such escape is rewritten in place
 * to the bytes C0 80 "0000": the same length (positions in JSON errors
 * hold), C0 80 being the overlong form of U+0000 that valid UTF-8 never
 * holds, so the check of every string (check_utf8) finds it, and escape()
 * shows it as it was written.
 */
#define NUL_MARK "\xC0\x80"

/*
 * The length of the UTF-8 sequence at s (at most len bytes) and its code
 * point; 0 when it is not valid UTF-8 (a stray or missing continuation byte,
 * an overlong form, a surrogate, past U+10FFFF).
 */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
             : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || n > len)
        return 0;
    uint32_t v = n == 1 ? s[0] : s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min_cp[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/*
 * A character that names, keys, ARNs and descriptions may not hold: C0 and
 * C1 control characters and DEL (terminal escapes, line breaks), the line
 * and paragraph separators, and the bidirectional controls that reorder
 * what a terminal or a chart shows.
 */
static bool unprintable(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
           cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Copy at most len bytes of src into dst (of size cap) the way JSON writes a
 * string body: control characters (and the other unprintable ones) escaped,
 * so that a message stays on one line and shows what the file holds, and
 * quotes and backslashes too when quotes; a byte that is not UTF-8 is
 * shown as \xNN.  Ends with "..." when src did not fit.
 */
static char *escape(char *dst, size_t cap, const char *src, size_t len, bool quotes)
{
    size_t o = 0, i = 0;
    const unsigned char *u = (const unsigned char *)src;
    while (i < len && src[i]) {
        unsigned char ch = u[i];
        char tmp[12];
        uint32_t cp = 0;
        size_t n = utf8_next(u + i, strnlen(src + i, len - i), &cp);
        if (quotes && (ch == '"' || ch == '\\'))
            snprintf(tmp, sizeof tmp, "\\%c", ch);
        else if (ch == '\n' || ch == '\t' || ch == '\r')
            snprintf(tmp, sizeof tmp, "\\%c", ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r');
        else if (n == 0 && len - i >= 2 && memcmp(src + i, NUL_MARK, 2) == 0)
            snprintf(tmp, sizeof tmp, "\\u"), n = 2;   /* the "0000" after it follows */
        else if (n == 0)
            snprintf(tmp, sizeof tmp, "\\x%02x", ch), n = 1;
        else if (unprintable(cp))
            snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)cp);
        else
            snprintf(tmp, sizeof tmp, "%.*s", (int)n, src + i);
        size_t tl = strlen(tmp);
        if (o + tl + 4 > cap)   /* room for "..." and the NUL */
            break;
        memcpy(dst + o, tmp, tl);
        o += tl;
        i += n ? n : 1;
    }
    if (i < len && src[i] && cap >= 4)
        memcpy(dst + o, "...", 3), o += 3;
    dst[cap ? o : 0] = '\0';
    return dst;
}

/* Append ".key" (or ["key"] when key is not a plain name); returns the mark to pop to. */
static size_t path_key(struct ctx *c, const char *key)
{
    size_t mark = c->plen, room = sizeof c->path - c->plen;
    char esc[128];
    int n = is_ident(key) ? snprintf(c->path + c->plen, room, ".%s", key)
                          : snprintf(c->path + c->plen, room, "[\"%s\"]",
                                     escape(esc, sizeof esc, key, SIZE_MAX, true));
    c->plen = n < 0 ? c->plen : (size_t)n >= room ? sizeof c->path - 1 : c->plen + (size_t)n;
    return mark;
}

static size_t path_index(struct ctx *c, size_t i)
{
    size_t mark = c->plen, room = sizeof c->path - c->plen;
    int n = snprintf(c->path + c->plen, room, "[%zu]", i);
    c->plen = n < 0 ? c->plen : (size_t)n >= room ? sizeof c->path - 1 : c->plen + (size_t)n;
    return mark;
}

static void path_pop(struct ctx *c, size_t mark)
{
    c->plen = mark;
    c->path[mark] = '\0';
}

/* The override that wrote the current path (or one of its parents), if any:
 * the last one wins, as it does when they are applied. */
static const char *blame(const struct ctx *c)
{
    if (c->setting)
        return c->setting;
    for (size_t i = c->n_set; i-- > 0;) {
        size_t n = strlen(c->set_paths[i]);
        const char *p = c->path;
        if (strncmp(p, c->set_paths[i], n) == 0 && (p[n] == '\0' || p[n] == '.' || p[n] == '['))
            return c->overrides[i];
    }
    return NULL;
}

static void err_append(struct ctx *c, size_t *used, const char *fmt, ...)
{
    if (*used >= c->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->err + *used, c->errlen - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used += (size_t)n;
}

/* "FILE: [--set X: ]$.path[.key]: message"; returns -1 for `return fail(...)`. */
static int fail(struct ctx *c, const char *key, const char *fmt, ...)
{
    if (!c->errlen)
        return -1;
    size_t mark = key ? path_key(c, key) : c->plen, used = 0;
    const char *set = blame(c);
    c->err[0] = '\0';
    char esc[200];
    err_append(c, &used, "%s: ", c->file);
    if (set)   /* as the command line gave it, escaped like any text of the message */
        err_append(c, &used, "--set %s: ", escape(esc, sizeof esc, set, SIZE_MAX, false));
    if (c->plen)   /* an override's syntax error has no path */
        err_append(c, &used, "%s: ", c->path);
    if (used < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + used, c->errlen - used, fmt, ap);
        va_end(ap);
    }
    path_pop(c, mark);
    return -1;
}

static int nomem(struct ctx *c)
{
    return fail(c, NULL, "out of memory");
}

/* A JSON value for "got ...": 0, 1.5, "abc", true, null, an object. */
static const char *describe(const cJSON *v, char buf[80])
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        snprintf(buf, 80, d == floor(d) && fabs(d) < 1e15 ? "%.0f" : "%g", d);
    } else if (cJSON_IsString(v)) {
        char esc[76];
        snprintf(buf, 80, "\"%s\"", escape(esc, sizeof esc, v->valuestring, SIZE_MAX, true));
    } else {
        snprintf(buf, 80, "%s", cJSON_IsTrue(v) ? "true" : cJSON_IsFalse(v) ? "false"
                                : cJSON_IsNull(v) ? "null" : cJSON_IsArray(v) ? "an array"
                                : "an object");
    }
    return buf;
}

static int expected(struct ctx *c, const char *key, const char *what, const cJSON *got)
{
    char buf[80];
    return fail(c, key, "expected %s, got %s", what, describe(got, buf));
}

/* A duration for people: the largest of h, m, s, ms, us that divides it. */
static const char *fmt_us(int64_t us, char buf[32])
{
    static const struct { const char *unit; int64_t us; } units[] = {
        { "h", US_PER_H }, { "m", 60 * US_PER_S }, { "s", US_PER_S }, { "ms", US_PER_MS },
    };
    if (us == 0) {
        snprintf(buf, 32, "0s");
        return buf;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (us % units[i].us == 0) {
            snprintf(buf, 32, "%lld%s", (long long)(us / units[i].us), units[i].unit);
            return buf;
        }
    }
    snprintf(buf, 32, "%lldus", (long long)us);
    return buf;
}

static char *fmt_dup(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* ---- key sets ---------------------------------------------------------- */

static bool in_list(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

/* Edit distance (case-insensitive), for "did you mean"; small strings only. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/*
 * Every key of obj must be in allowed (listed in the message) or in ignored
 * (accepted silently: the read-only fields of AWS output); no key twice,
 * since cJSON would quietly use the first.
 */
static int check_keys(struct ctx *c, const cJSON *obj, const char *const *allowed,
                      const char *const *ignored)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, obj) {
        for (const cJSON *prev = obj->child; prev != k; prev = prev->next)
            if (strcmp(prev->string, k->string) == 0)
                return fail(c, k->string, "duplicate key");
        if (in_list(allowed, k->string) || in_list(ignored, k->string))
            continue;
        char list[600] = "", hint[96] = "";
        size_t used = 0, best = 99;
        for (const char *const *a = allowed; *a; a++) {
            int n = snprintf(list + used, sizeof list - used, "%s%s", a == allowed ? "" : ", ", *a);
            used = n < 0 || (size_t)n >= sizeof list - used ? sizeof list - 1 : used + (size_t)n;
            size_t d = distance(k->string, *a);
            if (d < best && d < strlen(*a) && d <= (strlen(*a) > 4 ? 2u : 1u)) {
                best = d;
                snprintf(hint, sizeof hint, "; did you mean %s?", *a);
            }
        }
        return fail(c, k->string, "unknown key (expected one of: %s)%s", list, hint);
    }
    return 0;
}

/* ---- typed getters ------------------------------------------------------
 * Each reads obj[key] (obj may be NULL: an absent section), stores the
 * default when the key is absent and not required, and reports a wrong type
 * or range with the path and what was expected. */

static const cJSON *item(const cJSON *obj, const char *key)
{
    return obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static int lookup(struct ctx *c, const cJSON *obj, const char *key, bool req,
                  const char *what, const cJSON **v)
{
    *v = item(obj, key);
    if (!*v && req)
        return fail(c, key, "missing required key (expected %s)", what);
    return 0;
}

/* An integer in [lo, hi], or the one value `special` outside it (-1 = infinite). */
static int get_int_or(struct ctx *c, const cJSON *obj, const char *key, bool req, int64_t special,
                      int64_t lo, int64_t hi, int64_t def, int64_t *out)
{
    char what[96];
    int n = special < lo || special > hi
                ? snprintf(what, sizeof what, "%lld or ", (long long)special) : 0;
    if (hi >= (int64_t)MAX_EXACT_INT)
        snprintf(what + n, sizeof what - (size_t)n, "an integer from %lld to 9007199254740991 "
                 "(2^53 - 1)", (long long)lo);
    else
        snprintf(what + n, sizeof what - (size_t)n, "an integer from %lld to %lld",
                 (long long)lo, (long long)hi);
    const cJSON *v;
    if (lookup(c, obj, key, req, what, &v))
        return -1;
    if (!v) {
        *out = def;
        return 0;
    }
    double d = v->valuedouble;
    bool in_range = (d >= (double)lo && d <= (double)hi) || d == (double)special;
    if (!cJSON_IsNumber(v) || d != floor(d) || !in_range)
        return expected(c, key, what, v);
    *out = (int64_t)d;
    return 0;
}

static int get_int(struct ctx *c, const cJSON *obj, const char *key, bool req,
                   int64_t lo, int64_t hi, int64_t def, int64_t *out)
{
    return get_int_or(c, obj, key, req, lo, lo, hi, def, out);
}

/* A number in [lo, hi], or in (lo, hi] when lo_open. */
static int get_number(struct ctx *c, const cJSON *obj, const char *key, bool req,
                      double lo, bool lo_open, double hi, double def, double *out)
{
    char what[96];
    if (hi == HUGE_VAL)
        snprintf(what, sizeof what, "a number %s %g", lo_open ? ">" : ">=", lo);
    else
        snprintf(what, sizeof what, "a number from %g to %g", lo, hi);
    const cJSON *v;
    if (lookup(c, obj, key, req, what, &v))
        return -1;
    if (!v) {
        *out = def;
        return 0;
    }
    double d = v->valuedouble;
    if (cJSON_IsNumber(v) && !isfinite(d))   /* 1e309: cJSON reads it as infinity */
        return fail(c, key, "expected %s, got a number too large for a double (infinite)", what);
    if (!cJSON_IsNumber(v) || d < lo || (lo_open && d == lo) || d > hi)
        return expected(c, key, what, v);
    *out = d;
    return 0;
}

static int get_bool(struct ctx *c, const cJSON *obj, const char *key, bool def, bool *out)
{
    const cJSON *v = item(obj, key);
    if (v && !cJSON_IsBool(v))
        return expected(c, key, "true or false", v);
    *out = v ? cJSON_IsTrue(v) : def;
    return 0;
}

/* One of names (NULL-terminated); *out is its index. */
static int get_enum(struct ctx *c, const cJSON *obj, const char *key, bool req,
                    const char *const *names, int def, int *out)
{
    char what[256];
    size_t used = 0, count = 0;
    while (names[count])
        count++;
    int n = snprintf(what, sizeof what, count > 2 ? "one of " : "");
    used = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < count && used < sizeof what; i++) {
        const char *sep = i == 0 ? "" : count == 2 ? " or " : ", ";
        n = snprintf(what + used, sizeof what - used, "%s\"%s\"", sep, names[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    const cJSON *v;
    if (lookup(c, obj, key, req, what, &v))
        return -1;
    if (!v) {
        *out = def;
        return 0;
    }
    for (size_t i = 0; cJSON_IsString(v) && i < count; i++) {
        if (strcmp(v->valuestring, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    return expected(c, key, what, v);
}

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

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
static const struct text_rule ANY_TEXT = { .max = SIZE_MAX, .what = "a string" };
static const struct text_rule NONEMPTY = { .min = 1, .max = SIZE_MAX, .what = "a non-empty string" };
static const struct text_rule DATA = { .max = SIZE_MAX, .data = true, .what = "a string" };
static const struct text_rule NONEMPTY_DATA = {
    .min = 1, .max = SIZE_MAX, .data = true, .what = "a non-empty string" };
static const struct text_rule FUNCTION_NAME = {
    .min = 1, .max = 64, .chars = ALNUM "-_", .what = "a function name (1 to 64 letters, digits, - or _)" };
static const struct text_rule STREAM_NAME = {
    .min = 1, .max = 128, .chars = ALNUM "-_.",
    .what = "a stream name (1 to 128 letters, digits, -, _ or .)" };
static const struct text_rule PRODUCER_NAME = {
    .min = 1, .max = 64, .chars = ALNUM "-_.",
    .what = "a producer name (1 to 64 letters, digits, -, _ or .)" };
static const struct text_rule REGION = {
    .min = 1, .max = 32, .chars = "abcdefghijklmnopqrstuvwxyz0123456789-",
    .what = "a region name such as \"us-east-1\"" };
static const struct text_rule ACCOUNT = {
    .min = 12, .max = 12, .chars = "0123456789", .what = "a string of 12 digits" };
static const struct text_rule PARTITION_KEY = {
    .min = 1, .max = MAX_KEY_CHARS, .utf8 = true,
    .what = "a partition key (a string of 1 to 256 characters)" };
static const struct text_rule SHARD_ID = {
    .min = 20, .max = 20, .prefix = "shardId-", .chars = "0123456789",
    .what = "a shard id such as \"shardId-000000000001\"" };
static const struct text_rule DIGITS = {
    .min = 1, .max = 39, .chars = "0123456789", .what = "a string of decimal digits" };

static size_t text_length(const char *s, bool utf8)
{
    size_t n = 0;
    for (; *s; s++)
        n += !utf8 || ((unsigned char)*s & 0xC0) != 0x80;   /* continuation bytes do not count */
    return n;
}

static bool text_ok(const char *s, const struct text_rule *r)
{
    size_t len = text_length(s, r->utf8), pre = r->prefix ? strlen(r->prefix) : 0;
    if (len < r->min || len > r->max || (pre && strncmp(s, r->prefix, pre) != 0))
        return false;
    return !r->chars || strspn(s + pre, r->chars) == strlen(s + pre);
}

/* The first character of s that unprintable() refuses, or 0 (s is valid UTF-8). */
static uint32_t first_unprintable(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0, n; i < len; i += n ? n : 1) {
        uint32_t cp = 0;
        n = utf8_next(u + i, len - i, &cp);
        if (n && unprintable(cp))
            return cp;
    }
    return 0;
}

/* v (obj[key], or the element when key is NULL) when it is a string with
 * an unprintable character: the error, naming the character. */
static int check_printable(struct ctx *c, const char *key, const cJSON *v)
{
    uint32_t cp = cJSON_IsString(v) ? first_unprintable(v->valuestring) : 0;
    if (!cp)
        return 0;
    char buf[80];
    return fail(c, key, "expected printable text, got %s: U+%04X is %s", describe(v, buf),
                (unsigned)cp, cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ? "a control character"
                : "a line separator or a bidirectional control");
}

/* A string following rule; *out is a copy (NULL when absent and def is NULL). */
static int get_string(struct ctx *c, const cJSON *obj, const char *key, bool req,
                      const struct text_rule *rule, const char *def, char **out)
{
    const cJSON *v;
    if (lookup(c, obj, key, req, rule->what, &v))
        return -1;
    if (v && !rule->data && !rule->chars && check_printable(c, key, v))
        return -1;
    if (v && (!cJSON_IsString(v) || !text_ok(v->valuestring, rule)))
        return expected(c, key, rule->what, v);
    const char *s = v ? v->valuestring : def;
    *out = s ? strdup(s) : NULL;
    return s && !*out ? nomem(c) : 0;
}

static bool to_us(double seconds, int64_t *us)
{
    if (!(seconds >= 0) || seconds * US_PER_S > (double)MAX_DURATION_US)
        return false;
    *us = llround(seconds * US_PER_S);
    return true;
}

/*
 * Digits with an optional fraction ("12", "1.5"; not ".5", "1.", "+1", "1e3"):
 * the whole part (false above max) and the fraction; *p moves past them.
 * By hand rather than strtod, which follows the locale's decimal point.
 */
static bool read_decimal(const char **p, uint64_t max, uint64_t *whole, double *frac)
{
    const char *s = *p;
    double scale = 1;
    *whole = 0;
    *frac = 0;
    if (!isdigit((unsigned char)*s))
        return false;
    for (; isdigit((unsigned char)*s); s++) {
        if (*whole > max)
            return false;
        *whole = *whole * 10 + (uint64_t)(*s - '0');
    }
    if (*s == '.') {
        if (!isdigit((unsigned char)*++s))
            return false;
        for (; isdigit((unsigned char)*s); s++) {
            if (scale < 1e15) {   /* further digits are below a double's precision */
                *frac = *frac * 10 + (*s - '0');
                scale *= 10;
            }
        }
        *frac /= scale;
    }
    *p = s;
    return *whole <= max;
}

int scn_parse_duration(const char *text, int64_t *out_us)
{
    static const struct { const char *unit; int64_t us; } units[] = {
        { "us", 1 }, { "ms", US_PER_MS }, { "s", US_PER_S }, { "m", 60 * US_PER_S },
        { "h", US_PER_H }, { "d", 24 * US_PER_H }, { "", US_PER_S },
    };
    const char *p = text;
    uint64_t whole;
    double frac;
    if (!p || !read_decimal(&p, (uint64_t)MAX_DURATION_US, &whole, &frac))
        return -1;      /* no sign, no space, no ".5" */
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(p, units[i].unit) != 0)
            continue;
        int64_t unit = units[i].us;
        if (whole > (uint64_t)(MAX_DURATION_US / unit))
            return -1;
        int64_t us = (int64_t)whole * unit + llround(frac * (double)unit);
        if (us > MAX_DURATION_US)
            return -1;
        *out_us = us;
        return 0;
    }
    return -1;
}

static void duration_what(int64_t lo, int64_t hi, char what[96])
{
    char a[32], b[32];
    if (hi >= MAX_DURATION_US)
        snprintf(what, 96, lo == 0 ? "a duration" : lo == 1 ? "a duration > 0"
                 : "a duration of at least %s", fmt_us(lo, a));
    else
        snprintf(what, 96, "a duration from %s to %s", fmt_us(lo, a), fmt_us(hi, b));
}

/* A duration in [lo_us, hi_us]: a number of seconds, or a string with a unit. */
static int get_duration(struct ctx *c, const cJSON *obj, const char *key, bool req,
                        int64_t lo_us, int64_t hi_us, int64_t def, int64_t *out)
{
    char what[96], buf[80];
    duration_what(lo_us, hi_us, what);
    const cJSON *v;
    if (lookup(c, obj, key, req, what, &v))
        return -1;
    if (!v) {
        *out = def;
        return 0;
    }
    int64_t us = -1;
    bool ok = cJSON_IsNumber(v) ? to_us(v->valuedouble, &us)
              : cJSON_IsString(v) && scn_parse_duration(v->valuestring, &us) == 0;
    if (!ok && (cJSON_IsString(v) || cJSON_IsNumber(v)))
        return fail(c, key, "expected %s (a number of seconds, or a string such as \"250ms\", "
                    "\"90s\", \"15m\", \"2h\", \"1d\"), got %s", what, describe(v, buf));
    if (!ok || us < lo_us || us > hi_us)
        return expected(c, key, what, v);
    *out = us;
    return 0;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static bool digits(const char *p, int n, int64_t *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        *out = *out * 10 + (p[i] - '0');
    }
    return true;
}

/* "2026-01-01T00:10:00Z", "...00.525+00:00" (what the AWS CLI v2 prints): epoch us. */
static bool parse_iso8601(const char *s, int64_t *epoch_us)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int64_t y, mo, d, h, mi, se, frac_us = 0, off = 0;
    if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && is_leap(y)) ||
        h > 23 || mi > 59 || se > 59)
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        int64_t scale = US_PER_S;
        if (!isdigit((unsigned char)*++p))
            return false;
        for (; isdigit((unsigned char)*p); p++)
            if ((scale /= 10) > 0)
                frac_us += (*p - '0') * scale;
    }
    if (*p == '+' || *p == '-') {
        int64_t oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || p[6] ||
            oh > 23 || om > 59)
            return false;
        off = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else if (strcmp(p, "Z") != 0) {
        return false;
    }
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    *epoch_us = secs * US_PER_S + frac_us;
    return *epoch_us >= 0;
}

/* An instant as epoch us: a number of epoch seconds or an ISO-8601 string with a zone. */
static int get_time(struct ctx *c, const cJSON *obj, const char *key, bool req,
                    const char *def, int64_t *epoch_us)
{
    static const char what[] = "a time: an ISO-8601 string with a zone such as "
                                "\"2026-01-01T00:00:00Z\", or a number of epoch seconds";
    const cJSON *v;
    if (lookup(c, obj, key, req, what, &v))
        return -1;
    if (!v) {
        parse_iso8601(def, epoch_us);
        return 0;
    }
    if (cJSON_IsNumber(v) ? to_us(v->valuedouble, epoch_us)
                          : cJSON_IsString(v) && parse_iso8601(v->valuestring, epoch_us))
        return 0;
    return expected(c, key, what, v);
}

static int get_object(struct ctx *c, const cJSON *obj, const char *key, bool req, const cJSON **out)
{
    if (lookup(c, obj, key, req, "an object", out))
        return -1;
    return *out && !cJSON_IsObject(*out) ? expected(c, key, "an object", *out) : 0;
}

static int get_array(struct ctx *c, const cJSON *obj, const char *key, bool req, const cJSON **out)
{
    if (lookup(c, obj, key, req, "an array", out))
        return -1;
    return *out && !cJSON_IsArray(*out) ? expected(c, key, "an array", *out) : 0;
}

/* A section: obj[key] as an object whose keys are checked; the path now ends
 * with key (pop with the returned mark).  *out is NULL when absent. */
static int enter(struct ctx *c, const cJSON *obj, const char *key, bool req,
                 const char *const *allowed, const cJSON **out, size_t *mark)
{
    if (get_object(c, obj, key, req, out))
        return -1;
    *mark = path_key(c, key);
    if (*out && check_keys(c, *out, allowed, NULL)) {
        path_pop(c, *mark);
        return -1;
    }
    return 0;
}

/*
 * obj[key] as an array of elements parsed by fn, each with its index on the
 * path.  With size > 0 the elements get a zeroed array of that element size
 * in *arr (stored before parsing, so scn_free releases a half-parsed one).
 */
typedef int (*elem_fn)(struct ctx *c, const cJSON *v, void *elem, void *arg);

static int get_list(struct ctx *c, const cJSON *obj, const char *key, size_t size,
                    void *arr, size_t *n, elem_fn fn, void *arg)
{
    const cJSON *a;
    if (get_array(c, obj, key, OPT, &a))
        return -1;
    size_t count = a ? (size_t)cJSON_GetArraySize(a) : 0;
    char *elems = NULL;
    if (size && count) {
        if (!(elems = calloc(count, size)))
            return nomem(c);
        memcpy(arr, &elems, sizeof elems);   /* arr points to a `T *`: store without type punning */
    }
    if (n)
        *n = count;
    size_t mark = path_key(c, key), i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        size_t m = path_index(c, i);
        if (fn(c, v, elems ? elems + i * size : NULL, arg)) {
            path_pop(c, mark);
            return -1;
        }
        path_pop(c, m);
        i++;
    }
    path_pop(c, mark);
    return 0;
}

/* An element that must be an object with keys from allowed. */
static int elem_object(struct ctx *c, const cJSON *v, const char *const *allowed)
{
    if (!cJSON_IsObject(v))
        return expected(c, NULL, "an object", v);
    return check_keys(c, v, allowed, NULL);
}

/* An ARN of one of services (NULL-terminated; NULL = any service). */
static int get_arn(struct ctx *c, const cJSON *obj, const char *key, bool req,
                   const char *const *services, const char *what, char **out)
{
    const cJSON *v;
    if (lookup(c, obj, key, req, what, &v))
        return -1;
    *out = NULL;
    if (!v)
        return 0;
    const char *s = cJSON_IsString(v) ? v->valuestring : "";
    size_t colons = 0;
    for (const char *p = s; *p; p++)
        colons += *p == ':';
    /* arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE */
    const char *svc = strncmp(s, "arn:", 4) == 0 ? strchr(s + 4, ':') : NULL;
    bool svc_ok = !services;
    for (const char *const *p = services; svc && p && *p; p++) {
        size_t n = strlen(*p);
        svc_ok = svc_ok || (strncmp(svc + 1, *p, n) == 0 && svc[1 + n] == ':');
    }
    if (!svc || colons < 5 || !svc_ok)
        return expected(c, key, what, v);
    if (check_printable(c, key, v))
        return -1;
    return (*out = strdup(s)) ? 0 : nomem(c);
}

/* ---- distributions ----------------------------------------------------- */

enum qty { QTY_US, QTY_BYTES };   /* what a distribution draws */

/* A quantity: a duration (us) or a number of bytes; >= 0, or > 0 when positive. */
static int get_qty(struct ctx *c, const cJSON *obj, const char *key, bool req, enum qty q,
                   bool positive, double def, double *out)
{
    if (q == QTY_BYTES)
        return get_number(c, obj, key, req, 0, positive, HUGE_VAL, def, out);
    int64_t us;
    if (get_duration(c, obj, key, req, positive ? 1 : 0, MAX_DURATION_US, (int64_t)def, &us))
        return -1;
    *out = (double)us;
    return 0;
}

static const char *const DIST_NAMES[] = {
    "constant", "uniform", "normal", "lognormal", "gamma", "exponential", "empirical", NULL };
static const char *const DIST_CONSTANT_KEYS[] = { "distribution", "value", NULL };
static const char *const DIST_UNIFORM_KEYS[] = { "distribution", "min", "max", NULL };
static const char *const DIST_NORMAL_KEYS[] = { "distribution", "mean", "stddev", "min", NULL };
static const char *const DIST_LOGNORMAL_KEYS[] = { "distribution", "median", "sigma", NULL };
static const char *const DIST_GAMMA_KEYS[] = { "distribution", "shape", "scale", NULL };
static const char *const DIST_EXPONENTIAL_KEYS[] = { "distribution", "mean", NULL };
static const char *const DIST_EMPIRICAL_KEYS[] = { "distribution", "percentiles", NULL };
static const char *const DIST_ANY_KEYS[] = {
    "distribution", "value", "min", "max", "mean", "stddev", "median", "sigma", "shape", "scale",
    "percentiles", NULL };
static const char *const *const DIST_KEYS[] = {   /* by enum dist_kind */
    DIST_CONSTANT_KEYS, DIST_UNIFORM_KEYS, DIST_NORMAL_KEYS, DIST_LOGNORMAL_KEYS,
    DIST_GAMMA_KEYS, DIST_EXPONENTIAL_KEYS, DIST_EMPIRICAL_KEYS,
};

/* "p99.9" -> 99.9; false unless "p" then a number from 0 to 100. */
static bool percentile_name(const char *s, double *pct)
{
    const char *p = s + 1;
    uint64_t whole;
    double frac;
    if (s[0] != 'p' || !read_decimal(&p, 100, &whole, &frac) || *p)
        return false;
    *pct = (double)whole + frac;
    return *pct <= 100;
}

/* A point of an empirical distribution as read: at is its place in the file. */
struct pct_point {
    double pct, val;
    size_t at;
    const char *key;
};

static int pct_point_cmp(const void *a, const void *b)
{
    const struct pct_point *x = a, *y = b;
    return x->pct != y->pct ? (x->pct > y->pct) - (x->pct < y->pct)
                            : (x->at > y->at) - (x->at < y->at);
}

/*
 * {"p0": v, "p50": v, ...}: at least 2 points, stored by percentile, values
 * not decreasing.  Read in one pass and sorted once: n log n, since a
 * scenario may give thousands of points (issue 11 item 17: sorting them as
 * they came was quadratic).
 */
static int parse_percentiles(struct ctx *c, const cJSON *pts, enum qty q, struct dist *d)
{
    size_t n = (size_t)cJSON_GetArraySize(pts);
    if (n < 2)
        return fail(c, NULL, "expected at least 2 points such as \"p50\": ..., \"p99\": ...");
    d->pct = malloc(n * sizeof *d->pct);
    d->val = malloc(n * sizeof *d->val);
    struct pct_point *p = malloc(n * sizeof *p);
    if (!d->pct || !d->val || !p) {
        free(p);
        return nomem(c);
    }
    const cJSON *k;
    size_t i = 0;
    int rc = 0;
    cJSON_ArrayForEach(k, pts) {
        double pct, val;
        if (!percentile_name(k->string, &pct)) {
            rc = fail(c, k->string, "unknown key (expected a percentile \"pN\", N from 0 to 100, "
                      "such as \"p50\" or \"p99.9\")");
            break;
        }
        /* The getters look a key up from an object's first item: from k, k is
         * found at once (a walk over the points before it is what made this
         * loop quadratic too), and not an earlier point of the same key. */
        cJSON from = { .type = cJSON_Object, .child = (cJSON *)k };
        if ((rc = get_qty(c, &from, k->string, REQ, q, false, 0, &val)) != 0)
            break;
        p[i] = (struct pct_point){ pct, val, i, k->string };
        i++;
    }
    if (rc == 0) {
        qsort(p, n, sizeof *p, pct_point_cmp);
        /* a percentile given twice: named at its first repeat in the file */
        size_t dup = n;
        for (i = 1; i < n; i++)
            if (p[i].pct == p[i - 1].pct && (dup == n || p[i].at < p[dup].at))
                dup = i;
        if (dup < n)
            rc = fail(c, p[dup].key, "percentile %g given twice", p[dup].pct);
    }
    for (i = 0; rc == 0 && i < n; i++) {
        d->pct[i] = p[i].pct;
        d->val[i] = p[i].val;
    }
    d->n_points = rc == 0 ? n : 0;
    free(p);
    if (rc != 0)
        return rc;
    for (i = 1; i < n; i++)
        if (d->val[i] < d->val[i - 1])
            return fail(c, NULL, "expected values that do not decrease with the percentile "
                        "(p%g is below p%g)", d->pct[i], d->pct[i - 1]);
    return 0;
}

/*
 * A distribution object, or a plain number (a duration string for durations)
 * meaning a constant.  Values are in us (QTY_US) or bytes (QTY_BYTES).
 */
static int get_dist(struct ctx *c, const cJSON *obj, const char *key, bool req, enum qty q,
                    double def, struct dist *d)
{
    const char *what = q == QTY_US ? "a distribution object, or a duration meaning a constant"
                                   : "a distribution object, or a number of bytes meaning a constant";
    const cJSON *v;
    *d = (struct dist){ .kind = DIST_CONSTANT, .value = def };
    if (lookup(c, obj, key, req, what, &v))
        return -1;
    if (!v)
        return 0;
    if (!cJSON_IsObject(v)) {
        if (!cJSON_IsNumber(v) && !(q == QTY_US && cJSON_IsString(v)))
            return expected(c, key, what, v);
        return get_qty(c, obj, key, REQ, q, q == QTY_BYTES, def, &d->value);
    }
    size_t mark = path_key(c, key);
    int kind = 0, rc = -1;
    /* a typo in "distribution" itself is reported as an unknown key, not as a missing one */
    if ((!item(v, "distribution") && check_keys(c, v, DIST_ANY_KEYS, NULL)) ||
        get_enum(c, v, "distribution", REQ, DIST_NAMES, 0, &kind) ||
        check_keys(c, v, DIST_KEYS[kind], NULL))
        goto out;
    d->kind = (enum dist_kind)kind;
    switch (d->kind) {
    case DIST_CONSTANT:
        rc = get_qty(c, v, "value", REQ, q, q == QTY_BYTES, 0, &d->value);
        break;
    case DIST_UNIFORM:
        rc = get_qty(c, v, "min", REQ, q, false, 0, &d->min) ||
             get_qty(c, v, "max", REQ, q, false, 0, &d->max) ||
             (d->max < d->min ? fail(c, "max", "expected a value >= min") : 0);
        break;
    case DIST_NORMAL:
        rc = get_qty(c, v, "mean", REQ, q, false, 0, &d->mean) ||
             get_qty(c, v, "stddev", REQ, q, false, 0, &d->stddev) ||
             get_qty(c, v, "min", OPT, q, false, 0, &d->min);
        break;
    case DIST_LOGNORMAL:
        rc = get_qty(c, v, "median", REQ, q, true, 0, &d->median) ||
             get_number(c, v, "sigma", REQ, 0, false, HUGE_VAL, 0, &d->sigma);
        break;
    case DIST_GAMMA:
        rc = get_number(c, v, "shape", REQ, 0, true, HUGE_VAL, 0, &d->shape) ||
             get_qty(c, v, "scale", REQ, q, true, 0, &d->scale);
        break;
    case DIST_EXPONENTIAL:
        rc = get_qty(c, v, "mean", REQ, q, true, 0, &d->mean);
        break;
    case DIST_EMPIRICAL: {
        const cJSON *pts;
        if (get_object(c, v, "percentiles", REQ, &pts))
            break;
        size_t m2 = path_key(c, "percentiles");
        rc = parse_percentiles(c, pts, q, d);
        path_pop(c, m2);
        break;
    }
    }
out:
    path_pop(c, mark);
    return rc ? -1 : 0;
}

/* ---- sections ---------------------------------------------------------- */

static const char *const TOP_KEYS[] = {
    "name", "description", "seed", "duration", "stream", "producers", "records",
    "event_source_mapping", "function", "model", "log", "schedule", "expect", NULL };

/* seed: an integer, or a string of digits, exact, for one above 2^53 - 1
 * (a larger JSON number may have been rounded: refused, see MAX_EXACT_INT). */
static int get_seed(struct ctx *c, const cJSON *obj, uint64_t *out)
{
    static const char what[] = "an integer from 0 to 18446744073709551615 "
                               "(as a string of digits above 9007199254740991)";
    const cJSON *v = item(obj, "seed");
    *out = 1;
    if (!v)
        return 0;
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= MAX_EXACT_INT &&
        v->valuedouble == floor(v->valuedouble)) {
        *out = (uint64_t)v->valuedouble;
        return 0;
    }
    if (cJSON_IsString(v) && text_ok(v->valuestring, &DIGITS)) {
        errno = 0;
        unsigned long long x = strtoull(v->valuestring, NULL, 10);
        if (errno == 0) {
            *out = x;
            return 0;
        }
    }
    return expected(c, "seed", what, v);
}

static const char *const MODEL_KEYS[] = {
    "poll_interval", "retry_delay", "reinvoke_delay", "throttle_backoff", "throttle_backoff_max",
    "latest_start_delay", "mapping_update_delay", "sample_interval", "start_time", "region",
    "account", "wait_for_parent_shards", "efo_push_latency", "memory_limit",
    "on_demand_peak_window", "on_demand_scale_window", "on_demand_scale_delay",
    "on_demand_split_threshold", "on_demand_max_write_bytes_per_sec",
    "on_demand_max_write_records_per_sec", NULL };

/*
 * A size in bytes: an integer, or a string of a number and a unit, binary
 * (KiB, MiB, GiB, TiB, PiB) or decimal (B, KB, MB, GB, TB, PB): "512MiB",
 * "1.5GiB".  At least 1 MiB, at most 8 PiB (2^53 bytes).
 */
static int get_size(struct ctx *c, const cJSON *obj, const char *key, uint64_t *out)
{
    static const struct { const char *unit; double bytes; } units[] = {
        { "B", 1 }, { "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
        { "TiB", 1099511627776.0 }, { "PiB", 1125899906842624.0 }, { "KB", 1e3 }, { "MB", 1e6 },
        { "GB", 1e9 }, { "TB", 1e12 }, { "PB", 1e15 },
    };
    static const char what[] = "a size from 1MiB to 8PiB: a number of bytes, or a string such "
                               "as \"512MiB\", \"16GiB\" or \"2GB\"";
    const cJSON *v = item(obj, key);
    double bytes = -1;
    if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble)) {
        bytes = v->valuedouble;
    } else if (cJSON_IsString(v)) {
        const char *p = v->valuestring;
        uint64_t whole;
        double frac;
        if (read_decimal(&p, (uint64_t)MAX_EXACT_INT, &whole, &frac))
            for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
                if (strcmp(p, units[i].unit) == 0)
                    bytes = floor(((double)whole + frac) * units[i].bytes);
    }
    if (!(bytes >= 1048576.0 && bytes <= 9007199254740992.0))   /* 8 PiB: 2^53 */
        return expected(c, key, what, v);
    *out = (uint64_t)bytes;
    return 0;
}

/* A duration of whole seconds in [lo_s, hi_s]; *out in seconds. */
static int get_seconds(struct ctx *c, const cJSON *obj, const char *key, int64_t lo_s, int64_t hi_s,
                       int64_t def_s, int64_t *out)
{
    int64_t us;
    if (get_duration(c, obj, key, OPT, lo_s * US_PER_S, hi_s * US_PER_S, def_s * US_PER_S, &us))
        return -1;
    if (us % US_PER_S)
        return expected(c, key, "a whole number of seconds", item(obj, key));
    *out = us / US_PER_S;
    return 0;
}

/*
 * The model.on_demand_* keys: how an on-demand Kinesis stream adds shards
 * (SPEC 1.1 Capacity modes; ondemand.c), AWS's documented values (or the
 * model's stated choices) by default.
 */
static int parse_on_demand(struct ctx *c, const cJSON *o, struct cfg_on_demand *od)
{
    int64_t records = 0;
    int rc = get_seconds(c, o, "on_demand_peak_window", 1, 365 * 86400,
                         CFG_DEFAULT_ON_DEMAND_PEAK_WINDOW_S, &od->peak_window_s) ||
        get_seconds(c, o, "on_demand_scale_window", 1, 3600, CFG_DEFAULT_ON_DEMAND_SCALE_WINDOW_S,
                    &od->scale_window_s) ||
        get_duration(c, o, "on_demand_scale_delay", OPT, 0, MAX_DURATION_US,
                     CFG_DEFAULT_ON_DEMAND_SCALE_DELAY_US, &od->scale_delay_us) ||
        get_number(c, o, "on_demand_split_threshold", OPT, 0, false, HUGE_VAL,
                   CFG_DEFAULT_ON_DEMAND_SPLIT_THRESHOLD, &od->split_threshold) ||
        (od->split_threshold <= 0 || od->split_threshold >= 1
             ? expected(c, "on_demand_split_threshold", "a number > 0 and < 1 (a share of a shard's limits)",
                        item(o, "on_demand_split_threshold")) : 0) ||
        get_int(c, o, "on_demand_max_write_records_per_sec", OPT, 1, (int64_t)MAX_EXACT_INT,
                CFG_DEFAULT_ON_DEMAND_MAX_WRITE_RECORDS_PER_SEC, &records);
    od->max_write_records_per_sec = (uint64_t)records;
    od->max_write_bytes_per_sec = CFG_DEFAULT_ON_DEMAND_MAX_WRITE_BYTES_PER_SEC;
    if (!rc && item(o, "on_demand_max_write_bytes_per_sec"))
        rc = get_size(c, o, "on_demand_max_write_bytes_per_sec", &od->max_write_bytes_per_sec);
    return rc ? -1 : 0;
}

static int parse_model(struct ctx *c, const cJSON *root, struct cfg_model *m, struct cfg_on_demand *od)
{
    const cJSON *o;
    size_t mark;
    int64_t epoch_us = 0;
    if (enter(c, root, "model", OPT, MODEL_KEYS, &o, &mark))
        return -1;
    int rc = get_duration(c, o, "poll_interval", OPT, 1, MAX_DURATION_US, CFG_DEFAULT_POLL_INTERVAL_US,
                     &m->poll_interval_us) ||
        get_duration(c, o, "retry_delay", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_RETRY_DELAY_US,
                     &m->retry_delay_us) ||
        get_duration(c, o, "reinvoke_delay", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_REINVOKE_DELAY_US,
                     &m->reinvoke_delay_us) ||
        get_duration(c, o, "throttle_backoff", OPT, 1, MAX_DURATION_US, CFG_DEFAULT_THROTTLE_BACKOFF_US,
                     &m->throttle_backoff_us) ||
        get_duration(c, o, "throttle_backoff_max", OPT, 1, MAX_DURATION_US,
                     CFG_DEFAULT_THROTTLE_BACKOFF_MAX_US, &m->throttle_backoff_max_us) ||
        get_duration(c, o, "latest_start_delay", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_LATEST_START_DELAY_US,
                     &m->latest_start_delay_us) ||
        get_duration(c, o, "mapping_update_delay", OPT, 0, MAX_DURATION_US,
                     CFG_DEFAULT_MAPPING_UPDATE_DELAY_US, &m->mapping_update_delay_us) ||
        get_duration(c, o, "sample_interval", OPT, 1, MAX_DURATION_US, CFG_DEFAULT_SAMPLE_INTERVAL_US,
                     &m->sample_interval_us) ||
        get_time(c, o, "start_time", OPT, CFG_DEFAULT_START_TIME, &epoch_us) ||
        get_string(c, o, "region", OPT, &REGION, CFG_DEFAULT_REGION, &m->region) ||
        get_string(c, o, "account", OPT, &ACCOUNT, CFG_DEFAULT_ACCOUNT, &m->account) ||
        get_bool(c, o, "wait_for_parent_shards", true, &m->wait_for_parent_shards) ||
        get_duration(c, o, "efo_push_latency", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_EFO_PUSH_LATENCY_US,
                     &m->efo_push_latency_us) ||
        parse_on_demand(c, o, od);
    if (!rc && item(o, "memory_limit")) {
        rc = get_size(c, o, "memory_limit", &m->memory_limit);
        m->memory_limit_from = "model.memory_limit";
    } else if (!rc) {
        m->memory_limit = fpt_available(&m->memory_limit_from);
    }
    m->epoch_ms = rc ? 0 : epoch_us / US_PER_MS;
    path_pop(c, mark);
    return rc ? -1 : 0;
}

static const char *const RESHARD_KEYS[] = { "at", "split", "hash_key", "merge", "target_shard_count", NULL };

/*
 * One reshard into elem: at, and exactly one of split (with an optional
 * hash_key), merge, target_shard_count; *arg is the previous entry's time.
 * Whether the shards exist then is for stm_check_reshard(), once all are read.
 */
static int parse_reshard(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct cfg_reshard *r = elem;
    int64_t *last_at = arg, count = 0;
    const cJSON *merge = NULL;
    if (elem_object(c, v, RESHARD_KEYS) || get_duration(c, v, "at", REQ, 0, MAX_DURATION_US, 0, &r->at_us) ||
        get_string(c, v, "split", OPT, &SHARD_ID, NULL, &r->shard) ||
        get_string(c, v, "hash_key", OPT, &DIGITS, NULL, &r->hash_key) ||
        get_array(c, v, "merge", OPT, &merge) ||
        get_int(c, v, "target_shard_count", OPT, 1, 10000, 0, &count))
        return -1;
    int kinds = (r->shard != NULL) + (merge != NULL) + (count != 0);
    if (kinds != 1)
        return fail(c, NULL, "expected exactly one of: split, merge, target_shard_count");
    if (r->hash_key && !r->shard)
        return fail(c, "hash_key", "only with split");
    if (r->at_us < *last_at)
        return fail(c, "at", "expected entries in time order: at or after the previous "
                    "entry's %.3f s", (double)*last_at / US_PER_S);
    *last_at = r->at_us;
    r->kind = r->shard ? CFG_RESHARD_SPLIT : merge ? CFG_RESHARD_MERGE : CFG_RESHARD_TARGET;
    r->target = (uint32_t)count;
    if (merge) {
        const cJSON *s0 = cJSON_GetArrayItem(merge, 0), *s1 = cJSON_GetArrayItem(merge, 1);
        if (cJSON_GetArraySize(merge) != 2 || !cJSON_IsString(s0) || !cJSON_IsString(s1) ||
            !text_ok(s0->valuestring, &SHARD_ID) || !text_ok(s1->valuestring, &SHARD_ID))
            return expected(c, "merge", "two shard ids such as [\"shardId-000000000000\", "
                            "\"shardId-000000000001\"]", merge);
        if (strcmp(s0->valuestring, s1->valuestring) == 0)
            return expected(c, "merge", "two different shard ids", merge);
        if (!(r->shard = strdup(s0->valuestring)) || !(r->adjacent = strdup(s1->valuestring)))
            return nomem(c);
    }
    return 0;
}

/* The reshard list into st (st->shards already read), checked against the
 * shards each operation will meet. */
static int parse_reshard_list(struct ctx *c, const cJSON *o, struct cfg_stream *st)
{
    int64_t last_at = 0;
    if (get_list(c, o, "reshard", sizeof *st->reshard, &st->reshard, &st->n_reshard,
                 parse_reshard, &last_at))
        return -1;
    size_t op;
    const char *key;
    char msg[400];
    if (stm_check_reshard(st, &op, &key, msg, sizeof msg) == 0)
        return 0;
    size_t mark = path_key(c, "reshard");
    path_index(c, op);
    fail(c, key, "%s", msg);
    path_pop(c, mark);
    return -1;
}

static const char *const STREAM_KEYS[] = {
    "type", "name", "shards", "retention", "consumer", "other_consumers", "reshard", "limits",
    "internal_failure_rate", "capacity_mode", "table", "view_type", "shard_lifetime", NULL };
/* by enum cfg_capacity_mode */
static const char *const CAPACITY_MODES[] = { "PROVISIONED", "ON_DEMAND", NULL };
static const char *const LIMITS_KEYS[] = {
    "write_records_per_sec", "write_bytes_per_sec", "max_record_bytes", "max_request_bytes",
    "max_request_records", NULL };
static const char *const STREAM_TYPES[] = { "kinesis", "dynamodb", NULL };
static const char *const CONSUMERS[] = { "shared", "efo", NULL };
static const char *const VIEW_TYPES[] = {   /* by enum lev_ddb_view */
    "NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY", NULL };
static const struct text_rule TABLE_NAME = {
    .min = 3, .max = 255, .chars = ALNUM "-_.",
    .what = "a table name (3 to 255 letters, digits, -, _ or .)" };

/* The keys of one stream type only, and why the other type has none. */
static const struct { const char *key; enum cfg_stream_type type; const char *why; } STREAM_TYPE_KEYS[] = {
    { "name", CFG_STREAM_KINESIS, "a DynamoDB stream is named by its table (table)" },
    { "consumer", CFG_STREAM_KINESIS, "DynamoDB Streams have no enhanced fan-out" },
    { "reshard", CFG_STREAM_KINESIS, "a DynamoDB table's shards roll over by themselves (shard_lifetime)" },
    { "limits", CFG_STREAM_KINESIS,
      "a DynamoDB table is on demand: it takes every write, of items up to 400 KB" },
    { "internal_failure_rate", CFG_STREAM_KINESIS, "writes to a DynamoDB table do not fail in this model" },
    { "capacity_mode", CFG_STREAM_KINESIS, "the table is on demand, and its stream's shards roll over by "
      "themselves (shard_lifetime)" },
    { "table", CFG_STREAM_DYNAMODB, "a Kinesis stream has a name (name)" },
    { "view_type", CFG_STREAM_DYNAMODB, "a Kinesis stream keeps the records as they are written" },
    { "shard_lifetime", CFG_STREAM_DYNAMODB, "Kinesis shards change only by reshard" },
};

static bool is_dynamodb(const struct scenario *s)
{
    return s->cfg.stream.type == CFG_STREAM_DYNAMODB;
}

/* A key of one stream type given with the other: "only with stream type ...". */
static int stream_type_only(struct ctx *c, const cJSON *obj, const char *key, const struct scenario *s,
                            enum cfg_stream_type type, const char *why)
{
    if (!item(obj, key) || s->cfg.stream.type == type)
        return 0;
    return fail(c, key, "only with stream type \"%s\": %s", STREAM_TYPES[type], why);
}

/* Shards a DynamoDB stream may make over a run, rollovers included: each
 * costs memory in the stream and the mapping until the end. */
#define MAX_DDB_SHARDS 100000

/*
 * An on-demand stream (SPEC 1.1 Capacity modes): AWS makes the shards, so
 * no reshard (AWS refuses SplitShard, MergeShards and UpdateShardCount on
 * it), and it starts within what its maximum throughput allows.
 */
static int check_on_demand(struct ctx *c, const cJSON *o, const struct cfg_stream *st)
{
    if (item(o, "reshard"))
        return fail(c, "reshard", "only with capacity_mode \"PROVISIONED\": an on-demand stream's shards are "
                    "AWS's (SplitShard, MergeShards and UpdateShardCount are for provisioned streams)");
    uint32_t most = stm_on_demand_max_open(st);
    if (most == 0)
        return fail(c, NULL, "model.on_demand_max_write_bytes_per_sec (%llu) and "
                    "model.on_demand_max_write_records_per_sec (%llu) allow no shard of limits %llu bytes and "
                    "%llu records a second", (unsigned long long)st->on_demand.max_write_bytes_per_sec,
                    (unsigned long long)st->on_demand.max_write_records_per_sec,
                    (unsigned long long)st->write_bytes_per_sec, (unsigned long long)st->write_records_per_sec);
    char what[200];
    snprintf(what, sizeof what, "an integer from 1 to %u with capacity_mode \"ON_DEMAND\" (the shards that "
             "model.on_demand_max_write_bytes_per_sec and model.on_demand_max_write_records_per_sec allow)", most);
    if (st->shards <= most)
        return 0;
    return item(o, "shards") ? expected(c, "shards", what, item(o, "shards"))
                             : fail(c, "shards", "expected %s, got the default 4", what);
}

/* The Kinesis part of a stream: consumer, reshard, limits, failures. */
static int parse_kinesis(struct ctx *c, const cJSON *o, struct cfg_stream *st)
{
    const cJSON *lim;
    size_t m2;
    int consumer = 0;
    int64_t wr = 0, wb = 0, rec = 0, req = 0, reqn = 0;
    int rc = get_string(c, o, "name", OPT, &STREAM_NAME, "stream", &st->name) ||
        get_duration(c, o, "retention", OPT, 24 * US_PER_H, 8760 * US_PER_H, CFG_DEFAULT_RETENTION_US,
                     &st->retention_us) ||
        get_enum(c, o, "consumer", OPT, CONSUMERS, 0, &consumer) ||
        get_number(c, o, "internal_failure_rate", OPT, 0, false, 1, 0, &st->internal_failure_rate);
    if (!rc && !(rc = enter(c, o, "limits", OPT, LIMITS_KEYS, &lim, &m2))) {
        int64_t big = (int64_t)MAX_EXACT_INT;
        rc = get_int(c, lim, "write_records_per_sec", OPT, 1, big, CFG_DEFAULT_WRITE_RECORDS_PER_SEC, &wr) ||
             get_int(c, lim, "write_bytes_per_sec", OPT, 1, big, CFG_DEFAULT_WRITE_BYTES_PER_SEC, &wb) ||
             get_int(c, lim, "max_record_bytes", OPT, 1, big, CFG_DEFAULT_MAX_RECORD_BYTES, &rec) ||
             get_int(c, lim, "max_request_bytes", OPT, 1, big, CFG_DEFAULT_MAX_REQUEST_BYTES, &req) ||
             get_int(c, lim, "max_request_records", OPT, 1, 500, CFG_DEFAULT_MAX_REQUEST_RECORDS, &reqn) ||
             (req < rec ? fail(c, "max_request_bytes", "expected at least max_record_bytes (%lld)",
                               (long long)rec) : 0);
        path_pop(c, m2);
    }
    st->consumer = (enum cfg_consumer)consumer;
    st->write_records_per_sec = (uint64_t)wr;
    st->write_bytes_per_sec = (uint64_t)wb;
    st->max_record_bytes = (uint64_t)rec;
    st->max_request_bytes = (uint64_t)req;
    st->max_request_records = (uint32_t)reqn;
    if (!rc && st->capacity_mode == CFG_CAPACITY_ON_DEMAND)
        return check_on_demand(c, o, st);
    return rc || parse_reshard_list(c, o, st) ? -1 : 0;
}

/*
 * The DynamoDB part of a stream (SPEC 1.2): table, view_type,
 * shard_lifetime, and what a table is in place of the Kinesis settings:
 * 24 h of retention, no write limits (on demand: never throttled), one item
 * of at most 400 KB a write, shared reads.
 */
static int parse_dynamodb(struct ctx *c, const cJSON *o, const struct scenario *s,
                          struct cfg_stream *st)
{
    int view = 0;
    int rc = get_string(c, o, "table", OPT, &TABLE_NAME, "table", &st->name) ||
        get_duration(c, o, "retention", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_RETENTION_US,
                     &st->retention_us) ||
        (st->retention_us != CFG_DEFAULT_RETENTION_US
             ? expected(c, "retention", "\"24h\" (DynamoDB Streams keep records 24 hours)",
                        item(o, "retention")) : 0) ||
        get_enum(c, o, "view_type", OPT, VIEW_TYPES, LEV_DDB_NEW_AND_OLD_IMAGES, &view) ||
        get_duration(c, o, "shard_lifetime", OPT, 60 * US_PER_S, MAX_DURATION_US,
                     CFG_DEFAULT_SHARD_LIFETIME_US, &st->shard_lifetime_us);
    if (rc)
        return -1;
    st->view_type = (enum lev_ddb_view)view;
    st->rollover_until_us = s->cfg.duration_us;
    int64_t rollovers = (s->cfg.duration_us - 1) / st->shard_lifetime_us;
    if ((double)st->shards * (double)(rollovers + 1) > MAX_DDB_SHARDS) {
        char a[32], b[32];
        return fail(c, "shard_lifetime", "expected a lifetime that keeps the run within %d shards: "
                    "%u shards rolling over every %s for %s make %.0f", MAX_DDB_SHARDS, st->shards,
                    fmt_us(st->shard_lifetime_us, a), fmt_us(s->cfg.duration_us, b),
                    (double)st->shards * (double)(rollovers + 1));
    }
    st->consumer = CFG_CONSUMER_SHARED;
    st->write_records_per_sec = st->write_bytes_per_sec = UINT64_MAX;
    st->max_record_bytes = LEV_DDB_MAX_ITEM_BYTES - strlen(LEV_DDB_KEY_ATTRIBUTE) -
                           strlen(LEV_DDB_DATA_ATTRIBUTE);   /* the item: key and payload */
    st->max_request_bytes = st->max_record_bytes;
    st->max_request_records = 1;
    return 0;
}

/* The stream, and a DynamoDB stream's default poll interval: 250 ms, the
 * mapping's 4 polls a second (R1), unless model.poll_interval is given. */
static int parse_stream(struct ctx *c, const cJSON *root, struct scenario *s)
{
    struct cfg_stream *st = &s->cfg.stream;
    const cJSON *o;
    size_t mark;
    int type = 0;
    int64_t shards = 0, others = 0;
    if (enter(c, root, "stream", OPT, STREAM_KEYS, &o, &mark))
        return -1;
    int mode = 0;
    int rc = get_enum(c, o, "type", OPT, STREAM_TYPES, 0, &type);
    st->type = (enum cfg_stream_type)type;
    for (size_t i = 0; !rc && i < sizeof STREAM_TYPE_KEYS / sizeof STREAM_TYPE_KEYS[0]; i++)
        rc = stream_type_only(c, o, STREAM_TYPE_KEYS[i].key, s, STREAM_TYPE_KEYS[i].type,
                              STREAM_TYPE_KEYS[i].why);
    rc = rc || get_enum(c, o, "capacity_mode", OPT, CAPACITY_MODES, CFG_CAPACITY_PROVISIONED, &mode);
    st->capacity_mode = (enum cfg_capacity_mode)mode;
    /* on demand, AWS starts a stream with 4 shards: 4 MB/s and 4,000 records/s */
    rc = rc || get_int(c, o, "shards", OPT, 1, 10000,
                       mode == CFG_CAPACITY_ON_DEMAND ? CFG_DEFAULT_ON_DEMAND_SHARDS : CFG_DEFAULT_SHARDS,
                       &shards) ||
        get_int(c, o, "other_consumers", OPT, 0, 4, 0, &others);
    st->shards = (uint32_t)shards;
    st->other_consumers = (uint32_t)others;
    if (!rc)
        rc = is_dynamodb(s) ? parse_dynamodb(c, o, s, st) : parse_kinesis(c, o, st);
    path_pop(c, mark);
    if (rc)
        return -1;
    if (is_dynamodb(s) && !item(item(root, "model"), "poll_interval"))
        s->cfg.model.poll_interval_us = CFG_DEFAULT_DYNAMODB_POLL_INTERVAL_US;
    return 0;
}

/* The ARN of the stream: arn:aws:kinesis:REGION:ACCOUNT:stream/NAME, or for
 * DynamoDB arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL, the label
 * being the stream's creation time, model.start_time, as DynamoDB writes
 * it (2026-01-01T00:00:00.000). */
static char *stream_arn(const struct scenario *s)
{
    if (!is_dynamodb(s))
        return fmt_dup("arn:aws:kinesis:%s:%s:stream/%s", s->cfg.model.region, s->cfg.model.account,
                       s->cfg.stream.name);
    char label[32];
    awsjson_iso_time(s->cfg.model.epoch_ms, 0, label);
    label[strcspn(label, "Z")] = '\0';
    return fmt_dup("arn:aws:dynamodb:%s:%s:table/%s/stream/%s", s->cfg.model.region, s->cfg.model.account,
                   s->cfg.stream.name, label);
}

/* ---- the function ------------------------------------------------------ */

static const char *const MATCH_KEYS[] = {
    "key", "data_contains", "message_id", "probability", "from", "to", "all", NULL };

/* match: exactly one of key, data_contains, message_id, probability, from+to, all. */
static int parse_match(struct ctx *c, const cJSON *m, struct cfg_failure *f)
{
    int64_t id = 0;
    bool all = false;
    int kinds = !!item(m, "key") + !!item(m, "data_contains") + !!item(m, "message_id") +
                !!item(m, "probability") + !!(item(m, "from") || item(m, "to")) + !!item(m, "all");
    if (kinds != 1)
        return fail(c, NULL, "expected exactly one of: key, data_contains, message_id, probability, "
                    "from and to, all");
    if (item(m, "key")) {
        f->match = CFG_MATCH_KEY;
        return get_string(c, m, "key", REQ, &PARTITION_KEY, NULL, &f->text);
    }
    if (item(m, "data_contains")) {
        f->match = CFG_MATCH_DATA_CONTAINS;
        return get_string(c, m, "data_contains", REQ, &NONEMPTY_DATA, NULL, &f->text);
    }
    if (item(m, "message_id")) {
        f->match = CFG_MATCH_MESSAGE_ID;
        if (get_int(c, m, "message_id", REQ, 1, (int64_t)MAX_EXACT_INT, 0, &id))
            return -1;
        f->message_id = (uint64_t)id;
        return 0;
    }
    if (item(m, "probability")) {
        f->match = CFG_MATCH_PROBABILITY;
        return get_number(c, m, "probability", REQ, 0, false, 1, 0, &f->probability);
    }
    if (item(m, "all")) {
        f->match = CFG_MATCH_ALL;
        if (get_bool(c, m, "all", true, &all))
            return -1;
        return all ? 0 : expected(c, "all", "true", item(m, "all"));
    }
    f->match = CFG_MATCH_INTERVAL;
    if (get_duration(c, m, "from", REQ, 0, MAX_DURATION_US, 0, &f->from_us) ||
        get_duration(c, m, "to", REQ, 0, MAX_DURATION_US, 0, &f->to_us))
        return -1;
    if (f->to_us <= f->from_us)
        return fail(c, "to", "expected a time after from");
    return 0;
}

static const char *const FAILURE_KEYS[] = { "match", "effect", "extra", NULL };
static const char *const EFFECTS[] = { "fail", "slow", NULL };

static int parse_failure(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct cfg_failure *f = elem;
    const cJSON *m;
    size_t mark;
    int effect = 0;
    if (elem_object(c, v, FAILURE_KEYS) || get_enum(c, v, "effect", OPT, EFFECTS, 0, &effect))
        return -1;
    f->effect = (enum cfg_effect)effect;
    if (enter(c, v, "match", REQ, MATCH_KEYS, &m, &mark))
        return -1;
    int rc = parse_match(c, m, f);
    path_pop(c, mark);
    if (rc)
        return -1;
    if (f->effect == CFG_EFFECT_FAIL && item(v, "extra"))
        return fail(c, "extra", "only with effect \"slow\"");
    return f->effect == CFG_EFFECT_SLOW ? get_dist(c, v, "extra", REQ, QTY_US, 0, &f->extra) : 0;
}

static const char *const FUNCTION_KEYS[] = {
    "name", "timeout", "reserved_concurrency", "account_concurrency", "duration", "cold_start",
    "idle_timeout", "failures", "report", "returns_state", "handler", "memory_mb", NULL };
static const char *const FUNCTION_DURATION_KEYS[] = { "per_invoke", "per_record", NULL };
static const char *const HANDLER_KEYS[] = {
    "command", "instances", "env", "cwd", "wall_timeout", "duration", NULL };
static const char *const HANDLER_DURATIONS[] = { "model", "measured", NULL };
#define MAX_HANDLER_INSTANCES 256   /* handler.c's limit on a pool */
static const char *const REPORTS[] = {   /* by enum cfg_report */
    "throw", "first-failure", "all-failures", "all-failures-no-raise", "empty-identifier", "wrong-key",
    "wrong-list-key", "unknown-sequence", NULL };

/* A NULL-terminated array of n + 1 pointers, zeroed (so it frees cleanly
 * half filled); NULL when out of memory. */
static char **strv_new(size_t n)
{
    return calloc(n + 1, sizeof(char *));
}

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* path as is when absolute, else joined to the folder of the scenario file
 * (file as given: "dir/s.json" gives "dir/path", "s.json" gives "path"). */
static char *from_scenario_folder(const char *file, const char *path)
{
    const char *slash = strrchr(file, '/');
    if (path[0] == '/' || !slash)
        return strdup(path);
    return fmt_dup("%.*s/%s", (int)(slash - file), file, path);
}

/*
 * handler: {"command": ["python3", "bootstrap", "app.handler"], "instances": 4,
 * "env": {"NAME": "value"}, "cwd": "src", "wall_timeout": "30s",
 * "duration": "model"} (SPEC section 4), into f->handler.  cwd defaults to
 * the scenario file's folder, and a relative one is taken from there.
 */
static int parse_handler(struct ctx *c, const cJSON *fn, struct cfg_function *f)
{
    static const char what[] = "a non-empty array of non-empty strings, such as [\"node\", \"handler.mjs\"]";
    const cJSON *h, *cmd = NULL, *arg, *env = NULL;
    size_t mark;
    int64_t instances = 1;
    int duration = 0;
    char *cwd = NULL;
    if (enter(c, fn, "handler", OPT, HANDLER_KEYS, &h, &mark))
        return -1;
    if (!h) {
        path_pop(c, mark);
        return 0;
    }
    struct cfg_handler *hd = f->handler = calloc(1, sizeof *f->handler);
    int rc = hd ? lookup(c, h, "command", REQ, what, &cmd) : nomem(c);
    if (!rc) {
        bool ok = cJSON_IsArray(cmd) && cJSON_GetArraySize(cmd) > 0;
        cJSON_ArrayForEach(arg, cmd)
            ok = ok && cJSON_IsString(arg) && arg->valuestring[0];
        rc = ok ? 0 : expected(c, "command", what, cmd);
    }
    if (!rc && !(hd->command = strv_new((size_t)cJSON_GetArraySize(cmd))))
        rc = nomem(c);
    size_t i = 0;
    const cJSON *words = rc ? NULL : cmd;
    cJSON_ArrayForEach(arg, words)
        if (!rc && !(hd->command[i++] = strdup(arg->valuestring)))
            rc = nomem(c);
    rc = rc || get_int(c, h, "instances", OPT, 1, MAX_HANDLER_INSTANCES, 1, &instances) ||
         get_duration(c, h, "wall_timeout", OPT, US_PER_MS, MAX_DURATION_US, 0,
                      &hd->wall_timeout_us) ||
         get_enum(c, h, "duration", OPT, HANDLER_DURATIONS, 0, &duration) ||
         get_string(c, h, "cwd", OPT, &NONEMPTY, ".", &cwd) ||
         get_object(c, h, "env", OPT, &env);
    if (!rc && !(hd->cwd = from_scenario_folder(c->file, cwd)))
        rc = nomem(c);
    free(cwd);
    if (!rc && !(hd->env = strv_new(env ? (size_t)cJSON_GetArraySize(env) : 0)))
        rc = nomem(c);
    size_t m2 = path_key(c, "env");
    i = 0;
    for (const cJSON *v = env && !rc ? env->child : NULL; v && !rc; v = v->next) {
        if (!v->string[0] || strchr(v->string, '='))
            rc = fail(c, v->string, "expected a variable name (not empty, without '=')");
        else if (!cJSON_IsString(v))
            rc = expected(c, v->string, "a string", v);
        else if (!(hd->env[i++] = fmt_dup("%s=%s", v->string, v->valuestring)))
            rc = nomem(c);
    }
    path_pop(c, m2);
    if (hd) {
        hd->instances = (uint32_t)instances;
        hd->measured = duration == 1;
    }
    path_pop(c, mark);
    return rc ? -1 : 0;
}

/*
 * With a handler the program decides what fails (R7) and what state it
 * returns (R15): the model's keys for that are refused rather than ignored.
 * Failure rules of effect "slow" still lengthen the modelled duration (so a
 * slow record still times out); with "measured" durations the handler's wall
 * time is the duration, and nothing of the duration model applies.
 */
static int check_handler_model(struct ctx *c, const cJSON *o, const struct cfg_function *f)
{
    static const char *const duration_keys[] = { "duration", "cold_start", "failures", NULL };
    if (!f->handler)
        return 0;
    if (item(o, "report"))
        return fail(c, "report", "not with a handler: the handler's own response says what "
                    "failed (R7)");
    if (item(o, "returns_state"))
        return fail(c, "returns_state", "not with a handler: its response says whether it has "
                    "a state (R15)");
    for (size_t i = 0; i < f->n_failures; i++) {
        if (f->failures[i].effect != CFG_EFFECT_FAIL)
            continue;
        size_t mark = path_key(c, "failures");
        path_index(c, i);
        fail(c, NULL, "a rule of effect \"fail\" with a handler: the handler decides what fails; "
             "only \"slow\" rules apply (they lengthen the modelled duration)");
        path_pop(c, mark);
        return -1;
    }
    for (const char *const *k = duration_keys; f->handler->measured && *k; k++)
        if (item(o, *k))
            return fail(c, *k, "not with handler.duration \"measured\": the handler's wall "
                        "time is the duration");
    return 0;
}

/* The keys of a function object o (checked by the caller), or the defaults. */
static int parse_function_fields(struct ctx *c, const cJSON *o, struct cfg_function *f)
{
    const cJSON *dur;
    size_t m2;
    int64_t reserved = -1, account = 1000, memory = 128;
    int report = 0;
    int rc = get_string(c, o, "name", OPT, &FUNCTION_NAME, "function", &f->name) ||
        get_duration(c, o, "timeout", OPT, US_PER_S, 900 * US_PER_S, CFG_DEFAULT_TIMEOUT_US,
                     &f->timeout_us) ||
        get_int(c, o, "account_concurrency", OPT, 1, 1000000, CFG_DEFAULT_ACCOUNT_CONCURRENCY, &account) ||
        get_int(c, o, "memory_mb", OPT, 128, 10240, CFG_DEFAULT_MEMORY_MB, &memory) ||
        get_int_or(c, o, "reserved_concurrency", OPT, -1, 0, 10000, -1, &reserved) ||
        (reserved > account ? fail(c, "reserved_concurrency", "expected at most account_concurrency "
                                   "(%lld)", (long long)account) : 0) ||
        get_dist(c, o, "cold_start", OPT, QTY_US, CFG_DEFAULT_COLD_START_US, &f->cold_start) ||
        get_duration(c, o, "idle_timeout", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_IDLE_TIMEOUT_US,
                     &f->idle_timeout_us) ||
        get_list(c, o, "failures", sizeof *f->failures, &f->failures, &f->n_failures, parse_failure, NULL) ||
        get_enum(c, o, "report", OPT, REPORTS, 0, &report) ||
        get_bool(c, o, "returns_state", true, &f->returns_state) ||
        parse_handler(c, o, f) || check_handler_model(c, o, f);
    if (!rc && !(rc = enter(c, o, "duration", OPT, FUNCTION_DURATION_KEYS, &dur, &m2))) {
        rc = get_dist(c, dur, "per_invoke", OPT, QTY_US, CFG_DEFAULT_PER_INVOKE_US, &f->per_invoke) ||
             get_dist(c, dur, "per_record", OPT, QTY_US, CFG_DEFAULT_PER_RECORD_US, &f->per_record);
        path_pop(c, m2);
    }
    f->reserved_concurrency = reserved;
    f->account_concurrency = (uint32_t)account;
    f->memory_mb = (uint32_t)memory;
    f->report = (enum cfg_report)report;
    return rc ? -1 : 0;
}

static int parse_function(struct ctx *c, const cJSON *root, struct cfg_function *f)
{
    const cJSON *o;
    size_t mark;
    if (enter(c, root, "function", OPT, FUNCTION_KEYS, &o, &mark))
        return -1;
    int rc = parse_function_fields(c, o, f);
    path_pop(c, mark);
    return rc;
}

static void free_dist(struct dist *d)
{
    free(d->pct);
    free(d->val);
}

/* What a function config owns (not f itself). */
static void free_function(struct cfg_function *f)
{
    for (size_t i = 0; i < f->n_failures; i++) {
        free(f->failures[i].text);
        free_dist(&f->failures[i].extra);
    }
    free(f->failures);
    free(f->name);
    if (f->handler) {
        strv_free(f->handler->command);
        strv_free(f->handler->env);
        free(f->handler->cwd);
        free(f->handler);
    }
    free_dist(&f->per_invoke);
    free_dist(&f->per_record);
    free_dist(&f->cold_start);
}

/* What a mapping config owns (not m itself). */
static void free_mapping(struct cfg_mapping *m)
{
    free(m->on_failure_destination);
    free(m->function_arn);
    free(m->event_source_arn);
}

/* ---- the event source mapping ------------------------------------------ */

/* What this version reads. */
static const char *const MAPPING_KEYS[] = {
    "BatchSize", "MaximumBatchingWindowInSeconds", "ParallelizationFactor", "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "FunctionResponseTypes",
    "TumblingWindowInSeconds", "DestinationConfig", "Enabled", "FilterCriteria",
    "StartingPosition", "StartingPositionTimestamp", "FunctionArn", "EventSourceArn", NULL };
/* Fixed when a mapping is created: update-event-source-mapping cannot change them. */
static const char *const CREATE_ONLY_KEYS[] = {
    "StartingPosition", "StartingPositionTimestamp", "FunctionArn", "EventSourceArn", NULL };
/* Printed by get-event-source-mapping, read-only or about other event sources: ignored. */
static const char *const MAPPING_IGNORED[] = {
    "UUID", "State", "StateTransitionReason", "LastModified", "LastProcessingResult",
    "EventSourceMappingArn", "FilterCriteriaError", "ScalingConfig", "MetricsConfig",
    "ProvisionedPollerConfig", "Topics", "Queues", "SourceAccessConfigurations",
    "SelfManagedEventSource", "SelfManagedKafkaEventSourceConfig",
    "AmazonManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig", "KMSKeyArn", "Tags",
    "LoggingConfig", NULL };
static const char *const STARTS[] = { "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", NULL };
static const char *const DESTINATION_KEYS[] = { "OnFailure", "OnSuccess", NULL };
static const char *const ONE_DESTINATION_KEYS[] = { "Destination", NULL };
static const char *const FILTER_KEYS[] = { "Filters", NULL };
static const char *const PATTERN_KEYS[] = { "Pattern", NULL };
static const char *const DESTINATION_SERVICES[] = { "sqs", "sns", "s3", NULL };
static const char *const RESPONSE_TYPES[] = { "ReportBatchItemFailures", NULL };

/* DestinationConfig: {} or {OnFailure: {Destination: ARN}, OnSuccess: {...}}. */
static int parse_destinations(struct ctx *c, const cJSON *o, struct cfg_mapping *m)
{
    static const char what[] = "an SQS queue, SNS topic or S3 bucket ARN";
    const char *const which[] = { "OnFailure", "OnSuccess" };
    const cJSON *dc, *d;
    size_t mark, m2;
    if (enter(c, o, "DestinationConfig", OPT, DESTINATION_KEYS, &dc, &mark))
        return -1;
    int rc = 0;
    for (int i = 0; i < 2 && !rc; i++) {
        char *arn = NULL;
        if ((rc = enter(c, dc, which[i], OPT, ONE_DESTINATION_KEYS, &d, &m2)))
            break;
        rc = get_arn(c, d, "Destination", OPT, DESTINATION_SERVICES, what, &arn);
        if (arn && i == 0) {
            c->s3_destination = strstr(arn, ":s3:") != NULL;
            free(m->on_failure_destination);
            m->on_failure_destination = arn;
        } else {
            free(arn);   /* OnSuccess: accepted, not used by stream mappings */
        }
        path_pop(c, m2);
    }
    path_pop(c, mark);
    return rc;
}

static int parse_pattern(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    char *pattern = NULL;
    int rc = elem_object(c, v, PATTERN_KEYS) ||
             get_string(c, v, "Pattern", REQ, &DATA, NULL, &pattern);
    free(pattern);
    return rc ? -1 : 0;
}

static int parse_filters(struct ctx *c, const cJSON *o)
{
    const cJSON *fc;
    size_t mark, n = 0;
    if (enter(c, o, "FilterCriteria", OPT, FILTER_KEYS, &fc, &mark))
        return -1;
    int rc = get_list(c, fc, "Filters", 0, NULL, &n, parse_pattern, NULL);
    c->filters = c->filters || n > 0;
    path_pop(c, mark);
    return rc;
}

/* FunctionResponseTypes: [] or ["ReportBatchItemFailures"]. */
static int parse_response_types(struct ctx *c, const cJSON *o, bool *report)
{
    static const char what[] = "[] or [\"ReportBatchItemFailures\"]";
    const cJSON *a, *t;
    *report = false;
    if (lookup(c, o, "FunctionResponseTypes", OPT, what, &a))
        return -1;
    if (a && !cJSON_IsArray(a))
        return expected(c, "FunctionResponseTypes", what, a);
    cJSON_ArrayForEach(t, a) {
        if (!cJSON_IsString(t) || !in_list(RESPONSE_TYPES, t->valuestring))
            return expected(c, "FunctionResponseTypes", what, a);
        *report = true;
    }
    return 0;
}

/* The virtual time of StartingPositionTimestamp: an instant (epoch seconds or
 * ISO-8601), or a duration string counted from the start of the run. */
static int get_start_timestamp(struct ctx *c, const cJSON *o, const struct cfg_model *model,
                               int64_t *out)
{
    static const char what[] = "a time: an ISO-8601 string with a zone such as "
                                "\"2026-01-01T00:10:00Z\", a number of epoch seconds, or a duration "
                                "string from the start of the run such as \"10m\"";
    const cJSON *v;
    int64_t epoch_us = 0;
    if (lookup(c, o, "StartingPositionTimestamp", REQ, what, &v))
        return -1;
    if (cJSON_IsString(v) && scn_parse_duration(v->valuestring, out) == 0)
        return 0;
    if (!(cJSON_IsNumber(v) ? to_us(v->valuedouble, &epoch_us)
                            : cJSON_IsString(v) && parse_iso8601(v->valuestring, &epoch_us)))
        return expected(c, "StartingPositionTimestamp", what, v);
    *out = epoch_us - model->epoch_ms * US_PER_MS;
    if (*out < 0)
        return fail(c, "StartingPositionTimestamp", "expected a time at or after the start of the "
                    "run (model.start_time, epoch %lld ms), or a duration from it such as \"10m\"",
                    (long long)model->epoch_ms);
    return 0;
}

/*
 * event_source_mapping, as get-event-source-mapping prints it; with update,
 * the subset update_mapping may change (a scheduled update-event-source-mapping).
 */
/*
 * The mapping object o into m (s gives the names its ARNs default to).  An
 * update (R16) is checked alone, without the create-only and read-only keys,
 * and m is left half-filled: the caller only validates it.
 */
static int parse_mapping(struct ctx *c, const cJSON *o, const struct scenario *s,
                         struct cfg_mapping *m, bool update)
{
    int64_t batch = 0, window = 0, pf = 0, retries = 0, age = 0, tumbling = 0;
    int start = 0;
    if (check_keys(c, o, MAPPING_KEYS, update ? NULL : MAPPING_IGNORED))
        return -1;
    for (const char *const *k = CREATE_ONLY_KEYS; update && *k; k++)
        if (item(o, *k))
            return fail(c, *k, "fixed when the mapping is created: an update cannot change it");
    if (get_int(c, o, "BatchSize", OPT, 1, 10000, 100, &batch) ||
        get_int(c, o, "MaximumBatchingWindowInSeconds", OPT, 0, 300, 0, &window) ||
        get_int(c, o, "ParallelizationFactor", OPT, 1, 10, 1, &pf) ||
        get_int(c, o, "MaximumRetryAttempts", OPT, -1, 10000, -1, &retries) ||
        get_int_or(c, o, "MaximumRecordAgeInSeconds", OPT, -1, 60, 604800, -1, &age) ||
        get_bool(c, o, "BisectBatchOnFunctionError", false, &m->bisect_on_error) ||
        parse_response_types(c, o, &m->report_batch_item_failures) ||
        get_int(c, o, "TumblingWindowInSeconds", OPT, 0, 900, 0, &tumbling) ||
        parse_destinations(c, o, m) ||
        get_bool(c, o, "Enabled", true, &m->enabled) ||
        parse_filters(c, o) ||
        get_enum(c, o, "StartingPosition", update ? OPT : REQ, STARTS, 0, &start) ||
        get_arn(c, o, "FunctionArn", OPT, NULL, "a function ARN", &m->function_arn) ||
        get_arn(c, o, "EventSourceArn", OPT, NULL, "a stream ARN", &m->event_source_arn))
        return -1;
    m->batch_size = (uint32_t)batch;
    m->batching_window_us = window * US_PER_S;
    m->parallelization_factor = (uint32_t)pf;
    m->max_retry_attempts = retries;
    m->max_record_age_us = age < 0 ? -1 : age * US_PER_S;
    m->tumbling_window_us = tumbling * US_PER_S;
    m->starting_position = (enum cfg_start)start;
    if (m->starting_position == CFG_START_AT_TIMESTAMP && is_dynamodb(s))
        return expected(c, "StartingPosition", "\"TRIM_HORIZON\" or \"LATEST\" (AT_TIMESTAMP is for Kinesis "
                        "streams, not DynamoDB Streams)", item(o, "StartingPosition"));
    /* Validated whatever the position, used only with AT_TIMESTAMP (a --set of
     * StartingPosition should not have to remove it). */
    if ((m->starting_position == CFG_START_AT_TIMESTAMP || item(o, "StartingPositionTimestamp")) &&
        get_start_timestamp(c, o, &s->cfg.model, &m->starting_timestamp_us))
        return -1;
    if (update)
        return 0;
    if (!m->function_arn)
        m->function_arn = fmt_dup("arn:aws:lambda:%s:%s:function:%s", s->cfg.model.region,
                                  s->cfg.model.account, s->cfg.function.name);
    if (!m->event_source_arn)
        m->event_source_arn = stream_arn(s);
    return m->function_arn && m->event_source_arn ? 0 : nomem(c);
}

static const char *const SCHEDULE_KEYS[] = { "at", "update_mapping", "update_function", NULL };
/* What update_function may change: the function's behaviour, not its identity. */
static const char *const FUNCTION_UPDATE_KEYS[] = {
    "timeout", "reserved_concurrency", "duration", "cold_start", "idle_timeout", "failures",
    "report", "returns_state", NULL };

/* What the schedule entries build on: the configuration as the previous
 * entry left it, as JSON, and that entry's time. */
struct schedule_state {
    struct scenario *s;
    cJSON *mapping, *function;   /* owned */
    int64_t last_at;
};

/*
 * base with every key of update replaced (a shallow merge: a nested object
 * such as DestinationConfig or duration is replaced whole), as a new object
 * owned by the caller; NULL when out of memory.
 */
static cJSON *merge_keys(const cJSON *base, const cJSON *update)
{
    cJSON *out = base ? cJSON_Duplicate(base, 1) : cJSON_CreateObject();
    for (const cJSON *k = update ? update->child : NULL; out && k; k = k->next) {
        cJSON *v = cJSON_Duplicate(k, 1);
        if (!v || (cJSON_HasObjectItem(out, k->string)
                       ? !cJSON_ReplaceItemInObjectCaseSensitive(out, k->string, v)
                       : !cJSON_AddItemToObject(out, k->string, v))) {
            cJSON_Delete(v);
            cJSON_Delete(out);
            return NULL;
        }
    }
    return out;
}

/* The mapping after update u, into *out (allocated), the state advanced. */
static int schedule_mapping(struct ctx *c, struct schedule_state *st, const cJSON *u,
                            struct cfg_mapping **out)
{
    struct cfg_mapping alone = { 0 };   /* u checked by itself: its own paths in messages */
    int rc = parse_mapping(c, u, st->s, &alone, true);
    free_mapping(&alone);
    if (rc)
        return -1;
    cJSON *merged = merge_keys(st->mapping, u);
    if (!merged || !(*out = calloc(1, sizeof **out))) {
        cJSON_Delete(merged);
        return nomem(c);
    }
    cJSON_Delete(st->mapping);
    st->mapping = merged;
    return parse_mapping(c, merged, st->s, *out, false);
}

/* The function after update u, into *out (allocated), the state advanced. */
static int schedule_function(struct ctx *c, struct schedule_state *st, const cJSON *u,
                             struct cfg_function **out)
{
    if (check_keys(c, u, FUNCTION_UPDATE_KEYS, NULL))
        return -1;
    cJSON *merged = merge_keys(st->function, u);
    if (!merged || !(*out = calloc(1, sizeof **out))) {
        cJSON_Delete(merged);
        return nomem(c);
    }
    cJSON_Delete(st->function);
    st->function = merged;
    return parse_function_fields(c, merged, *out);
}

/* One scheduled change (R16): {at, update_mapping, update_function}. */
static int parse_schedule(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct schedule_state *st = arg;
    struct cfg_change *ch = elem;
    const cJSON *um, *uf;
    size_t mark;
    if (elem_object(c, v, SCHEDULE_KEYS) ||
        get_duration(c, v, "at", REQ, 0, MAX_DURATION_US, 0, &ch->at_us) ||
        get_object(c, v, "update_mapping", OPT, &um) ||
        get_object(c, v, "update_function", OPT, &uf))
        return -1;
    if (!um && !uf)
        return fail(c, NULL, "expected update_mapping, update_function or both");
    if (ch->at_us < st->last_at)
        return fail(c, "at", "expected entries in time order: at or after the previous "
                    "entry's %.3f s", (double)st->last_at / US_PER_S);
    st->last_at = ch->at_us;
    int rc = 0;
    if (um) {
        mark = path_key(c, "update_mapping");
        rc = schedule_mapping(c, st, um, &ch->mapping);
        path_pop(c, mark);
    }
    if (!rc && uf) {
        mark = path_key(c, "update_function");
        rc = schedule_function(c, st, uf, &ch->function);
        path_pop(c, mark);
    }
    return rc;
}

static int parse_schedule_list(struct ctx *c, const cJSON *root, struct scenario *s)
{
    struct schedule_state st = {
        .s = s,
        .mapping = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(root, "event_source_mapping"), 1),
        .function = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(root, "function"), 1),
    };
    int rc = get_list(c, root, "schedule", sizeof *s->cfg.schedule, &s->cfg.schedule, &s->cfg.n_schedule,
                      parse_schedule, &st);
    cJSON_Delete(st.mapping);
    cJSON_Delete(st.function);
    return rc;
}

/* ---- producers and records --------------------------------------------- */

static const char *const PRODUCER_KEYS[] = {
    "name", "rate", "arrival", "keys", "record_bytes", "put", "table", "start", "stop", "bursts",
    NULL };
static const char *const TABLE_KEYS[] = { "remove_share", NULL };
static const char *const EVENT_NAMES[] = { "INSERT", "MODIFY", "REMOVE", NULL };   /* by enum lev_ddb_event */
static const char *const KEYS_KEYS[] = { "count", "distribution", "s", "prefix", "list", NULL };
static const char *const PUT_KEYS[] = { "api", "max_records", "linger", "retry", NULL };
static const char *const RETRY_KEYS[] = { "mode", "max_attempts", "backoff", "base", "max", "jitter", NULL };
static const char *const BURST_KEYS[] = { "at", "for", "multiplier", NULL };
static const char *const ARRIVALS[] = { "constant", "poisson", NULL };
static const char *const KEY_DISTS[] = { "uniform", "zipf", NULL };
static const char *const PUT_APIS[] = { "PutRecords", "PutRecord", NULL };
static const char *const RETRY_MODES[] = { "failed-only", "all", "none", NULL };
static const char *const BACKOFFS[] = { "constant", "linear", "exponential", NULL };

static int parse_key_list(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    char **key = elem;
    if (check_printable(c, NULL, v))
        return -1;
    if (!cJSON_IsString(v) || !text_ok(v->valuestring, &PARTITION_KEY))
        return expected(c, NULL, PARTITION_KEY.what, v);
    return (*key = strdup(v->valuestring)) ? 0 : nomem(c);
}

/* keys: {count, prefix} or {list}, drawn uniformly or by Zipf. */
static int parse_keys(struct ctx *c, const cJSON *p, struct cfg_keys *k)
{
    const cJSON *o;
    size_t mark;
    int dist = 0;
    int64_t count = 0;
    if (enter(c, p, "keys", REQ, KEYS_KEYS, &o, &mark))
        return -1;
    int rc = get_enum(c, o, "distribution", OPT, KEY_DISTS, 0, &dist) ||
        get_number(c, o, "s", OPT, 0, true, HUGE_VAL, 1.0, &k->zipf_s) ||
        get_list(c, o, "list", sizeof *k->list, &k->list, &k->n_list, parse_key_list, NULL) ||
        get_int(c, o, "count", OPT, 1, UINT32_MAX - 1, 0, &count) ||
        (!!item(o, "count") == !!item(o, "list")
             ? fail(c, NULL, "expected exactly one of: count, list") : 0) ||
        (item(o, "list") && item(o, "prefix") ? fail(c, "prefix", "only with count") : 0) ||
        (item(o, "list") && !k->n_list ? fail(c, "list", "expected at least one key") : 0) ||
        get_string(c, o, "prefix", OPT, &ANY_TEXT, item(o, "list") ? NULL : "key-", &k->prefix);
    /* the longest generated key, prefix + "count-1", must be a valid partition key */
    char last[24];
    snprintf(last, sizeof last, "%lld", (long long)(rc ? 0 : count - 1));
    if (!rc && k->prefix && text_length(k->prefix, true) + strlen(last) > MAX_KEY_CHARS)
        rc = fail(c, "prefix", "too long: prefix + key number must be at most %d characters",
                  MAX_KEY_CHARS);
    path_pop(c, mark);
    k->distribution = (enum cfg_key_dist)dist;
    k->count = k->list ? 0 : (uint32_t)count;
    return rc ? -1 : 0;
}

static int parse_retry(struct ctx *c, const cJSON *put, struct cfg_retry *r)
{
    const cJSON *o;
    size_t mark;
    int mode = 0, backoff = 0;
    int64_t attempts = 1;
    if (enter(c, put, "retry", OPT, RETRY_KEYS, &o, &mark))
        return -1;
    int rc = get_enum(c, o, "mode", OPT, RETRY_MODES, 0, &mode) ||
        get_int(c, o, "max_attempts", OPT, 1, 1000000, 3, &attempts) ||
        get_enum(c, o, "backoff", OPT, BACKOFFS, 2, &backoff) ||
        get_duration(c, o, "base", OPT, 0, MAX_DURATION_US, 100 * US_PER_MS, &r->base_us) ||
        get_duration(c, o, "max", OPT, 0, MAX_DURATION_US, 10 * US_PER_S, &r->max_us) ||
        get_bool(c, o, "jitter", true, &r->jitter);
    path_pop(c, mark);
    r->mode = (enum cfg_retry_mode)mode;
    r->max_attempts = (uint32_t)attempts;
    r->backoff = (enum cfg_backoff)backoff;
    return rc ? -1 : 0;
}

static int parse_put(struct ctx *c, const cJSON *p, const struct cfg_stream *st,
                     struct cfg_producer *pr)
{
    const cJSON *o;
    size_t mark;
    int api = 0;
    int64_t max_records = 1;
    if (enter(c, p, "put", OPT, PUT_KEYS, &o, &mark))
        return -1;
    int rc = get_enum(c, o, "api", OPT, PUT_APIS, 0, &api) ||
        get_int(c, o, "max_records", OPT, 1, 500, st->max_request_records, &max_records) ||
        (max_records > st->max_request_records
             ? fail(c, "max_records", "expected at most stream.limits.max_request_records (%u)",
                    st->max_request_records) : 0) ||
        get_duration(c, o, "linger", OPT, 0, MAX_DURATION_US, 100 * US_PER_MS, &pr->linger_us) ||
        parse_retry(c, o, &pr->retry);
    path_pop(c, mark);
    pr->api = (enum cfg_put_api)api;
    pr->max_records = api == CFG_PUT_RECORD ? 1 : (uint32_t)max_records;   /* one record per PutRecord */
    return rc ? -1 : 0;
}

/*
 * How a producer writes: PutRecords (put) on Kinesis; on a DynamoDB table,
 * each item at once, alone, never refused so never retried, and a delete
 * with the chance table.remove_share (SPEC 1.2).
 */
static int parse_writes(struct ctx *c, const cJSON *v, const struct scenario *s,
                        struct cfg_producer *p)
{
    const cJSON *o;
    size_t mark;
    if (stream_type_only(c, v, "put", s, CFG_STREAM_KINESIS, "a DynamoDB table's items are written one at a "
                         "time, at once (PutItem, UpdateItem, DeleteItem)") ||
        stream_type_only(c, v, "table", s, CFG_STREAM_DYNAMODB, "a Kinesis stream has no items to remove"))
        return -1;
    if (!is_dynamodb(s))
        return parse_put(c, v, &s->cfg.stream, p);
    if (enter(c, v, "table", OPT, TABLE_KEYS, &o, &mark))
        return -1;
    int rc = get_number(c, o, "remove_share", OPT, 0, false, 1, 0, &p->remove_share);
    path_pop(c, mark);
    p->api = CFG_PUT_RECORD;
    p->max_records = 1;
    p->linger_us = 0;
    p->retry = (struct cfg_retry){ .mode = CFG_RETRY_NONE, .max_attempts = 1 };
    return rc ? -1 : 0;
}

static int parse_burst(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct cfg_burst *b = elem;
    int rc = elem_object(c, v, BURST_KEYS) ||
        get_duration(c, v, "at", REQ, 0, MAX_DURATION_US, 0, &b->at_us) ||
        get_duration(c, v, "for", REQ, 1, MAX_DURATION_US, 0, &b->for_us) ||
        get_number(c, v, "multiplier", REQ, 0, false, HUGE_VAL, 0, &b->multiplier);
    return rc ? -1 : 0;
}

/* ---- rates: a number, a series, or a file of one (issue 14 item 1) ------- */

static const char *const RATE_KEYS[] = { "series", "file", NULL };
static const char *const RATE_POINT_KEYS[] = { "at", "rate", NULL };
#define MAX_RATE_POINTS 1000000   /* a day of seconds, or two years of minutes, ten times over */

static char *read_text_file(const char *path, const char *what, size_t *len, char *err, size_t errlen);

/* One piece of rate.series; *arg counts the pieces read before it. */
static int parse_rate_point(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct cfg_rate_point *pt = elem;
    size_t *n = arg;
    char a[32], buf[80];
    if (elem_object(c, v, RATE_POINT_KEYS) ||
        get_duration(c, v, "at", REQ, 0, MAX_DURATION_US, 0, &pt->at_us) ||
        get_number(c, v, "rate", REQ, 0, false, HUGE_VAL, 0, &pt->rate))
        return -1;
    if (*n == 0 && pt->at_us != 0)
        return fail(c, "at", "expected 0 (\"0s\": the first piece starts the run), got %s",
                    describe(item(v, "at"), buf));
    if (*n > 0 && pt->at_us <= pt[-1].at_us)
        return fail(c, "at", "expected a time after the previous piece's %s (times strictly "
                    "increasing), got %s", fmt_us(pt[-1].at_us, a), describe(item(v, "at"), buf));
    (*n)++;
    return 0;
}

/* The path of a file named in the scenario: as given when absolute, else
 * beside the scenario file (NULL when out of memory). */
static char *beside_scenario(const struct ctx *c, const char *name)
{
    const char *slash = strrchr(c->file, '/');
    if (name[0] == '/' || !slash)
        return strdup(name);
    return fmt_dup("%.*s/%s", (int)(slash - c->file), c->file, name);
}

/* Spaces and tabs off both ends of [*b, *e). */
static void trim(const char **b, const char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t'))
        (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

/* A decimal number that is all of [b, e): digits with an optional fraction. */
static bool decimal_field(const char *b, const char *e, uint64_t max, double *out)
{
    char buf[48];
    uint64_t whole;
    double frac;
    const char *p = buf;
    if (e - b <= 0 || e - b >= (ptrdiff_t)sizeof buf)
        return false;
    memcpy(buf, b, (size_t)(e - b));
    buf[e - b] = '\0';
    if (!read_decimal(&p, max, &whole, &frac) || *p)
        return false;
    *out = (double)whole + frac;
    return true;
}

/*
 * A rate file's text (NUL-terminated, len bytes) into *out: lines
 * "seconds,rate", in time order from 0; blank lines and lines starting with
 * '#' are skipped; the first other line may be a header (it starts with a
 * letter or a quote).  Errors name the file and the line.
 */
static int parse_rate_csv(struct ctx *c, const char *path, const char *text, size_t len,
                          struct cfg_rate_point **out, size_t *n)
{
    size_t cap = 0, line = 0;
    bool content = false;
    char esc[120];
    if (memchr(text, '\0', len))
        return fail(c, "file", "%s: expected text lines \"seconds,rate\", got a NUL byte", path);
    for (const char *p = text; *p;) {
        const char *eol = p + strcspn(p, "\n"), *b = p, *e = eol;
        p = *eol ? eol + 1 : eol;
        line++;
        trim(&b, &e);
        if (b == e || *b == '#')
            continue;
        const char *comma = memchr(b, ',', (size_t)(e - b));
        if (!content && (isalpha((unsigned char)*b) || *b == '"')) {   /* a header: "seconds,rate" */
            content = true;
            continue;
        }
        content = true;
        const char *sb = b, *se = comma ? comma : e, *rb = comma ? comma + 1 : e, *re = e;
        trim(&sb, &se);
        trim(&rb, &re);
        double secs, rate;
        int64_t at;
        int shown = e - b > 60 ? 60 : (int)(e - b);
        if (!comma || memchr(rb, ',', (size_t)(re - rb)) ||
            !decimal_field(sb, se, (uint64_t)(MAX_DURATION_US / US_PER_S), &secs) || !to_us(secs, &at) ||
            !decimal_field(rb, re, (uint64_t)MAX_EXACT_INT, &rate))
            return fail(c, "file", "%s, line %zu: expected \"seconds,rate\" (two decimal numbers "
                        "such as 300,1250.5), got \"%s\"", path, line,
                        escape(esc, sizeof esc, b, (size_t)shown, false));
        if (*n == 0 && at != 0)
            return fail(c, "file", "%s, line %zu: expected the first time to be 0 (the first "
                        "piece starts the run), got %.*s", path, line, (int)(se - sb), sb);
        if (*n > 0 && at <= (*out)[*n - 1].at_us)
            return fail(c, "file", "%s, line %zu: expected a time after the previous line's %.6g s "
                        "(times strictly increasing), got %.*s", path, line,
                        (double)(*out)[*n - 1].at_us / US_PER_S, (int)(se - sb), sb);
        if (*n == MAX_RATE_POINTS)
            return fail(c, "file", "%s, line %zu: more than %d pieces, the most a rate series may "
                        "hold", path, line, MAX_RATE_POINTS);
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            struct cfg_rate_point *grown = realloc(*out, cap * sizeof *grown);
            if (!grown)
                return nomem(c);
            *out = grown;
        }
        (*out)[(*n)++] = (struct cfg_rate_point){ .at_us = at, .rate = rate };
    }
    if (*n == 0)
        return fail(c, "file", "%s: expected lines \"seconds,rate\", got no data line", path);
    return 0;
}

/* The series as {"series": [...]}, or NULL when out of memory. */
static cJSON *series_json(const struct cfg_rate_point *pts, size_t n)
{
    cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "series");
    char at[32];
    for (size_t i = 0; a && i < n; i++) {
        cJSON *pt = cJSON_CreateObject();
        if (!cJSON_AddItemToArray(a, pt) || !cJSON_AddStringToObject(pt, "at", fmt_us(pts[i].at_us, at)) ||
            !cJSON_AddNumberToObject(pt, "rate", pts[i].rate))
            a = NULL;
    }
    if (!a) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/*
 * rate.file: read the file (beside the scenario) into p's series, and put
 * the series in its place in the tree, so that the effective scenario
 * (runs.scenario_json, which report and plot read again) holds the traffic
 * itself: it runs alone, and a changed file is a changed scenario.
 */
static int read_rate_file(struct ctx *c, const cJSON *producer, const cJSON *rate,
                          struct cfg_producer *p)
{
    char *name = NULL, *path = NULL, *text = NULL, msg[600];
    size_t len = 0;
    int rc = -1;
    if (get_string(c, rate, "file", REQ, &NONEMPTY, NULL, &name))
        return -1;
    if (!(path = beside_scenario(c, name))) {
        rc = nomem(c);
    } else if (!(text = read_text_file(path, "rate file", &len, msg, sizeof msg))) {
        rc = fail(c, "file", "%s", msg);
    } else if (parse_rate_csv(c, path, text, len, &p->series, &p->n_series) == 0) {
        /* the loader's own tree: the rate object gives way to the series */
        cJSON *inline_rate = series_json(p->series, p->n_series);
        if (!inline_rate || !cJSON_ReplaceItemInObjectCaseSensitive((cJSON *)producer, "rate", inline_rate)) {
            cJSON_Delete(inline_rate);
            rc = nomem(c);
        } else {
            c->inlined = true;
            rc = 0;
        }
    }
    free(name);
    free(path);
    free(text);
    return rc;
}

/* rate: records per second, a number > 0 or a piecewise-constant series,
 * {"series": [{"at", "rate"}, ...]} or {"file": "NAME.csv"}. */
static int parse_rate(struct ctx *c, const cJSON *producer, struct cfg_producer *p)
{
    static const char what[] = "records per second: a number > 0, or an object with series or file";
    const cJSON *v = item(producer, "rate"), *o, *list;
    size_t mark;
    if (!v)
        return fail(c, "rate", "missing required key (expected %s)", what);
    if (cJSON_IsNumber(v))
        return get_number(c, producer, "rate", REQ, 0, true, HUGE_VAL, 0, &p->rate);
    if (!cJSON_IsObject(v))
        return expected(c, "rate", what, v);
    if (enter(c, producer, "rate", REQ, RATE_KEYS, &o, &mark))
        return -1;
    int rc = 0;
    size_t n = 0;
    p->rate = 0;
    if (!!item(o, "series") == !!item(o, "file"))
        rc = fail(c, NULL, "expected exactly one of: series, file");
    else if (item(o, "file"))
        rc = read_rate_file(c, producer, o, p);
    else if (get_array(c, o, "series", REQ, &list))
        rc = -1;
    else if (cJSON_GetArraySize(list) == 0 || cJSON_GetArraySize(list) > MAX_RATE_POINTS)
        rc = fail(c, "series", "expected 1 to %d pieces {\"at\": duration, \"rate\": number >= 0}, "
                  "got %d", MAX_RATE_POINTS, cJSON_GetArraySize(list));
    else
        rc = get_list(c, o, "series", sizeof *p->series, &p->series, &p->n_series,
                      parse_rate_point, &n);
    path_pop(c, mark);
    return rc ? -1 : 0;
}

static int parse_producer(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct scenario *s = arg;
    struct cfg_producer *p = elem;
    int arrival = 0;
    if (elem_object(c, v, PRODUCER_KEYS) ||
        get_string(c, v, "name", REQ, &PRODUCER_NAME, NULL, &p->name))
        return -1;
    if (strcmp(p->name, EXPLICIT_PRODUCER) == 0)
        return fail(c, "name", "\"%s\" is reserved for the explicit records", EXPLICIT_PRODUCER);
    for (struct cfg_producer *q = s->cfg.producers; q < p; q++)
        if (strcmp(q->name, p->name) == 0)
            return fail(c, "name", "a producer named \"%s\" comes before: names must be unique", p->name);
    int rc = parse_rate(c, v, p) ||
        get_enum(c, v, "arrival", OPT, ARRIVALS, 1, &arrival) ||
        parse_keys(c, v, &p->keys) ||
        get_dist(c, v, "record_bytes", OPT, QTY_BYTES, 100, &p->record_bytes) ||
        parse_writes(c, v, s, p) ||
        get_duration(c, v, "start", OPT, 0, MAX_DURATION_US, 0, &p->start_us) ||
        get_duration(c, v, "stop", OPT, p->start_us, MAX_DURATION_US,
                     s->cfg.duration_us > p->start_us ? s->cfg.duration_us : p->start_us, &p->stop_us) ||
        get_list(c, v, "bursts", sizeof *p->bursts, &p->bursts, &p->n_bursts, parse_burst, NULL);
    p->arrival = (enum cfg_arrival)arrival;
    return rc ? -1 : 0;
}

static const char *const RECORD_KEYS[] = { "at", "partition_key", "data", "event", NULL };

/* An explicit record; on a DynamoDB table, a write of the item partition_key,
 * with the stream record's eventName when event is given. */
static int parse_record(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct scenario *s = arg;
    struct cfg_record *r = elem;
    int event = 0;
    if (elem_object(c, v, RECORD_KEYS) ||
        get_duration(c, v, "at", REQ, 0, s->cfg.duration_us, 0, &r->at_us) ||
        get_string(c, v, "partition_key", REQ, &PARTITION_KEY, NULL, &r->partition_key) ||
        get_string(c, v, "data", OPT, &DATA, "", &r->data) ||
        stream_type_only(c, v, "event", s, CFG_STREAM_DYNAMODB, "a Kinesis record has no event name") ||
        get_enum(c, v, "event", OPT, EVENT_NAMES, 0, &event))
        return -1;
    r->has_event = item(v, "event") != NULL;
    r->event = (enum lev_ddb_event)event;
    size_t bytes = strlen(r->data) + strlen(r->partition_key);
    if (bytes > s->cfg.stream.max_record_bytes && is_dynamodb(s))
        return fail(c, "data", "%zu bytes with the item's key, over DynamoDB's 400 KB item limit "
                    "(%u bytes with the attribute names \"%s\" and \"%s\")", bytes,
                    LEV_DDB_MAX_ITEM_BYTES, LEV_DDB_KEY_ATTRIBUTE, LEV_DDB_DATA_ATTRIBUTE);
    if (bytes > s->cfg.stream.max_record_bytes)
        return fail(c, "data", "%zu bytes with the partition key, over stream.limits.max_record_bytes "
                    "(%llu)", bytes, (unsigned long long)s->cfg.stream.max_record_bytes);
    return 0;
}

/* ---- what is not simulated yet ----------------------------------------- */

/*
 * Features this version parses and validates but does not simulate: refused
 * here, never silently ignored.  An issue that implements one deletes its line.
 */
/* A schedule entry that changes the window width, or the lanes (and so
 * which state a key's records go to) while windows are on. */
static bool tumbling_changes(const struct scenario *s)
{
    for (size_t i = 0; i < s->cfg.n_schedule; i++) {
        const struct cfg_mapping *m = s->cfg.schedule[i].mapping;
        if (m && (m->tumbling_window_us != s->cfg.mapping.tumbling_window_us ||
                  (m->tumbling_window_us > 0 &&
                   m->parallelization_factor != s->cfg.mapping.parallelization_factor)))
            return true;
    }
    return false;
}

static int reject_unsimulated(struct ctx *c, const struct scenario *s)
{
    const struct { bool used; const char *path, *what; } features[] = {
        { tumbling_changes(s), "$.schedule", "a scheduled change of TumblingWindowInSeconds, or of "
          "ParallelizationFactor with tumbling windows, is" },
        { c->filters, "$.event_source_mapping.FilterCriteria",
          "event filtering (FilterCriteria.Filters) is" },
        { c->s3_destination, "$.event_source_mapping.DestinationConfig.OnFailure.Destination",
          "an S3 OnFailure destination is" },
    };
    for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
        if (!features[i].used)
            continue;
        snprintf(c->path, sizeof c->path, "%s", features[i].path);
        c->plen = strlen(c->path);
        return fail(c, NULL, "%s not simulated yet", features[i].what);
    }
    return 0;
}

/* ---- memory ------------------------------------------------------------- */

/* A count for people: "2,880,000", or "3.6e+15" past what an integer holds. */
static const char *fmt_amount(double n, char buf[32])
{
    if (n < 9e18)
        return fmt_count((int64_t)n, buf);
    snprintf(buf, 32, "%.2g", n);
    return buf;
}

/*
 * Refuse a scenario whose run needs more memory than model.memory_limit
 * (by default what fpt_available() finds) even when its mapping keeps up,
 * before it runs (issue 11 item 15): the estimate and its parts in the
 * message, at the path of the setting that weighs most.  A run that needs
 * more as it goes (its mapping stalls) is stopped by the limit then
 * (sim_set_memory_budget).
 */
static int check_footprint(struct ctx *c, const struct scenario *s)
{
    struct fpt_estimate est;
    fpt_estimate(s, FPT_KEEPING_UP, &est);
    if (est.keys > MAX_KEYS) {
        snprintf(c->path, sizeof c->path, "$.producers");
        c->plen = strlen(c->path);
        char n[32];
        return fail(c, NULL, "the run may meet %s distinct partition keys, more than the %.0f a run "
                    "can hold: use smaller key spaces", fmt_amount(est.keys, n), MAX_KEYS);
    }
    if (!s->cfg.model.memory_limit || est.total <= (double)s->cfg.model.memory_limit)
        return 0;
    int top = 0;
    for (int i = 1; i < FPT_PARTS; i++)
        if (est.bytes[i] > est.bytes[top])
            top = i;
    size_t p = est.top_producer;
    if ((top == FPT_MESSAGES || top == FPT_RECORDS || top == FPT_REQUESTS) && p != SIZE_MAX)
        snprintf(c->path, sizeof c->path, "$.producers[%zu].%s", p, top == FPT_REQUESTS ? "put" : "rate");
    else if (top == FPT_KEYS && p != SIZE_MAX)
        snprintf(c->path, sizeof c->path, "$.producers[%zu].keys", p);
    else if (top == FPT_SHARDS)
        snprintf(c->path, sizeof c->path, "$.stream");
    else if (top == FPT_SCENARIO && s->cfg.n_records)
        snprintf(c->path, sizeof c->path, "$.records");
    else   /* the program itself, or a scenario file: the limit is what is too small */
        snprintf(c->path, sizeof c->path, "$.model.memory_limit");
    c->plen = strlen(c->path);
    /* each part, with what it counts */
    char total[32], limit[32], parts[600] = "", n[32], b[32];
    size_t used = 0;
    for (int i = 0; i < FPT_PARTS && used < sizeof parts; i++) {
        int k = snprintf(parts + used, sizeof parts - used, "%s%s %s", i ? ", " : "",
                         fpt_part_name((enum fpt_part)i), fmt_bytes(est.bytes[i], b));
        used += k > 0 ? (size_t)k : 0;
        if (used >= sizeof parts)
            break;
        k = i == FPT_MESSAGES ? snprintf(parts + used, sizeof parts - used, " (%s held at once: those "
                                         "created within %.0f s)", fmt_amount(est.messages, n), est.window_s)
          : i == FPT_RECORDS ? snprintf(parts + used, sizeof parts - used, " (%s, written within %.0f s)",
                                        fmt_amount(est.records, n), est.hold_s)
          : i == FPT_KEYS ? snprintf(parts + used, sizeof parts - used, " (%s met, of key spaces of %s)",
                                     fmt_amount(est.keys, n), fmt_amount(est.key_space, b))
          : i == FPT_SHARDS ? snprintf(parts + used, sizeof parts - used, " (%s)", fmt_amount(est.shards, n))
          : 0;
        used += k > 0 ? (size_t)k : 0;
    }
    return fail(c, NULL, "this run needs %s of memory even if the mapping keeps up, more "
                "than the %s allowed (%s%s); by part: %s (docs/scenario.md, \"Memory\")",
                fmt_bytes(est.total, total), fmt_bytes((double)s->cfg.model.memory_limit, limit),
                s->cfg.model.memory_limit_from,
                strcmp(s->cfg.model.memory_limit_from, "model.memory_limit") ? "; model.memory_limit sets it"
                                                                          : "",
                parts);
}

/* ---- the whole file ---------------------------------------------------- */

/* One bound of metric: an integer for a count (1.5 messages would never
 * match), else a finite number >= 0. */
static int get_bound(struct ctx *c, const cJSON *obj, const char *key, bool req,
                     const char *metric, double def, double *out)
{
    if (!summary_is_count(metric))
        return get_number(c, obj, key, req, 0, false, HUGE_VAL, def, out);
    int64_t n = 0;
    if (get_int(c, obj, key, req, 0, (int64_t)MAX_EXACT_INT, 0, &n))
        return -1;
    *out = item(obj, key) ? (double)n : def;
    return 0;
}

/*
 * "expect": { "messages_lost": 0, "redelivered_records": { "min": 1 } }: a
 * number is an exact count, an object gives bounds (at least one).
 */
static int parse_expect(struct ctx *c, const cJSON *root, struct scenario *s)
{
    static const char *const bound_keys[] = { "min", "max", NULL };
    const cJSON *ex;
    size_t mark;
    if (enter(c, root, "expect", OPT, summary_names(), &ex, &mark))
        return -1;
    int rc = 0;
    size_t n = (size_t)cJSON_GetArraySize(ex);
    if (n > 0 && !(s->expect = calloc(n, sizeof *s->expect)))
        rc = fail(c, NULL, "out of memory");
    for (const cJSON *v = ex ? ex->child : NULL; v && !rc; v = v->next) {
        struct scn_expect *e = &s->expect[s->n_expect];
        if (!(e->metric = strdup(v->string))) {
            rc = fail(c, NULL, "out of memory");
            break;
        }
        s->n_expect++;
        if (cJSON_IsNumber(v)) {
            rc = get_bound(c, ex, v->string, REQ, e->metric, 0, &e->min);
            e->max = e->min;
            continue;
        }
        if (!cJSON_IsObject(v)) {
            rc = expected(c, v->string, summary_is_count(e->metric)
                          ? "a count, or an object with min and/or max"
                          : "a number, or an object with min and/or max", v);
            break;
        }
        size_t inner = path_key(c, v->string);
        rc = check_keys(c, v, bound_keys, NULL) ||
             get_bound(c, v, "min", OPT, e->metric, 0, &e->min) ||
             get_bound(c, v, "max", OPT, e->metric, HUGE_VAL, &e->max);
        if (!rc && !item(v, "min") && !item(v, "max"))
            rc = fail(c, NULL, "expected min and/or max");
        else if (!rc && e->min > e->max)
            rc = fail(c, NULL, "expected min <= max");
        path_pop(c, inner);
    }
    path_pop(c, mark);
    return rc ? -1 : 0;
}

/* ---- text of every string ---------------------------------------------- */

/* Rewrite each \u0000 escape of text's strings to NUL_MARK "0000" (see
 * NUL_MARK), in place. */
static void mark_nul_escapes(char *text)
{
    bool in_string = false;
    for (char *p = text; *p; p++) {
        if (*p == '"') {
            in_string = !in_string;
        } else if (in_string && *p == '\\') {
            if (strncmp(p + 1, "u0000", 5) == 0)
                memcpy(p, NUL_MARK, 2);
            if (!*++p)       /* the escaped character is never a quote that ends the string */
                break;
        }
    }
}

/* cJSON_Parse of text, its \u0000 escapes marked (see NUL_MARK); end as
 * cJSON_ParseWithOpts gives it, in text. */
static cJSON *parse_marked(const char *text, const char **end)
{
    if (!strstr(text, "\\u0000"))
        return cJSON_ParseWithOpts(text, end, 1);
    char *copy = strdup(text);
    if (!copy)
        return NULL;
    mark_nul_escapes(copy);
    const char *stop = NULL;
    cJSON *root = cJSON_ParseWithOpts(copy, &stop, 1);
    if (end)
        *end = stop ? text + (stop - copy) : NULL;
    free(copy);
    return root;
}

/* Why s cannot be read as text: "" when it is UTF-8 without U+0000. */
static const char *not_text(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0, n; i < len; i += n) {
        uint32_t cp;
        if ((n = utf8_next(u + i, len - i, &cp)) == 0)
            return len - i >= 2 && memcmp(s + i, NUL_MARK, 2) == 0
                       ? "text without U+0000 (\\u0000 would cut it short)" : "UTF-8 text";
    }
    return "";
}

/*
 * Every key and string of the tree is UTF-8 without U+0000, whatever it is
 * used for: a run log stores the scenario as JSON, and messages, summaries
 * and charts print its names.
 */
static int check_utf8(struct ctx *c, const cJSON *v)
{
    const char *why;
    char buf[80];
    if (cJSON_IsString(v) && *(why = not_text(v->valuestring)))
        return fail(c, NULL, "expected %s, got %s", why, describe(v, buf));
    size_t i = 0;
    for (const cJSON *k = cJSON_IsArray(v) || cJSON_IsObject(v) ? v->child : NULL; k; k = k->next, i++) {
        if (cJSON_IsObject(v) && *(why = not_text(k->string)))
            return fail(c, k->string, "expected a key in %s", why);
        size_t mark = cJSON_IsObject(v) ? path_key(c, k->string) : path_index(c, i);
        int rc = check_utf8(c, k);
        path_pop(c, mark);
        if (rc)
            return -1;
    }
    return 0;
}

static int parse_scenario(struct ctx *c, const cJSON *root, struct scenario *s)
{
    const cJSON *o;
    size_t mark;
    if (!cJSON_IsObject(root))
        return expected(c, NULL, "an object", root);
    if (check_utf8(c, root) || check_keys(c, root, TOP_KEYS, NULL) ||
        get_string(c, root, "name", REQ, &NONEMPTY, NULL, &s->name) ||
        get_string(c, root, "description", OPT, &ANY_TEXT, NULL, &s->description) ||
        get_seed(c, root, &s->cfg.seed) ||
        get_duration(c, root, "duration", REQ, 1, MAX_DURATION_US, 0, &s->cfg.duration_us) ||
        parse_model(c, root, &s->cfg.model, &s->cfg.stream.on_demand) ||
        parse_stream(c, root, s) ||
        parse_function(c, root, &s->cfg.function) ||
        get_object(c, root, "event_source_mapping", REQ, &o))
        return -1;
    mark = path_key(c, "event_source_mapping");
    int rc = parse_mapping(c, o, s, &s->cfg.mapping, false);
    path_pop(c, mark);
    if (rc || get_list(c, root, "producers", sizeof *s->cfg.producers, &s->cfg.producers, &s->cfg.n_producers,
                       parse_producer, s) ||
        get_list(c, root, "records", sizeof *s->cfg.records, &s->cfg.records, &s->cfg.n_records,
                 parse_record, s))
        return -1;
    static const char *const log_keys[] = { "per_record", NULL };
    const cJSON *log;
    if (enter(c, root, "log", OPT, log_keys, &log, &mark))
        return -1;
    rc = get_bool(c, log, "per_record", true, &s->per_record_tables);
    path_pop(c, mark);
    if (rc || parse_schedule_list(c, root, s) ||
        parse_expect(c, root, s) || reject_unsimulated(c, s))
        return -1;
    if (c->inlined) {   /* the effective scenario holds the rate files' series */
        free(s->json);
        if (!(s->json = cJSON_PrintUnformatted(root)))
            return nomem(c);
    }
    return check_footprint(c, s);
}

/* ---- overrides --------------------------------------------------------- */

/*
 * The value of an override: JSON when it parses, else the text as a string
 * (so `duration=2h` works).  A bare integer too large for a double to hold
 * exactly stays a string, which `seed` accepts.
 */
static cJSON *override_value(const char *text)
{
    size_t n = strlen(text);
    if (n > 0 && n <= 20 && strspn(text, "0123456789") == n &&
        strtoull(text, NULL, 10) > (unsigned long long)MAX_EXACT_INT)
        return cJSON_CreateString(text);
    cJSON *v = parse_marked(text, NULL);
    return v ? v : cJSON_CreateString(text);
}

static int bad_override(struct ctx *c)
{
    path_pop(c, 0);
    return fail(c, NULL, "expected path=value, the path made of keys separated by dots and [N] "
                "indexes, such as producers[0].rate=2000");
}

/* Apply "a.b[2].c=value" to the tree: a missing object key on the way is
 * created empty, a missing array element is an error; the last step is
 * created (an object key, or an array index one past the end). */
static int apply_override(struct ctx *c, cJSON *root, const char *set, char **norm)
{
    const char *eq = strchr(set, '='), *p = set;
    c->setting = set;
    path_pop(c, 1);   /* back to "$" */
    if (!eq || eq == set)
        return bad_override(c);
    if (strncmp(p, "$.", 2) == 0)
        p += 2;
    if (p == eq)   /* "$.=5": no key to set */
        return bad_override(c);
    cJSON *cur = root, *parent = NULL;
    char key[256];
    long index = -1;
    size_t made = 0;    /* path length of the first object created, or 0 */
    while (p < eq) {
        size_t n = strcspn(p, ".[=");
        if (cur == NULL)   /* the previous step, not the last, named nothing */
            return fail(c, NULL, "no such key");
        parent = cur;
        if (*p == '[') {
            char *end;
            errno = 0;
            index = strtol(p + 1, &end, 10);
            if (!isdigit((unsigned char)p[1]) || *end != ']' || errno)
                return bad_override(c);
            if (!cJSON_IsArray(cur))
                return fail(c, NULL, "is %s, not an array", cJSON_IsObject(cur) ? "an object" : "a value");
            int size = cJSON_GetArraySize(cur);
            path_index(c, (size_t)index);
            if (index > size)   /* == size appends */
                return fail(c, NULL, "no such element (the array has %d)", size);
            cur = cJSON_GetArrayItem(cur, (int)index);
            p = end + 1;
        } else {
            if (n == 0 || n >= sizeof key)
                return bad_override(c);
            memcpy(key, p, n);
            key[n] = '\0';
            if (!cJSON_IsObject(cur))
                return fail(c, NULL, "is %s, not an object", cJSON_IsArray(cur) ? "an array" : "a value");
            path_key(c, key);
            cur = cJSON_GetObjectItemCaseSensitive(cur, key);
            /* a missing object on the way is made empty: --set model.x=1
             * works without a "model" in the file, and x is validated */
            if (!cur && p[n] == '.') {
                if (!(cur = cJSON_AddObjectToObject(parent, key)))
                    return nomem(c);
                if (made == 0)
                    made = c->plen;    /* errors inside it name the override */
            }
            index = -1;
            p += n;
        }
        if (*p == '.') {
            if (p + 1 >= eq || p[1] == '[' || p[1] == '.')
                return bad_override(c);
            p++;
        } else if (*p != '[' && *p != '=') {
            return bad_override(c);
        }
    }
    cJSON *v = override_value(eq + 1);
    if (!v)
        return nomem(c);
    bool ok = index >= 0 ? (cur ? cJSON_ReplaceItemInArray(parent, (int)index, v)
                                : cJSON_AddItemToArray(parent, v))
                         : (cur ? cJSON_ReplaceItemInObjectCaseSensitive(parent, key, v)
                                : cJSON_AddItemToObject(parent, key, v));
    if (!ok) {
        cJSON_Delete(v);
        return nomem(c);
    }
    *norm = strndup(c->path, made ? made : c->plen);
    return *norm ? 0 : nomem(c);
}

/* ---- entry points ------------------------------------------------------ */

/*
 * "invalid JSON at line 3, column 14 (near ...)".  cJSON stops just past the
 * character it could not take, so a stop at the end of a line is moved back
 * to that line's last character; the excerpt is a window of the line.
 */
static int bad_json(struct ctx *c, const char *text, const char *at, bool nul)
{
    if (*at == '\n' || *at == '\r')
        while (at > text && isspace((unsigned char)*at))
            at--;
    size_t line = 1, col = 1;
    const char *bol = text;
    for (const char *p = text; p < at; p++) {
        col++;
        if (*p == '\n') {
            line++;
            col = 1;
            bol = p + 1;
        }
    }
    const char *from = at - bol > 12 ? at - 12 : bol;
    size_t n = strcspn(from, "\r\n");
    char near[80] = " (unexpected end of input)", esc[64];
    if (nul)
        snprintf(near, sizeof near, " (a NUL byte)");
    else if (*at)
        snprintf(near, sizeof near, " (near `%s`)", escape(esc, sizeof esc, from, n < 25 ? n : 25, false));
    if (c->errlen)
        snprintf(c->err, c->errlen, "%s: invalid JSON at line %zu, column %zu%s", c->file, line, col, near);
    return -1;
}

struct scenario *scn_parse(const char *name, const char *text,
                           const char *const *overrides, size_t n_overrides,
                           char *err, size_t errlen)
{
    struct ctx c = { .file = name, .err = err, .errlen = errlen, .path = "$", .plen = 1,
                     .overrides = overrides };
    struct scenario *s = NULL;
    const char *end = NULL;
    if (errlen)
        err[0] = '\0';
    cJSON *root = parse_marked(text, &end);
    if (!root) {
        bad_json(&c, text, end ? end : text, false);
        return NULL;
    }
    if (n_overrides && !(c.set_paths = calloc(n_overrides, sizeof *c.set_paths))) {
        nomem(&c);
        goto out;
    }
    for (; c.n_set < n_overrides; c.n_set++)
        if (apply_override(&c, root, overrides[c.n_set], &c.set_paths[c.n_set]))
            goto out;
    c.setting = NULL;
    path_pop(&c, 1);
    if (!(s = calloc(1, sizeof *s)) || !(s->path = strdup(name)) ||
        !(s->json = cJSON_PrintUnformatted(root))) {
        nomem(&c);
        scn_free(s);
        s = NULL;
        goto out;
    }
    if (parse_scenario(&c, root, s)) {
        scn_free(s);
        s = NULL;
    }
out:
    for (size_t i = 0; c.set_paths && i < n_overrides; i++)
        free(c.set_paths[i]);
    free(c.set_paths);
    cJSON_Delete(root);
    return s;
}

struct scenario *scn_parse_bytes(const char *name, const char *text, size_t len,
                                 const char *const *overrides, size_t n_overrides,
                                 char *err, size_t errlen)
{
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        struct ctx c = { .file = name, .err = err, .errlen = errlen };
        bad_json(&c, text, nul, true);   /* cJSON would stop at the NUL and ignore the rest */
        return NULL;
    }
    return scn_parse(name, text, overrides, n_overrides, err, errlen);
}

/* What a file is, for "not a regular file (a directory)". */
static const char *file_kind(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a file";
}

/*
 * The text of path, at most MAX_SCENARIO_BYTES: a regular file, or a pipe
 * (`<(generate)`, /dev/stdin); a device such as /dev/zero, a directory or a
 * socket is refused before it is read.  what names the file in the message
 * for one too large ("scenario file").  NULL with err set.
 */
static char *read_text_file(const char *path, const char *what, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    char *text = NULL;
    int fd = -1, e = 0;
    /* stat first: opening a device or a FIFO may block or do something */
    if (stat(path, &st) != 0) {
        e = errno;
    } else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        snprintf(err, errlen, "%s: cannot read: not a regular file (%s)", path, file_kind(st.st_mode));
        return NULL;
    } else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        e = errno;
    } else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {   /* replaced since the stat */
        snprintf(err, errlen, "%s: cannot read: not a regular file (%s)", path, file_kind(st.st_mode));
        close(fd);
        return NULL;
    }
    size_t cap = 0;
    *len = 0;
    if (fd >= 0 && !e && S_ISREG(st.st_mode) && st.st_size > MAX_SCENARIO_BYTES)
        *len = (size_t)st.st_size;   /* too large: refused below, unread */
    while (fd >= 0 && !e) {
        if (*len > MAX_SCENARIO_BYTES)
            break;
        if (*len + 1 >= cap) {
            size_t want = cap ? 2 * cap : 65536;
            char *t = realloc(text, want = want > MAX_SCENARIO_BYTES + 2 ? MAX_SCENARIO_BYTES + 2 : want);
            if (!t) {
                e = ENOMEM;
                break;
            }
            text = t;
            cap = want;
        }
        ssize_t got = read(fd, text + *len, cap - *len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            e = errno;
        else if (got == 0)
            break;
        else
            *len += (size_t)got;
    }
    if (fd >= 0)
        close(fd);
    if (fd < 0 || e) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e ? e : EIO));
        free(text);
        return NULL;
    }
    if (*len > MAX_SCENARIO_BYTES) {
        snprintf(err, errlen, "%s: cannot read: larger than %d MiB, the most a %s may hold", path,
                 MAX_SCENARIO_BYTES >> 20, what);
        free(text);
        return NULL;
    }
    if (!text && !(text = malloc(1))) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(ENOMEM));
        return NULL;
    }
    text[*len] = '\0';
    return text;
}

bool scn_parse_time(const char *text, int64_t *epoch_us)
{
    return parse_iso8601(text, epoch_us);
}

char *scn_read_text(const char *path, size_t *len, char *err, size_t errlen)
{
    return read_text_file(path, "file", len, err, errlen);
}

void scn_json_error(const char *file, const char *text, size_t len, const char *at,
                    char *err, size_t errlen)
{
    struct ctx c = { .file = file, .err = err, .errlen = errlen };
    const char *nul = memchr(text, '\0', len);
    bad_json(&c, text, nul ? nul : at ? at : text, nul != NULL);
}

struct scenario *scn_load(const char *path, const char *const *overrides,
                          size_t n_overrides, char *err, size_t errlen)
{
    size_t len;
    char *text = read_text_file(path, "scenario file", &len, err, errlen);
    if (!text)
        return NULL;
    struct scenario *s = scn_parse_bytes(path, text, len, overrides, n_overrides, err, errlen);
    free(text);
    return s;
}

void scn_free(struct scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cfg.n_producers; i++) {
        struct cfg_producer *p = &s->cfg.producers[i];
        free(p->name);
        free(p->keys.prefix);
        for (size_t k = 0; k < p->keys.n_list; k++)
            free(p->keys.list[k]);
        free(p->keys.list);
        free_dist(&p->record_bytes);
        free(p->bursts);
        free(p->series);
    }
    free(s->cfg.producers);
    for (size_t i = 0; i < s->cfg.n_records; i++) {
        free(s->cfg.records[i].partition_key);
        free(s->cfg.records[i].data);
    }
    free(s->cfg.records);
    free_function(&s->cfg.function);
    free_mapping(&s->cfg.mapping);
    for (size_t i = 0; i < s->cfg.n_schedule; i++) {
        if (s->cfg.schedule[i].function)
            free_function(s->cfg.schedule[i].function);
        if (s->cfg.schedule[i].mapping)
            free_mapping(s->cfg.schedule[i].mapping);
        free(s->cfg.schedule[i].function);
        free(s->cfg.schedule[i].mapping);
    }
    free(s->cfg.schedule);
    for (size_t i = 0; i < s->n_expect; i++)
        free(s->expect[i].metric);
    free(s->expect);
    for (size_t i = 0; i < s->cfg.stream.n_reshard; i++) {
        free(s->cfg.stream.reshard[i].shard);
        free(s->cfg.stream.reshard[i].adjacent);
        free(s->cfg.stream.reshard[i].hash_key);
    }
    free(s->cfg.stream.reshard);
    free(s->cfg.stream.name);
    free(s->cfg.model.region);
    free(s->cfg.model.account);
    free(s->path);
    free(s->name);
    free(s->description);
    free(s->json);
    free(s);
}
