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
 */
static int stdout_written(const char *command, int rc, bool pipe_kills)
{
    bool bad = ferror(stdout) != 0;
    errno = 0;
    bad |= fflush(stdout) != 0;
    int e = errno;
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
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("esmsim %s\n", ESMSIM_VERSION);
        return stdout_written("--version", EXIT_OK, pipe_kills);
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h")) {
        run_usage(stdout);
        return stdout_written("help", EXIT_OK, pipe_kills);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            int rc = commands[i].main(argc - 1, argv + 1);
            /* a chart's gnuplot stopped by a signal: the command ended early */
            rc = gp_stopped_by() ? EXIT_INTERRUPTED : rc;
            return stdout_written(commands[i].name, rc, pipe_kills);
        }
    /* The command before its options: `esmsim replay --help` is about an
     * unknown command, not an unknown option. */
    fprintf(stderr, "esmsim: unknown command '%s' (the commands are: %s; "
            "esmsim help shows how to use them)\n", argv[1], COMMAND_LIST);
    return EXIT_BAD_INPUT;
}
