/*
 * exit.h - the exit status of every esmsim command (SPEC section 5).
 */
#ifndef ESMSIM_EXIT_H
#define ESMSIM_EXIT_H

#include "errmsg.h"

#define EXIT_OK          0     /* done */
#define EXIT_FAILED      1     /* an expect block failed, or something could not be written in full */
#define EXIT_BAD_INPUT   2     /* bad options or input: nothing run, nothing written */
#define EXIT_INTERRUPTED 130   /* SIGINT or SIGTERM (128 + 2): what was done is kept */

/* The exit status of what a command's function returned: 0, ERRMSG_FAILED,
 * ERRMSG_BAD_INPUT or ERRMSG_INTERRUPTED (errmsg.h). */
static inline int exit_status(int rc)
{
    return rc == 0 ? EXIT_OK : rc == ERRMSG_BAD_INPUT ? EXIT_BAD_INPUT
           : rc == ERRMSG_INTERRUPTED ? EXIT_INTERRUPTED : EXIT_FAILED;
}

#endif
