/*
 * opt.c - see opt.h.
 */
#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The id of the option called word in c's table, or -1. */
static int find(const struct opt_command *c, const char *word)
{
    for (int i = 0; c->opts[i].name; i++)
        if (!strcmp(word, c->opts[i].name) || (c->opts[i].alias && !strcmp(word, c->opts[i].alias)))
            return i;
    return -1;
}

enum opt_result opt_parse(const struct opt_command *c, int argc, char **argv,
                          struct opt_args *a)
{
    size_t room = argc > 1 ? (size_t)argc : 1;
    *a = (struct opt_args){
        .args = calloc(room, sizeof *a->args),
        .hit_opt = calloc(room, sizeof *a->hit_opt),
        .hit_value = calloc(room, sizeof *a->hit_value),
    };
    if (!a->args || !a->hit_opt || !a->hit_value) {
        fprintf(stderr, "esmsim %s: out of memory\n", c->name);
        return OPT_BAD;
    }
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (w[0] != '-' || w[1] == '\0') {
            if (a->n_args == c->max_args) {
                fprintf(stderr, "esmsim %s: unexpected argument: %s\n", c->name, w);
                return OPT_BAD;
            }
            a->args[a->n_args++] = w;
            continue;
        }
        if (!strcmp(w, "--help") || !strcmp(w, "-h")) {
            c->usage(stdout);
            return OPT_HELP;
        }
        int id = find(c, w);
        if (id < 0) {
            fprintf(stderr, "esmsim %s: unknown option: %s\n", c->name, w);
            return OPT_BAD;
        }
        const char *value = NULL;
        if (c->opts[id].value) {
            if (i + 1 == argc) {
                fprintf(stderr, "esmsim %s: %s needs %s\n", c->name, w, c->opts[id].value);
                return OPT_BAD;
            }
            value = argv[++i];
        }
        a->hit_opt[a->n_hits] = id;
        a->hit_value[a->n_hits++] = value;
    }
    if (a->n_args < c->min_args) {
        fprintf(stderr, "esmsim %s: %s\n", c->name, c->missing);
        return OPT_BAD;
    }
    return OPT_OK;
}

void opt_free(struct opt_args *a)
{
    free(a->args);
    free(a->hit_opt);
    free(a->hit_value);
    *a = (struct opt_args){ 0 };
}

size_t opt_count(const struct opt_args *a, int id)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_hits; i++)
        n += a->hit_opt[i] == id;
    return n;
}

const char *opt_nth(const struct opt_args *a, int id, size_t nth)
{
    for (size_t i = 0; i < a->n_hits; i++)
        if (a->hit_opt[i] == id && nth-- == 0)
            return a->hit_value[i];
    return NULL;
}

const char *opt_value(const struct opt_args *a, int id)
{
    size_t n = opt_count(a, id);
    return n ? opt_nth(a, id, n - 1) : NULL;
}

bool opt_positive(const char *text, uint64_t max, uint64_t *out)
{
    if (text[0] < '0' || text[0] > '9')   /* strtoull would take "-1" and " 1" */
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v == 0 || v > max)
        return false;
    *out = v;
    return true;
}
