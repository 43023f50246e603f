/*
 * cli.c - the esmsim command line (SPEC section 5): which command argv
 * names, and `esmsim help` and `--version`.  Each command reads its own
 * options with the one table parser (opt.h) and answers with one of the
 * exit statuses of exit.h.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit.h"
#include "gnuplot.h"
#include "opt.h"
#include "stopsig.h"

/* The commands, argv[0] being the command's name. */
static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} commands[] = {
    { "run", cmd_run },
    { "check", cmd_check },
    { "plot", cmd_plot },
    { "report", cmd_report },
    { "sweep", cmd_sweep },
    { "merge", cmd_merge },
    { "trace", cmd_trace },
    { "logs", cmd_logs },
    { "import", cmd_import },
    { "compare", cmd_compare },
};

/* Every command, for the message about an unknown one. */
static const char COMMAND_LIST[] = "run, check, report, trace, plot, sweep, merge, logs, import, "
                                   "compare, help, version";

/*
 * What the command printed reached standard output, or its success becomes
 * EXIT_FAILED, said on stderr: a full disk or a closed descriptor never
 * passes for a report written.  A reader that went away (EPIPE, `| head`)
 * ends esmsim as SIGPIPE would have, silently with 128 + 13, but only now,
 * once the command is done: SIGPIPE is ignored meanwhile (cli_main), so
 * that a write to a closed pipe never kills esmsim between making a
 * temporary file (a chart's) and removing it, or while a sweep's runs go on.
 * A stop signal that gave standard output up (stopsig.h) ends it with 130.
 */
static int stdout_written(const char *command, int rc, bool pipe_kills)
{
    bool bad = ferror(stdout) != 0;
    errno = 0;
    bad |= fflush(stdout) != 0;
    int e = errno;
    if (stopsig_output_dropped()) {   /* a stop signal found no one reading: stopped, as asked */
        if (rc == EXIT_OK)
            fprintf(stderr, "esmsim %s: interrupted: standard output not written in full (its "
                    "reader was not reading)\n", command);
        return rc == EXIT_OK ? EXIT_INTERRUPTED : rc;
    }
    if (!bad)
        return rc;
    if (e == EPIPE && pipe_kills) {
        signal(SIGPIPE, SIG_DFL);
        raise(SIGPIPE);
    }
    if (rc != EXIT_OK)
        return rc;   /* the command said what failed first */
    fprintf(stderr, "esmsim %s: standard output: %s\n", command,
            e ? strerror(e) : "write error");
    return EXIT_FAILED;
}

/* The index of the command called name in commands[], or -1. */
static int find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(name, commands[i].name))
            return (int)i;
    return -1;
}

static int unknown_command(const char *name)
{
    fprintf(stderr, "esmsim: unknown command '%s' (the commands are: %s; "
            "esmsim help shows how to use them)\n", name, COMMAND_LIST);
    return EXIT_BAD_INPUT;
}

static int run_command(int i, int argc, char **argv, bool pipe_kills)
{
    int rc = commands[i].main(argc, argv);
    /* a chart's gnuplot stopped by a signal: the command ended early */
    rc = gp_stopped_by() ? EXIT_INTERRUPTED : rc;
    return stdout_written(commands[i].name, rc, pipe_kills);
}

/*
 * `esmsim help [COMMAND]` (or --help, -h) and `esmsim version` (or
 * --version), read by the one option parser so that they refuse what they
 * do not take as every command does.  help COMMAND is COMMAND --help; help
 * alone, help help, help version and version --help print the general usage.
 */
static int help_or_version(int argc, char **argv, bool version, bool pipe_kills)
{
    static const struct opt_spec none[] = { { NULL, NULL, NULL } };
    const struct opt_command cmd = { argv[0], none, 0, version ? 0 : 1, "", run_usage };
    struct opt_args a;
    enum opt_result parsed = opt_parse(&cmd, argc, argv, &a);
    const char *topic = parsed == OPT_OK && a.n_args == 1 ? a.args[0] : NULL;
    opt_free(&a);
    if (parsed == OPT_BAD)
        return EXIT_BAD_INPUT;
    if (parsed == OPT_OK && version) {
        printf("esmsim %s\n", ESMSIM_VERSION);
        return stdout_written("--version", EXIT_OK, pipe_kills);
    }
    if (topic && strcmp(topic, "help") && strcmp(topic, "version")) {
        int i = find_command(topic);
        if (i < 0)
            return unknown_command(topic);
        static char help_word[] = "--help";
        char *help_argv[] = { argv[1], help_word, NULL };   /* argv[1] is topic */
        return run_command(i, 2, help_argv, pipe_kills);
    }
    if (parsed == OPT_OK)   /* OPT_HELP printed it */
        run_usage(stdout);
    return stdout_written("help", EXIT_OK, pipe_kills);
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        run_usage(stderr);
        return EXIT_BAD_INPUT;
    }
    struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &old);
    bool pipe_kills = old.sa_handler == SIG_DFL;
    const char *name = argv[1];
    bool version = !strcmp(name, "--version") || !strcmp(name, "version");
    if (version || !strcmp(name, "--help") || !strcmp(name, "help") || !strcmp(name, "-h"))
        return help_or_version(argc - 1, argv + 1, version, pipe_kills);
    int i = find_command(name);
    /* The command before its options: `esmsim replay --help` is about an
     * unknown command, not an unknown option. */
    return i >= 0 ? run_command(i, argc - 1, argv + 1, pipe_kills) : unknown_command(name);
}
