/*
 * fmt.c - numbers and text for people: see fmt.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fmt.h"

const char *fmt_count(int64_t n, char buf[32])
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%" PRIu64, n < 0 ? -(uint64_t)n : (uint64_t)n);
    int o = 0;
    if (n < 0)
        buf[o++] = '-';
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *fmt_number(double d, char buf[32])
{
    for (int digits = 6; digits <= 17; digits++)
        if (snprintf(buf, 32, "%.*g", digits, d) > 0 && strtod(buf, NULL) == d)
            break;
    return buf;
}

const char *fmt_bytes(double bytes, char buf[32])
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    size_t u = 0;
    for (; bytes >= 1024 && u + 1 < sizeof units / sizeof units[0]; u++)
        bytes /= 1024;
    if (!isfinite(bytes))
        snprintf(buf, 32, "too many bytes to count");
    else   /* past a million EiB, "%.0f" would push the unit out of buf */
        snprintf(buf, 32, u > 0 && bytes < 10 ? "%.1f %s" : bytes < 1e6 ? "%.0f %s" : "%.3g %s",
                 bytes, units[u]);
    return buf;
}

const char *fmt_dir(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, len, ".");
    else
        snprintf(buf, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    return buf;
}

const char *fmt_file_kind(unsigned mode)
{
    return S_ISDIR(mode) ? "a directory" : S_ISCHR(mode) ? "a character device"
         : S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket"
         : S_ISFIFO(mode) ? "a FIFO" : "not a file";
}

/* The length of the valid UTF-8 character at s (1 to 4), or 0 when s does
 * not start one (a stray continuation byte, an overlong form, a surrogate,
 * past U+10FFFF, cut short). */
static size_t utf8_char(const unsigned char *s)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;   /* the second byte's range */
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

/* What s[0..] becomes: *n bytes of s kept as they are, or 0 with *n = 1
 * when the byte is shown as \xNN: a control character (C0, DEL, and the
 * C1 controls U+0080 to U+009F, two bytes each shown) or not UTF-8. */
static size_t text_unit(const unsigned char *s, size_t *n)
{
    size_t len = utf8_char(s);
    bool control = len == 1 ? s[0] < 0x20 || s[0] == 0x7F : len == 2 && s[0] == 0xC2 && s[1] < 0xA0;
    *n = len && !control ? len : 1;
    return len && !control ? len : 0;
}

const char *fmt_text(const char *s, char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t need = 0, n;
    for (const unsigned char *q = p; *q; q += n)
        need += text_unit(q, &n) ? n : 4;
    size_t room = need < len ? len - 1 : len - 4, o = 0;   /* cut: "..." after */
    for (; *p; p += n) {
        size_t keep = text_unit(p, &n);
        if (o + (keep ? n : 4) > room)
            break;
        if (keep)
            memcpy(buf + o, p, n);
        else
            snprintf(buf + o, 5, "\\x%02x", *p);
        o += keep ? n : 4;
    }
    if (need >= len) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

const char *fmt_seconds(int64_t ms, char buf[32])
{
    uint64_t u = ms < 0 ? -(uint64_t)ms : (uint64_t)ms;
    snprintf(buf, 32, "%s%" PRIu64 ".%03" PRIu64, ms < 0 ? "-" : "", u / 1000, u % 1000);
    return buf;
}

/* The units of a span, largest first, as a scenario's duration writes them
 * (docs/scenario.md, Types): fmt_span's and fmt_span_ms's. */
static const struct { const char *unit; int64_t us; } span_units[] = {
    { "d", 24 * 3600 * INT64_C(1000000) }, { "h", 3600 * INT64_C(1000000) },
    { "m", 60 * INT64_C(1000000) }, { "s", 1000000 },
};
#define SPAN_UNITS (sizeof span_units / sizeof span_units[0])

const char *fmt_span(int64_t us, char buf[32])
{
    /* One number with one unit, as a scenario's duration is written, so that
     * what is printed reads back as the same span: the largest unit it is whole
     * in, else exact seconds ("1d2h" or "1h30m" would not read back). */
    for (size_t i = 0; us > 0 && i < SPAN_UNITS; i++)
        if (us % span_units[i].us == 0) {
            snprintf(buf, 32, "%" PRId64 "%s", us / span_units[i].us, span_units[i].unit);
            return buf;
        }
    if (us < 1000000 && us % 1000 == 0) {
        snprintf(buf, 32, "%" PRId64 "ms", us / 1000);
        return buf;
    }
    int n = snprintf(buf, 32, "%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
    while (buf[n - 1] == '0')   /* the fraction has a digit other than 0 */
        n--;
    snprintf(buf + n, 32 - (size_t)n, "s");
    return buf;
}

const char *fmt_span_ms(int64_t ms, char buf[32])
{
    /* The largest unit with a count, then every smaller one in two digits, so
     * that times in a column line up within a unit and read as on a clock.  At
     * most "-106751991167d07h12m55.808s" (INT64_MIN), 27 characters. */
    uint64_t u = ms < 0 ? -(uint64_t)ms : (uint64_t)ms;
    size_t n = (size_t)snprintf(buf, 32, "%s", ms < 0 ? "-" : "");
    bool lead = true;   /* no unit printed yet: the next has no leading zero */
    for (size_t i = 0; i + 1 < SPAN_UNITS; i++) {   /* d, h, m; then s below */
        uint64_t unit_ms = (uint64_t)span_units[i].us / 1000;
        if (lead && u < unit_ms)
            continue;
        n += (size_t)snprintf(buf + n, 32 - n, lead ? "%" PRIu64 "%s" : "%02" PRIu64 "%s",
                              u / unit_ms, span_units[i].unit);
        u %= unit_ms;
        lead = false;
    }
    snprintf(buf + n, 32 - n, lead ? "%" PRIu64 ".%03" PRIu64 "s" : "%02" PRIu64 ".%03" PRIu64 "s",
             u / 1000, u % 1000);
    return buf;
}
