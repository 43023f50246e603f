/*
 * scenario_json.c - the scenario loader's way of reading JSON (SPEC section
 * 2): where it is (the path, "$.producers[0].keys"), the one-line messages
 * that name the file, the path, a --set that wrote it and what was expected
 * (scni_fail, scni_expected), the key set of each object with "did you
 * mean" (scni_check_keys), and the typed getters the sections read every
 * value with: integers, numbers, booleans, enums, strings under a text rule,
 * durations, ISO-8601 times, sizes, ARNs, objects, arrays and lists.  Also
 * the reading of a file named on the command line or in the scenario.
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

#include "fmt.h"
#include "scenario.h"
#include "scenario_int.h"

#define MAX_SCENARIO_BYTES (64 << 20)   /* a file past this is refused unread (/dev/zero) */

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
 * The length of the UTF-8 sequence at s (at most len bytes) and its code
 * point; 0 when it is not valid UTF-8 (a stray or missing continuation byte,
 * an overlong form, a surrogate, past U+10FFFF).
 */
size_t scni_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
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
char *scni_escape(char *dst, size_t cap, const char *src, size_t len, bool quotes)
{
    size_t o = 0, i = 0;
    const unsigned char *u = (const unsigned char *)src;
    while (i < len && src[i]) {
        unsigned char ch = u[i];
        char tmp[12];
        uint32_t cp = 0;
        size_t n = scni_utf8_next(u + i, strnlen(src + i, len - i), &cp);
        if (quotes && (ch == '"' || ch == '\\'))
            snprintf(tmp, sizeof tmp, "\\%c", ch);
        else if (ch == '\n' || ch == '\t' || ch == '\r')
            snprintf(tmp, sizeof tmp, "\\%c", ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r');
        else if (n == 0 && len - i >= 6 && IS_NUL_MARK(src + i))
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
size_t scni_path_key(struct ctx *c, const char *key)
{
    size_t mark = c->plen, room = sizeof c->path - c->plen;
    char esc[128];
    int n = is_ident(key) ? snprintf(c->path + c->plen, room, ".%s", key)
                          : snprintf(c->path + c->plen, room, "[\"%s\"]",
                                     scni_escape(esc, sizeof esc, key, SIZE_MAX, true));
    c->plen = n < 0 ? c->plen : (size_t)n >= room ? sizeof c->path - 1 : c->plen + (size_t)n;
    return mark;
}

size_t scni_path_index(struct ctx *c, size_t i)
{
    size_t mark = c->plen, room = sizeof c->path - c->plen;
    int n = snprintf(c->path + c->plen, room, "[%zu]", i);
    c->plen = n < 0 ? c->plen : (size_t)n >= room ? sizeof c->path - 1 : c->plen + (size_t)n;
    return mark;
}

void scni_path_pop(struct ctx *c, size_t mark)
{
    c->plen = mark;
    c->path[mark] = '\0';
}

long scni_override_at(char *const *set_paths, size_t n, const char *path)
{
    for (size_t i = n; i-- > 0;) {   /* the last one wins, as when they are applied */
        size_t len = strlen(set_paths[i]);
        if (strncmp(path, set_paths[i], len) == 0 &&
            (path[len] == '\0' || path[len] == '.' || path[len] == '['))
            return (long)i;
    }
    return -1;
}

/* The override that wrote the current path (or one of its parents), if any. */
static const char *blame(const struct ctx *c)
{
    if (c->setting)
        return c->setting;
    long i = scni_override_at(c->set_paths, c->n_set, c->path);
    return i < 0 ? NULL : c->overrides[i];
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

/* "FILE: [--set X: ]$.path[.key]: message"; returns -1 for `return scni_fail(...)`. */
int scni_fail(struct ctx *c, const char *key, const char *fmt, ...)
{
    if (!c->errlen)
        return -1;
    size_t mark = key ? scni_path_key(c, key) : c->plen, used = 0;
    const char *set = blame(c);
    c->err[0] = '\0';
    char esc[200];
    err_append(c, &used, "%s: ", c->file);
    if (set)   /* as the command line gave it, escaped like any text of the message */
        err_append(c, &used, "--set %s: ", scni_escape(esc, sizeof esc, set, SIZE_MAX, false));
    if (c->plen)   /* an override's syntax error has no path */
        err_append(c, &used, "%s: ", c->path);
    if (used < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + used, c->errlen - used, fmt, ap);
        va_end(ap);
    }
    scni_path_pop(c, mark);
    return -1;
}

int scni_nomem(struct ctx *c)
{
    return scni_fail(c, NULL, "out of memory");
}

/* A JSON value for "got ...": 0, 1.5, "abc", true, null, an object. */
const char *scni_describe(const cJSON *v, char buf[80])
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d))   /* 1e309: cJSON reads it as infinity */
            snprintf(buf, 80, "a number too large for a double (%sinfinite)", d < 0 ? "-" : "");
        else if (d == floor(d) && fabs(d) < 1e15)
            snprintf(buf, 80, "%.0f", d);
        else   /* not %g's six digits: "got 1" for 1.0000001 would contradict "from 0 to 1" */
            fmt_number(d, buf);
    } else if (cJSON_IsString(v)) {
        char esc[76];
        snprintf(buf, 80, "\"%s\"", scni_escape(esc, sizeof esc, v->valuestring, SIZE_MAX, true));
    } else {
        snprintf(buf, 80, "%s", cJSON_IsTrue(v) ? "true" : cJSON_IsFalse(v) ? "false"
                                : cJSON_IsNull(v) ? "null" : cJSON_IsArray(v) ? "an array"
                                : "an object");
    }
    return buf;
}

int scni_expected(struct ctx *c, const char *key, const char *what, const cJSON *got)
{
    char buf[80];
    return scni_fail(c, key, "expected %s, got %s", what, scni_describe(got, buf));
}

/* A duration for people: the largest of h, m, s, ms, us that divides it. */
const char *scni_fmt_us(int64_t us, char buf[32])
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

char *scni_fmt_dup(const char *fmt, ...)
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

bool scni_in_list(const char *const *list, const char *name)
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

/* Keys in order, the same key by where it comes. */
static int by_key_then_place(const void *a, const void *b)
{
    const char *const *x = *(const char *const *const *)a, *const *y = *(const char *const *const *)b;
    int d = strcmp(*x, *y);
    return d ? d : x < y ? -1 : x > y;
}

size_t scn_first_repeat(const char *const *keys, size_t n, bool *nomem)
{
    const char *const **at = n > 1 ? malloc(n * sizeof *at) : NULL;
    size_t first = n;
    *nomem = n > 1 && !at;
    for (size_t i = 0; i < n && at; i++)
        at[i] = &keys[i];
    if (at)   /* sorted: n log n, where each key against those before it is n^2 */
        qsort(at, n, sizeof *at, by_key_then_place);
    for (size_t i = 1; i < n && at; i++)
        if (strcmp(*at[i - 1], *at[i]) == 0 && (size_t)(at[i] - keys) < first)
            first = (size_t)(at[i] - keys);
    free(at);
    return first;
}

const char *scn_key_twice(const cJSON *obj, bool *nomem)
{
    const cJSON *k;
    size_t n = 0, i = 0;
    *nomem = false;
    cJSON_ArrayForEach(k, obj)
        n++;
    if (!cJSON_IsObject(obj) || n < 2)
        return NULL;
    const char **keys = malloc(n * sizeof *keys);
    if (!keys)
        return *nomem = true, NULL;
    cJSON_ArrayForEach(k, obj)
        keys[i++] = k->string;
    i = scn_first_repeat(keys, n, nomem);
    const char *twice = i < n ? keys[i] : NULL;
    free(keys);
    return twice;
}

/* No key of obj (free-form keys: env) twice. */
int scni_check_unique(struct ctx *c, const cJSON *obj)
{
    bool nomem;
    const char *twice = scn_key_twice(obj, &nomem);
    return nomem ? scni_nomem(c) : twice ? scni_fail(c, twice, "duplicate key") : 0;
}

/*
 * Every key of obj must be in allowed (listed in the message) or in ignored
 * (accepted silently: the read-only fields of AWS output); no key twice,
 * since cJSON would quietly use the first (a key is compared with those
 * before it: the allowed keys are few, so a duplicate or an unknown key
 * comes soon).
 */
int scni_check_keys(struct ctx *c, const cJSON *obj, const char *const *allowed,
                    const char *const *ignored)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, obj) {
        for (const cJSON *prev = obj->child; prev != k; prev = prev->next)
            if (strcmp(prev->string, k->string) == 0)
                return scni_fail(c, k->string, "duplicate key");
        if (scni_in_list(allowed, k->string) || scni_in_list(ignored, k->string))
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
        return scni_fail(c, k->string, "unknown key (expected one of: %s)%s", list, hint);
    }
    return 0;
}

/* ---- typed getters ------------------------------------------------------
 * Each reads obj[key] (obj may be NULL: an absent section), stores the
 * default when the key is absent and not required, and reports a wrong type
 * or range with the path and what was expected. */

const cJSON *scni_item(const cJSON *obj, const char *key)
{
    return obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

int scni_lookup(struct ctx *c, const cJSON *obj, const char *key, bool req,
                const char *what, const cJSON **v)
{
    *v = scni_item(obj, key);
    if (!*v && req)
        return scni_fail(c, key, "missing required key (expected %s)", what);
    return 0;
}

/* An integer in [lo, hi], or the one value `special` outside it (-1 = infinite). */
int scni_get_int_or(struct ctx *c, const cJSON *obj, const char *key, bool req, int64_t special,
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
    if (scni_lookup(c, obj, key, req, what, &v))
        return -1;
    if (!v) {
        *out = def;
        return 0;
    }
    double d = v->valuedouble;
    bool in_range = (d >= (double)lo && d <= (double)hi) || d == (double)special;
    if (!cJSON_IsNumber(v) || d != floor(d) || !in_range)
        return scni_expected(c, key, what, v);
    *out = (int64_t)d;
    return 0;
}

int scni_get_int(struct ctx *c, const cJSON *obj, const char *key, bool req,
                 int64_t lo, int64_t hi, int64_t def, int64_t *out)
{
    return scni_get_int_or(c, obj, key, req, lo, lo, hi, def, out);
}

/* A number in [lo, hi], or in (lo, hi] when lo_open. */
int scni_get_number(struct ctx *c, const cJSON *obj, const char *key, bool req,
                    double lo, bool lo_open, double hi, double def, double *out)
{
    char what[96];
    if (hi == HUGE_VAL)
        snprintf(what, sizeof what, "a number %s %g", lo_open ? ">" : ">=", lo);
    else
        snprintf(what, sizeof what, "a number from %g to %g", lo, hi);
    const cJSON *v;
    if (scni_lookup(c, obj, key, req, what, &v))
        return -1;
    if (!v) {
        *out = def;
        return 0;
    }
    double d = v->valuedouble;
    if (!cJSON_IsNumber(v) || !isfinite(d) || d < lo || (lo_open && d == lo) || d > hi)
        return scni_expected(c, key, what, v);
    *out = d;
    return 0;
}

int scni_get_bool(struct ctx *c, const cJSON *obj, const char *key, bool def, bool *out)
{
    const cJSON *v = scni_item(obj, key);
    if (v && !cJSON_IsBool(v))
        return scni_expected(c, key, "true or false", v);
    *out = v ? cJSON_IsTrue(v) : def;
    return 0;
}

/* One of names (NULL-terminated); *out is its index. */
int scni_get_enum(struct ctx *c, const cJSON *obj, const char *key, bool req,
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
    if (scni_lookup(c, obj, key, req, what, &v))
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
    return scni_expected(c, key, what, v);
}

size_t scni_text_length(const char *s, bool utf8)
{
    size_t n = 0;
    for (; *s; s++)
        n += !utf8 || ((unsigned char)*s & 0xC0) != 0x80;   /* continuation bytes do not count */
    return n;
}

bool scni_text_ok(const char *s, const struct text_rule *r)
{
    size_t len = scni_text_length(s, r->utf8), pre = r->prefix ? strlen(r->prefix) : 0;
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
        n = scni_utf8_next(u + i, len - i, &cp);
        if (n && unprintable(cp))
            return cp;
    }
    return 0;
}

/* v (obj[key], or the element when key is NULL) when it is a string with
 * an unprintable character: the error, naming the character. */
int scni_check_printable(struct ctx *c, const char *key, const cJSON *v)
{
    uint32_t cp = cJSON_IsString(v) ? first_unprintable(v->valuestring) : 0;
    if (!cp)
        return 0;
    char buf[80];
    return scni_fail(c, key, "expected printable text, got %s: U+%04X is %s", scni_describe(v, buf),
                     (unsigned)cp, cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ? "a control character"
                     : "a line separator or a bidirectional control");
}

/* A string following rule; *out is a copy (NULL when absent and def is NULL). */
int scni_get_string(struct ctx *c, const cJSON *obj, const char *key, bool req,
                    const struct text_rule *rule, const char *def, char **out)
{
    const cJSON *v;
    if (scni_lookup(c, obj, key, req, rule->what, &v))
        return -1;
    if (v && !rule->data && !rule->chars && scni_check_printable(c, key, v))
        return -1;
    if (v && (!cJSON_IsString(v) || !scni_text_ok(v->valuestring, rule)))
        return scni_expected(c, key, rule->what, v);
    const char *s = v ? v->valuestring : def;
    *out = s ? strdup(s) : NULL;
    return s && !*out ? scni_nomem(c) : 0;
}

bool scni_to_us(double seconds, int64_t *us)
{
    if (!(seconds >= 0) || seconds * US_PER_S > (double)MAX_DURATION_US)
        return false;
    *us = llround(seconds * US_PER_S);
    return true;
}

/*
 * Digits with an optional fraction ("12", "1.5"; not ".5", "1.", "+1", "1e3"):
 * the whole part (false above max) and the fraction; *p moves past them, also
 * when the whole part is above max (so a caller may tell "too large" from
 * "not a number").  By hand rather than strtod, which follows the locale's
 * decimal point.
 */
bool scni_read_decimal(const char **p, uint64_t max, uint64_t *whole, double *frac)
{
    const char *s = *p;
    double scale = 1;
    *whole = 0;
    *frac = 0;
    if (!isdigit((unsigned char)*s))
        return false;
    for (; isdigit((unsigned char)*s); s++)
        if (*whole <= max)   /* past it, no more digits: max * 10 + 9 fits */
            *whole = *whole * 10 + (uint64_t)(*s - '0');
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

int scni_parse_duration(const char *text, int64_t *out_us)
{
    static const struct { const char *unit; int64_t us; } units[] = {
        { "us", 1 }, { "ms", US_PER_MS }, { "s", US_PER_S }, { "m", 60 * US_PER_S },
        { "h", US_PER_H }, { "d", 24 * US_PER_H }, { "", US_PER_S },
    };
    const char *p = text;
    uint64_t whole;
    double frac;
    if (!p || !scni_read_decimal(&p, (uint64_t)MAX_DURATION_US, &whole, &frac))
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

/* "a duration from 1us to 100000d": the longest in days, as docs/scenario.md
 * gives it (scni_fmt_us would say 2400000h). */
static void duration_what(int64_t lo, int64_t hi, char what[96])
{
    char a[32], b[32];
    if (hi == MAX_DURATION_US)
        snprintf(b, sizeof b, "%lldd", (long long)(MAX_DURATION_US / (24 * US_PER_H)));
    snprintf(what, 96, "a duration from %s to %s", scni_fmt_us(lo, a),
             hi == MAX_DURATION_US ? b : scni_fmt_us(hi, b));
}

/* A duration in [lo_us, hi_us]: a number of seconds, or a string with a unit. */
int scni_get_duration(struct ctx *c, const cJSON *obj, const char *key, bool req,
                      int64_t lo_us, int64_t hi_us, int64_t def, int64_t *out)
{
    char what[96], buf[80];
    duration_what(lo_us, hi_us, what);
    const cJSON *v;
    if (scni_lookup(c, obj, key, req, what, &v))
        return -1;
    if (!v) {
        *out = def;
        return 0;
    }
    int64_t us = -1;
    bool ok = cJSON_IsNumber(v) ? scni_to_us(v->valuedouble, &us)
              : cJSON_IsString(v) && scni_parse_duration(v->valuestring, &us) == 0;
    if (!ok && (cJSON_IsString(v) || cJSON_IsNumber(v)))
        return scni_fail(c, key, "expected %s (a number of seconds, or a string such as \"250ms\", "
                         "\"90s\", \"15m\", \"2h\", \"1d\"), got %s", what, scni_describe(v, buf));
    if (!ok || us < lo_us || us > hi_us)
        return scni_expected(c, key, what, v);
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
bool scni_parse_iso8601(const char *s, int64_t *epoch_us)
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
    return *epoch_us >= 0 && *epoch_us <= MAX_EPOCH_US;   /* "9999-12-31T23:30:00-01:00" is past it */
}

/* An instant in SCN_TIME_RANGE: a number of epoch seconds or an ISO-8601 string with a zone. */
bool scni_to_epoch_us(const cJSON *v, int64_t *epoch_us)
{
    if (cJSON_IsString(v))
        return scni_parse_iso8601(v->valuestring, epoch_us);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= MAX_EPOCH_US / US_PER_S + 1))
        return false;
    *epoch_us = llround(v->valuedouble * US_PER_S);
    return *epoch_us <= MAX_EPOCH_US;
}

int scni_get_time(struct ctx *c, const cJSON *obj, const char *key, bool req,
                  const char *def, int64_t *epoch_us)
{
    static const char what[] = "a time: an ISO-8601 string with a zone such as "
                                "\"2026-01-01T00:00:00Z\", or a number of epoch seconds, " SCN_TIME_RANGE;
    const cJSON *v;
    if (scni_lookup(c, obj, key, req, what, &v))
        return -1;
    if (!v) {
        scni_parse_iso8601(def, epoch_us);
        return 0;
    }
    if (scni_to_epoch_us(v, epoch_us))
        return 0;
    return scni_expected(c, key, what, v);
}

int scni_get_object(struct ctx *c, const cJSON *obj, const char *key, bool req, const cJSON **out)
{
    if (scni_lookup(c, obj, key, req, "an object", out))
        return -1;
    return *out && !cJSON_IsObject(*out) ? scni_expected(c, key, "an object", *out) : 0;
}

int scni_get_array(struct ctx *c, const cJSON *obj, const char *key, bool req, const cJSON **out)
{
    if (scni_lookup(c, obj, key, req, "an array", out))
        return -1;
    return *out && !cJSON_IsArray(*out) ? scni_expected(c, key, "an array", *out) : 0;
}

/* A section: obj[key] as an object whose keys are checked; the path now ends
 * with key (pop with the returned mark).  *out is NULL when absent. */
int scni_enter(struct ctx *c, const cJSON *obj, const char *key, bool req,
               const char *const *allowed, const cJSON **out, size_t *mark)
{
    if (scni_get_object(c, obj, key, req, out))
        return -1;
    *mark = scni_path_key(c, key);
    if (*out && scni_check_keys(c, *out, allowed, NULL)) {
        scni_path_pop(c, *mark);
        return -1;
    }
    return 0;
}

/*
 * obj[key] as an array of elements parsed by fn, each with its index on the
 * path.  With size > 0 the elements get a zeroed array of that element size
 * in *arr (stored before parsing, so scn_free releases a half-parsed one).
 */

int scni_get_list(struct ctx *c, const cJSON *obj, const char *key, size_t size,
                  void *arr, size_t *n, elem_fn fn, void *arg)
{
    const cJSON *a;
    if (scni_get_array(c, obj, key, OPT, &a))
        return -1;
    size_t count = a ? (size_t)cJSON_GetArraySize(a) : 0;
    char *elems = NULL;
    if (size && count) {
        if (!(elems = calloc(count, size)))
            return scni_nomem(c);
        memcpy(arr, &elems, sizeof elems);   /* arr points to a `T *`: store without type punning */
    }
    if (n)
        *n = count;
    size_t mark = scni_path_key(c, key), i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        size_t m = scni_path_index(c, i);
        if (fn(c, v, elems ? elems + i * size : NULL, arg)) {
            scni_path_pop(c, mark);
            return -1;
        }
        scni_path_pop(c, m);
        i++;
    }
    scni_path_pop(c, mark);
    return 0;
}

/* An element that must be an object with keys from allowed. */
int scni_elem_object(struct ctx *c, const cJSON *v, const char *const *allowed)
{
    if (!cJSON_IsObject(v))
        return scni_expected(c, NULL, "an object", v);
    return scni_check_keys(c, v, allowed, NULL);
}

/* An ARN of one of services (NULL-terminated; NULL = any service). */
int scni_get_arn(struct ctx *c, const cJSON *obj, const char *key, bool req,
                 const char *const *services, const char *what, char **out)
{
    const cJSON *v;
    if (scni_lookup(c, obj, key, req, what, &v))
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
        return scni_expected(c, key, what, v);
    if (scni_check_printable(c, key, v))
        return -1;
    return (*out = strdup(s)) ? 0 : scni_nomem(c);
}

/*
 * A size in bytes: an integer, or a string of a number and a unit, binary
 * (KiB, MiB, GiB, TiB, PiB) or decimal (B, KB, MB, GB, TB, PB): "512MiB",
 * "1.5GiB".  At least 1 MiB, at most 8 PiB (2^53 bytes).
 */
int scni_get_size(struct ctx *c, const cJSON *obj, const char *key, uint64_t *out)
{
    static const struct { const char *unit; double bytes; } units[] = {
        { "B", 1 }, { "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
        { "TiB", 1099511627776.0 }, { "PiB", 1125899906842624.0 }, { "KB", 1e3 }, { "MB", 1e6 },
        { "GB", 1e9 }, { "TB", 1e12 }, { "PB", 1e15 },
    };
    static const char what[] = "a size from 1MiB to 8PiB: a number of bytes, or a string such "
                               "as \"512MiB\", \"16GiB\" or \"2GB\"";
    const cJSON *v = scni_item(obj, key);
    double bytes = -1;
    if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble)) {
        bytes = v->valuedouble;
    } else if (cJSON_IsString(v)) {
        const char *p = v->valuestring;
        uint64_t whole;
        double frac;
        if (scni_read_decimal(&p, (uint64_t)MAX_EXACT_INT, &whole, &frac))
            for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
                if (strcmp(p, units[i].unit) == 0)
                    bytes = floor(((double)whole + frac) * units[i].bytes);
    }
    if (!(bytes >= 1048576.0 && bytes <= 9007199254740992.0))   /* 8 PiB: 2^53 */
        return scni_expected(c, key, what, v);
    *out = (uint64_t)bytes;
    return 0;
}

/*
 * Every input is UTF-8 (RFC 8259 requires it of JSON exchanged): a UTF-8
 * byte order mark first is dropped, as RFC 8259 lets a reader do (Notepad,
 * PowerShell's Out-File -Encoding utf8 and Excel's "CSV UTF-8" write one), so
 * that every reader (JSON, YAML, rate files) sees the same text; UTF-16 and
 * UTF-32, known by theirs, are refused by name (PowerShell 5's `>` writes
 * UTF-16), rather than as a NUL byte.  text, or NULL (freed) with err set.
 */
static char *utf8_text(const char *path, char *text, size_t *len, char *err, size_t errlen)
{
    static const struct { const char *mark; size_t n; const char *name, *hex; } marks[] = {
        { "\0\0\xFE\xFF", 4, "UTF-32", "00 00 FE FF" }, { "\xFF\xFE\0\0", 4, "UTF-32", "FF FE 00 00" },
        { "\xFE\xFF", 2, "UTF-16", "FE FF" }, { "\xFF\xFE", 2, "UTF-16", "FF FE" },
    };
    if (*len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
        *len -= 3;
        memmove(text, text + 3, *len + 1);
        return text;
    }
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        if (*len >= marks[i].n && !memcmp(text, marks[i].mark, marks[i].n)) {
            snprintf(err, errlen, "%s: cannot read: %s text (it starts with the byte order mark %s): esmsim "
                     "reads UTF-8 (iconv -f %s -t UTF-8 converts it)", path, marks[i].name, marks[i].hex,
                     marks[i].name);
            free(text);
            return NULL;
        }
    }
    return text;
}

/*
 * The text of path, at most MAX_SCENARIO_BYTES: a regular file, or a pipe
 * (`<(generate)`, /dev/stdin); a device such as /dev/zero, a directory or a
 * socket is refused before it is read; UTF-8 (utf8_text).  what names the file in the message
 * for one too large ("scenario file").  NULL with err set.
 */
char *scni_read_text_file(const char *path, const char *what, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    char *text = NULL;
    int fd = -1, e = 0;
    /* stat first: opening a device or a FIFO may block or do something */
    if (stat(path, &st) != 0) {
        e = errno;
    } else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        snprintf(err, errlen, "%s: cannot read: not a regular file (%s)", path, fmt_file_kind(st.st_mode));
        return NULL;
    } else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        e = errno;
    } else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {   /* replaced since the stat */
        snprintf(err, errlen, "%s: cannot read: not a regular file (%s)", path, fmt_file_kind(st.st_mode));
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
    return utf8_text(path, text, len, err, errlen);
}
