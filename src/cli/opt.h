/*
 * opt.h - the command line of every esmsim command, read with one table
 * (SPEC section 5): options with a value ("--run ID") or without ("--json"),
 * each with an optional short alias ("-o"), an option given again (every
 * value kept, in order), positional arguments, and --help (-h), which
 * prints the command's usage on stdout.  A word that starts with "-" is an
 * option, "-" alone excepted (standard input or output, where a command
 * takes it); an option's value is the next word, whatever it is.
 *
 * A mistake is one line on stderr, "esmsim COMMAND: unknown option: --x",
 * "esmsim COMMAND: --run needs a run id", "esmsim COMMAND: unexpected
 * argument: x", or the command's own line for missing arguments, and the
 * command exits 2 (EXIT_BAD_INPUT, exit.h).  What a value means is the
 * command's to check.
 */
#ifndef ESMSIM_OPT_H
#define ESMSIM_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One option of a command's table. */
struct opt_spec {
    const char *name;       /* "--run" */
    const char *alias;      /* "-o", or NULL */
    const char *value;      /* what its value is, said when it is missing ("a run id");
                               NULL: a flag, which takes no value */
};

/* A command's table. */
struct opt_command {
    const char *name;              /* "report": messages start "esmsim report: " */
    const struct opt_spec *opts;   /* ends with an entry whose name is NULL; the index of
                                      an option in it is its id for opt_count() & co */
    size_t min_args, max_args;     /* positional arguments (max_args SIZE_MAX: any number) */
    const char *missing;           /* the line when fewer than min_args ("missing RUN.db") */
    void (*usage)(FILE *out);      /* what --help prints */
};

/* What opt_parse() read; the strings are argv's. */
struct opt_args {
    const char **args;      /* the positional arguments, in order */
    size_t n_args;
    int *hit_opt;           /* each option given, in order: its id ... */
    const char **hit_value; /* ... and its value (NULL for a flag) */
    size_t n_hits;
};

enum opt_result { OPT_OK = 0, OPT_HELP = 1, OPT_BAD = -1 };

/*
 * Read argv[1..argc) (argv[0] is the command's name) by c's table into a:
 * OPT_OK; OPT_HELP when --help was given (the usage printed on stdout); or
 * OPT_BAD with the mistake said on stderr.  Whatever it returns, a is
 * released with opt_free().
 */
enum opt_result opt_parse(const struct opt_command *c, int argc, char **argv,
                          struct opt_args *a);
void opt_free(struct opt_args *a);

/* How many times option id was given. */
size_t opt_count(const struct opt_args *a, int id);
/* The value it was given last, or NULL (not given, or a flag). */
const char *opt_value(const struct opt_args *a, int id);
/* Its i-th value (0 <= i < opt_count), in the order given. */
const char *opt_nth(const struct opt_args *a, int id, size_t i);

/* text as a positive decimal integer, all of it, at most max; false for
 * anything else ("0", "-1", " 1", "1x", a number past max). */
bool opt_positive(const char *text, uint64_t max, uint64_t *out);

#endif
