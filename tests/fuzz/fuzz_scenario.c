/*
 * fuzz_scenario.c - libFuzzer target for the scenario loader (issue 11 item
 * 19): the path `esmsim check SCENARIO --set ...` takes, from bytes.
 *
 * An input is a scenario file followed by its overrides: every line that
 * starts with "--set " ends the scenario text and gives one override (the
 * rest of the line, as one --set argument; a NUL ends it as it would end an
 * argv string).  The text goes to scn_parse_bytes(), as scn_load() gives it
 * a file's bytes.  Besides the sanitizers, two properties are checked:
 *   - a refusal has a message that names the file (SPEC: bad input names
 *     the file, the JSON path and what was expected);
 *   - an accepted scenario's effective JSON (scenario.json, stored in
 *     runs.scenario_json and read back by report and plot) loads again, to
 *     the same effective JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "scenario.h"

#define FUZZ_FILE "fuzz.json"
#define FUZZ_MAX_SETS 512   /* more than a command line holds in practice */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char mark[] = "--set ";
    const size_t mlen = sizeof mark - 1;
    /* The scenario: up to the first line that starts with "--set ". */
    size_t len = 0;
    while (len < size && !(size - len >= mlen && memcmp(data + len, mark, mlen) == 0 &&
                           (len == 0 || data[len - 1] == '\n')))
        len++;
    char *text = fuzz_copy(data, len);   /* NULs kept: the loader must see them */
    const char *sets[FUZZ_MAX_SETS];
    size_t n = 0;
    for (size_t at = len; at < size && n < FUZZ_MAX_SETS;) {
        size_t end = at;
        while (end < size && data[end] != '\n')
            end++;
        if (end - at >= mlen && memcmp(data + at, mark, mlen) == 0) {
            const uint8_t *v = data + at + mlen;
            const uint8_t *nul = memchr(v, '\0', end - at - mlen);
            sets[n++] = fuzz_copy(v, (size_t)((nul ? nul : data + end) - v));
        }
        at = end + 1;
    }

    char err[1024] = "";
    struct scenario *s = scn_parse_bytes(FUZZ_FILE, text, len, sets, n, err, sizeof err);
    if (!s) {
        if (strncmp(err, FUZZ_FILE ": ", strlen(FUZZ_FILE ": ")) != 0)
            fuzz_fail("a refused scenario's message does not name the file: \"%s\"", err);
    } else {
        char again_err[1024] = "";
        struct scenario *again = scn_parse("runs.scenario_json", s->json, NULL, 0,
                                           again_err, sizeof again_err);
        if (!again)
            fuzz_fail("the effective scenario of an accepted one does not load again: %s\n"
                      "effective scenario: %s", again_err, s->json);
        if (strcmp(again->json, s->json) != 0)
            fuzz_fail("the effective scenario changes when loaded again:\n%s\n%s",
                      s->json, again->json);
        scn_free(again);
        scn_free(s);
    }
    for (size_t i = 0; i < n; i++)
        free((char *)sets[i]);
    free(text);
    return 0;
}
