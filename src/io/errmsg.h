/*
 * errmsg.h - the error-message convention of the edge modules: a function
 * that can fail takes (char *err, size_t errlen) and writes one line of
 * context there ("PATH: what went wrong") before returning its error code.
 */
#ifndef ESMSIM_ERRMSG_H
#define ESMSIM_ERRMSG_H

#include <stddef.h>

/* What a function that does a whole command's work (report_show,
 * merge_runs, import_scenario ...) returns after saying why on stderr,
 * beside 0: the command line makes exit status 1, 2 or 130 of it (exit.h). */
#define ERRMSG_FAILED    (-1)   /* something could not be written in full */
#define ERRMSG_BAD_INPUT (-2)   /* the input is bad: nothing written */
#define ERRMSG_INTERRUPTED (-3) /* SIGINT, SIGTERM or SIGHUP stopped it */

/* printf into err; a NULL err or a zero errlen means the caller does not
 * want the message. */
void errmsg_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
