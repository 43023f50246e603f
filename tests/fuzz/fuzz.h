/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz share (issue 11 item
 * 19): esmsim's own messages silenced, a failed property reported and
 * turned into a crash that libFuzzer saves, input bytes copied as a string,
 * a private directory for the targets whose commands read paths.
 */
#ifndef ESMSIM_FUZZ_H
#define ESMSIM_FUZZ_H

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---- a private directory: the commands read paths -------------------------- */

static char fuzz_dir[4096];

/* Every file of the private directory removed. */
static inline void fuzz_dir_clean(void)
{
    DIR *d = opendir(fuzz_dir);
    if (!d)
        return;
    struct dirent *e;
    char path[8400];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", fuzz_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static inline void fuzz_dir_remove(void)
{
    fuzz_dir_clean();
    rmdir(fuzz_dir);
}

/* fuzz_dir made: in $TMPDIR, else /dev/shm, else /tmp; removed at exit. */
static inline void fuzz_dir_make(void)
{
    const char *tmp = getenv("TMPDIR");
    struct stat st;
    if (!tmp || !*tmp)
        tmp = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
            ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/esmsim-fuzz-XXXXXX", tmp);
    if (!mkdtemp(fuzz_dir))
        fuzz_fail("%s: cannot create: %s", fuzz_dir, strerror(errno));
    atexit(fuzz_dir_remove);
}

static inline void fuzz_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        fuzz_fail("%s: cannot write: %s", path, strerror(errno));
}

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

/* A small random generator for the custom mutators (xorshift32: the same
 * seed, the same mutation, as libFuzzer wants). */
static inline uint32_t fuzz_rand(uint32_t *state)
{
    uint32_t x = *state ? *state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/*
 * Values at the edges, as JSON or SQL literal text: out of range for an
 * int64 or a double, near 2^53 and 2^63, negative zero, tiny, and strings
 * that are empty or hold a NUL, a terminal escape, a lone surrogate
 * or invalid UTF-8.  A coverage-guided fuzzer seldom types these by itself:
 * the custom mutators put them where a value was.
 */
static const char *const fuzz_edge_numbers[] = {
    "1e309", "-1e309", "1e308", "-1e308", "0", "-0", "-1", "1", "0.5", "1.5", "2", "1e-320",
    "4294967295", "4294967296", "9007199254740993", "9223372036854775807",
    "-9223372036854775808", "9223372036854775808", "18446744073709551616", "1e15", "1e19",
    "999999999999", "10000", "10001", "500", "501",
};
#define FUZZ_EDGE_NUMBERS (sizeof fuzz_edge_numbers / sizeof fuzz_edge_numbers[0])

static const char *const fuzz_edge_strings[] = {   /* the text inside the quotes */
    "", "a\\u0000b", "\\u0000", "\\u001b[2J", "\\ud800", "\xff\xfe", "a\nb", "1e309s",
    "-1s", "0s", "1us", "1ms", "99999999999999d", "100000h", "2562047h", "1.5ms", "NaN",
    "shardId-000000000000", "shardId-999999999999", "arn:aws:sqs:us-east-1:123456789012:q",
    "%s%n%x", "..", "[0]", "$.",
};
#define FUZZ_EDGE_STRINGS (sizeof fuzz_edge_strings / sizeof fuzz_edge_strings[0])

#endif
