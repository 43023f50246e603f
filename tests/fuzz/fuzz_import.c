/*
 * fuzz_import.c - libFuzzer target for `esmsim import` (SPEC section 5,
 * issue 14): the path `esmsim import FILE... -o -` takes, from bytes.
 *
 * An input is one or more files: the first file's text, then every line
 * that starts with "--file " ends the text before it and starts the next
 * file, named by the rest of the line (its letters, digits, '.', '-' and
 * '_'; the name is only for messages: import knows a format from the
 * content).  So a template and its metric data, or several AWS CLI outputs,
 * are imported together.  The files are written to a private directory
 * (fuzz.h) and given to import_scenario() as the command gives them, with
 * its standard output and error captured.  Besides the sanitizers, two
 * properties are checked:
 *   - a refusal (ERRMSG_BAD_INPUT: exit status 2) has a message that names one of the files
 *     (SPEC: bad input names the file, the path and what was expected), and
 *     does not blame memory;
 *   - an accepted import writes a scenario that the scenario loader accepts
 *     (README: "import ... the scenario it writes loads"): import runs the
 *     loader before it writes, so a refusal here is a value import changed
 *     after its check, or wrote differently from what it checked.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "fuzz.h"
#include "import.h"
#include "scenario.h"

#define FUZZ_MAX_FILES 8
#define FUZZ_NAME_MAX 40
static const char file_mark[] = "--file ";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_dir_make();
    fuzz_quiet();
    return 0;
}

/* Where the next file's text ends: at the next line that starts with
 * "--file " at or after from (a line start), else at size. */
static size_t part_end(const uint8_t *data, size_t size, size_t from)
{
    const size_t mlen = sizeof file_mark - 1;
    for (size_t at = from; at < size; at++)
        if ((at == 0 || data[at - 1] == '\n') && size - at >= mlen &&
            memcmp(data + at, file_mark, mlen) == 0)
            return at;
    return size;
}

/* The file named by the marker line data[at..): the private directory, its
 * index (two files may have one name) and the name's safe characters. */
static size_t part_name(const uint8_t *data, size_t size, size_t at, size_t index, char *path,
                        size_t len)
{
    char name[FUZZ_NAME_MAX + 1] = "input";
    size_t n = 0;
    at += sizeof file_mark - 1;
    for (; at < size && data[at] != '\n'; at++)
        if (n < FUZZ_NAME_MAX && (strchr("._-", data[at]) ||
                                  (data[at] >= '0' && data[at] <= '9') ||
                                  ((data[at] | 0x20) >= 'a' && (data[at] | 0x20) <= 'z')))
            name[n++] = (char)data[at];
    name[n ? n : 5] = '\0';
    snprintf(path, len, "%s/%zu-%s", fuzz_dir, index, name);
    return at < size ? at + 1 : size;
}

/* Does line (a line of import's stderr) start "esmsim import: FILE: ", FILE
 * one of the inputs? */
static bool names_a_file(const char *line, char paths[][4200], size_t n)
{
    static const char head[] = "esmsim import: ";
    if (strncmp(line, head, sizeof head - 1) != 0)
        return false;
    line += sizeof head - 1;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(paths[i]);
        if (!strncmp(line, paths[i], k) && !strncmp(line + k, ": ", 2))
            return true;
    }
    return false;
}

/* Does data[0..size) hold text? */
static bool has_text(const uint8_t *data, size_t size, const char *text)
{
    size_t n = strlen(text);
    for (size_t at = 0; at + n <= size; at++)
        if (!memcmp(data + at, text, n))
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char paths[FUZZ_MAX_FILES][4200];
    const char *argv[FUZZ_MAX_FILES];
    size_t n = 0, at = 0;
    fuzz_dir_clean();
    snprintf(paths[0], sizeof paths[0], "%s/0-input", fuzz_dir);
    for (;;) {
        size_t end = part_end(data, size, at);
        fuzz_write(paths[n], data + at, end - at);
        argv[n] = paths[n];
        n++;
        if (end == size || n == FUZZ_MAX_FILES)
            break;
        at = part_name(data, size, end, n, paths[n], sizeof paths[n]);
    }

    /* the command's output and messages, captured */
    char *out = NULL, *msg = NULL;
    size_t out_len = 0, msg_len = 0;
    FILE *quiet_out = stdout, *quiet_err = stderr;
    stdout = open_memstream(&out, &out_len);
    stderr = open_memstream(&msg, &msg_len);
    if (!stdout || !stderr)
        fuzz_fail("open_memstream: out of memory");
    int rc = import_scenario(argv, n, "-", NULL, NULL, 0);
    fclose(stdout);
    fclose(stderr);
    stdout = quiet_out;
    stderr = quiet_err;
    fputs(msg, stderr);   /* ESMSIM_FUZZ_VERBOSE=1 shows them */

    if (rc == ERRMSG_BAD_INPUT) {
        /* the refusal is the last line (notes come only with a scenario) */
        char *nl = msg_len ? strrchr(msg, '\n') : NULL;
        if (nl)
            *nl = '\0';
        char *last = (nl = strrchr(msg, '\n')) ? nl + 1 : msg;
        if (!names_a_file(last, paths, n))
            fuzz_fail("a refused import's message does not name an input file: \"%s\"", last);
        /* unless the message ends in a value the input gave (libFuzzer learns the words) */
        static const char nomem[] = ": out of memory";
        size_t llen = strlen(last);
        if (llen >= sizeof nomem - 1 && !strcmp(last + llen - (sizeof nomem - 1), nomem) &&
            !has_text(data, size, nomem + 2))
            fuzz_fail("an import of %zu bytes is refused for want of memory: \"%s\"", size, last);
    } else if (rc == 0) {
        char err[2048] = "";
        struct scenario *s = scn_parse("SCENARIO", out, NULL, 0, err, sizeof err);
        if (!s)
            fuzz_fail("the scenario an import wrote does not load: %s\nscenario: %s", err, out);
        scn_free(s);
    } else {
        fuzz_fail("import failed (%d) writing to memory: %s", rc, msg);
    }
    free(out);
    free(msg);
    return 0;
}
