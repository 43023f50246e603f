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
 *     the file, the JSON path and what was expected), and does not blame
 *     memory (an input is at most a few KB: "out of memory" is a wrong
 *     message, not a fact);
 *   - an accepted scenario's effective JSON (scenario.json, stored in
 *     runs.scenario_json and read back by report and plot) loads again, to
 *     the same effective JSON.
 * A custom mutator knows the format: half the time, when the scenario text
 * is JSON, it puts a value at the edges (fuzz.h) in place of one value of the
 * tree (mostly a leaf: a number by a number), removes or copies one member,
 * or adds a --set line for one path; else libFuzzer mutates the bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "fuzz.h"
#include "scenario.h"

#define FUZZ_FILE "fuzz.json"
#define FUZZ_MAX_SETS 512   /* more than a command line holds in practice */
#define MUT_MAX_NODES 4096
static const char set_mark[] = "--set ";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_quiet();
    return 0;
}

/* Where the scenario text ends: the first line that starts with "--set ". */
static size_t scenario_len(const uint8_t *data, size_t size)
{
    const size_t mlen = sizeof set_mark - 1;
    size_t len = 0;
    while (len < size && !(size - len >= mlen && memcmp(data + len, set_mark, mlen) == 0 &&
                           (len == 0 || data[len - 1] == '\n')))
        len++;
    return len;
}

/* ---- the custom mutator ------------------------------------------------- */

struct mut_node {
    cJSON *item, *parent;
    char path[256];   /* as --set writes it ("a.b[2].c"); "" when it cannot */
};

static void mut_collect(cJSON *item, cJSON *parent, const char *path, struct mut_node *v,
                        size_t *n)
{
    if (*n >= MUT_MAX_NODES)
        return;
    struct mut_node *m = &v[(*n)++];
    m->item = item;
    m->parent = parent;
    snprintf(m->path, sizeof m->path, "%s", path);
    size_t i = 0;
    for (cJSON *c = item->child; c; c = c->next, i++) {
        char sub[256] = "";
        if (cJSON_IsArray(item))
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        else if (c->string && !strpbrk(c->string, ".[]=") && *c->string)
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", c->string);
        if (path[0] == '\0' && item != v[0].item)
            sub[0] = '\0';   /* below a member --set cannot name */
        mut_collect(c, item, sub, v, n);
    }
}

/* A value at the edges, as JSON text: mostly of the kind of was (a number
 * for a number, a string for a string), else any. */
static const char *mut_edge(uint32_t *r, const cJSON *was, char *buf, size_t len)
{
    uint32_t k = fuzz_rand(r) % 8;
    if (k < 6 && cJSON_IsNumber(was))
        k = 0;
    else if (k < 6 && cJSON_IsString(was))
        k = 4;
    if (k < 4)
        return fuzz_edge_numbers[fuzz_rand(r) % FUZZ_EDGE_NUMBERS];
    if (k < 7) {
        snprintf(buf, len, "\"%s\"", fuzz_edge_strings[fuzz_rand(r) % FUZZ_EDGE_STRINGS]);
        return buf;
    }
    static const char *const other[] = { "null", "true", "false", "[]", "{}", "[1e309]",
                                         "{\"\":0}", "[[]]" };
    return other[fuzz_rand(r) % (sizeof other / sizeof other[0])];
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint32_t r = seed;
    size_t len = scenario_len(data, size);
    cJSON *root = fuzz_rand(&r) % 2 ? cJSON_ParseWithLength((const char *)data, len) : NULL;
    if (!root)
        return LLVMFuzzerMutate(data, size, max_size);
    static struct mut_node nodes[MUT_MAX_NODES];
    size_t n = 0;
    mut_collect(root, NULL, "", nodes, &n);
    struct mut_node *m = &nodes[fuzz_rand(&r) % n];
    for (int tries = 0; tries < 4 && m->item->child; tries++)   /* leaves rather */
        m = &nodes[fuzz_rand(&r) % n];
    char buf[128], set[512] = "";
    const char *edge = mut_edge(&r, m->item, buf, sizeof buf);
    uint32_t op = fuzz_rand(&r) % 8;
    switch (op < 4 ? 3 : op - 4) {
    case 0:   /* remove the member */
        if (m->parent)
            cJSON_Delete(cJSON_DetachItemViaPointer(m->parent, m->item));
        break;
    case 1:   /* copy it (an array grows; an object gets the key twice) */
        if (m->parent) {
            cJSON *copy = cJSON_Duplicate(m->item, 1);
            if (copy && m->item->string && cJSON_IsObject(m->parent))
                cJSON_AddItemToObject(m->parent, m->item->string, copy);
            else if (copy && !cJSON_AddItemToArray(m->parent, copy))
                cJSON_Delete(copy);
        }
        break;
    case 2:   /* the same through --set */
        snprintf(set, sizeof set, "\n%s%s=%s", set_mark, m->path[0] ? m->path : "$.", edge);
        break;
    default: {   /* a value at the edges in its place */
        cJSON *raw = cJSON_CreateRaw(edge);
        if (raw && m->parent)
            cJSON_ReplaceItemViaPointer(m->parent, m->item, raw);
        else
            cJSON_Delete(raw);
    }
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    size_t tlen = text ? strlen(text) : 0, slen = strlen(set), rest = size - len;
    if (!text || tlen + 1 + rest + slen > max_size) {
        free(text);
        return LLVMFuzzerMutate(data, size, max_size);
    }
    /* the new scenario text, the input's --set lines, the new one */
    memmove(data + tlen + 1, data + len, rest);
    memcpy(data, text, tlen);
    data[tlen] = '\n';
    memcpy(data + tlen + 1 + rest, set, slen);
    free(text);
    return tlen + 1 + rest + slen;
}

/* ---- the target ------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const size_t mlen = sizeof set_mark - 1;
    size_t len = scenario_len(data, size);
    char *text = fuzz_copy(data, len);   /* NULs kept: the loader must see them */
    const char *sets[FUZZ_MAX_SETS];
    size_t n = 0;
    for (size_t at = len; at < size && n < FUZZ_MAX_SETS;) {
        size_t end = at;
        while (end < size && data[end] != '\n')
            end++;
        if (end - at >= mlen && memcmp(data + at, set_mark, mlen) == 0) {
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
        /* the end of the loader's own message (a cut one may end in an echoed value) */
        static const char nomem[] = ": out of memory";
        size_t elen = strlen(err);
        if (elen + 1 < sizeof err && elen >= sizeof nomem - 1 &&
            !strcmp(err + elen - (sizeof nomem - 1), nomem))
            fuzz_fail("a scenario of %zu bytes is refused for want of memory: \"%s\"", size, err);
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
