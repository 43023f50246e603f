/*
 * fmt.c - numbers for people: see fmt.h.
 */
#include <inttypes.h>
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

const char *fmt_seconds(int64_t ms, char buf[32])
{
    snprintf(buf, 32, "%" PRId64 ".%03" PRId64, ms / 1000, ms % 1000);
    return buf;
}
