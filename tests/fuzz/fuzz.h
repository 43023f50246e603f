/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz share (issue 11 item
 * 19): esmsim's own messages silenced, a failed property reported and
 * turned into a crash that libFuzzer saves, input bytes copied as a string.
 */
#ifndef ESMSIM_FUZZ_H
#define ESMSIM_FUZZ_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *fuzz_stderr;   /* the real stderr, for fuzz_fail */

/*
 * The commands under test print to stdout and stderr for every input; send
 * their streams to /dev/null (ESMSIM_FUZZ_VERBOSE=1 keeps them, to read a
 * reproducer's messages).  glibc's stdout and stderr are plain variables
 * (glibc manual, "Standard Streams"): reassigning them leaves file
 * descriptors 1 and 2 open, so libFuzzer and the sanitizers still report.
 */
static inline void fuzz_quiet(void)
{
    fuzz_stderr = stderr;
    const char *verbose = getenv("ESMSIM_FUZZ_VERBOSE");
    if (verbose && *verbose && strcmp(verbose, "0") != 0)
        return;
    FILE *null = fopen("/dev/null", "w");
    if (!null) {
        perror("fuzz: /dev/null");
        abort();
    }
    stdout = null;
    stderr = null;
}

/* A property does not hold: say which, and crash (libFuzzer keeps the input). */
__attribute__((format(printf, 1, 2), noreturn))
static void fuzz_fail(const char *fmt, ...)
{
    FILE *out = fuzz_stderr ? fuzz_stderr : stderr;
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: PROPERTY FAILED: ", out);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    va_end(ap);
    fflush(out);
    abort();
}

/* data[0..len) and a NUL, malloc'd; out of memory aborts (not a finding). */
static inline char *fuzz_copy(const uint8_t *data, size_t len)
{
    char *s = malloc(len + 1);
    if (!s)
        fuzz_fail("out of memory copying %zu bytes", len);
    memcpy(s, data, len);
    s[len] = '\0';
    return s;
}

#endif
