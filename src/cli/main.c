/*
 * main.c - esmsim's entry point; everything happens in cli.c, once the
 * standard descriptors are sure to be open.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "exit.h"

/*
 * A standard descriptor closed at start (`esmsim run ... >&-`) gets
 * /dev/null, as daemons do, so that nothing esmsim opens later (a handler's
 * pipes and eventfd, a chart's pipe, an output file) takes 0, 1 or 2 and
 * receives what is printed, nor a child inherits it as its own.  Opened in
 * the mode opposite the descriptor's use, so that a write to stdout or
 * stderr still fails (EBADF) as on the closed one: a summary printed to a
 * closed stdout is still an error (cli.c, stdout_written).  -1 when
 * /dev/null cannot be opened.
 */
static int std_fds_open(void)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int got = open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
        if (got != fd) {   /* the lowest free number: fd, or a failure */
            if (got >= 0)
                close(got);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (std_fds_open() < 0)
        return EXIT_FAILED;   /* nowhere to say it: stderr may be the one closed */
    return cli_main(argc, argv);
}
