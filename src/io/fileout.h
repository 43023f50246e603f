/*
 * fileout.h - a file written whole or not at all: written into a temporary
 * file beside it (made with a new file's mode, as open would make it), then
 * renamed over it; a failure leaves the path as it was.
 */
#ifndef ESMSIM_FILEOUT_H
#define ESMSIM_FILEOUT_H

#include <stdbool.h>
#include <stddef.h>

/* An empty file beside path, named path.XXXXXX, with a new file's mode
 * (mkstemp makes it 0600), for the caller to fill, then rename to path or
 * remove.  Its name into temp, of size bytes (at least strlen(path) + 8).
 * Returns 0, or -1 with errno set (ENAMETOOLONG when temp is too small,
 * EEXIST when path is there and fileout_unfit: callers say why first). */
int fileout_temp(const char *path, char *temp, size_t size);

/* What is at path when something is there that is not a regular file ("a
 * character device", "a FIFO", ... as fmt_file_kind says), else NULL: a
 * file renamed over path would replace it (as root, /dev/null itself). */
const char *fileout_unfit(const char *path);

/* text into path, whole or not at all; "-" is standard output.  Returns 0,
 * or -1 with a message ("PATH: cannot create: ...", "PATH: cannot write:
 * ...", "PATH: not a regular file (a FIFO)", "standard output: ..."). */
int fileout_write(const char *path, const char *text, char *err, size_t errlen);

/* Whether path names the file input names (the same device and inode, by
 * whatever name: ./x, a link): an output written there would replace that
 * input.  False when either is missing. */
bool fileout_same(const char *path, const char *input);

#endif
