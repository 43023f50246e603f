/*
 * fmt.c - numbers for people: see fmt.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

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

const char *fmt_bytes(double bytes, char buf[32])
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    size_t u = 0;
    for (; bytes >= 1024 && u + 1 < sizeof units / sizeof units[0]; u++)
        bytes /= 1024;
    if (!isfinite(bytes))
        snprintf(buf, 32, "too many bytes to count");
    else
        snprintf(buf, 32, u > 0 && bytes < 10 ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}
