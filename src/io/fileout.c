/*
 * fileout.c - a file written whole or not at all: see fileout.h.
 */
#include "fileout.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "fmt.h"

const char *fileout_unfit(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode) ? fmt_file_kind(st.st_mode) : NULL;
}

int fileout_temp(const char *path, char *temp, size_t size)
{
    if (fileout_unfit(path)) {
        errno = EEXIST;
        return -1;
    }
    if ((size_t)snprintf(temp, size, "%s.XXXXXX", path) >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkstemp(temp);
    if (fd < 0)
        return -1;
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    close(fd);
    return 0;
}

bool fileout_same(const char *path, const char *input)
{
    struct stat a, b;
    return stat(path, &a) == 0 && stat(input, &b) == 0 && a.st_dev == b.st_dev
           && a.st_ino == b.st_ino;
}

int fileout_write(const char *path, const char *text, char *err, size_t errlen)
{
    if (!strcmp(path, "-")) {
        if (fputs(text, stdout) < 0 || fflush(stdout) != 0) {
            errmsg_set(err, errlen, "standard output: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    const char *kind = fileout_unfit(path);
    if (kind) {
        errmsg_set(err, errlen, "%s: not a regular file (%s)", path, kind);
        return -1;
    }
    size_t len = strlen(path) + 8;
    char *temp = malloc(len);
    if (!temp) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    if (fileout_temp(path, temp, len) < 0) {
        errmsg_set(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        free(temp);
        return -1;
    }
    FILE *f = fopen(temp, "w");
    bool ok = f && fputs(text, f) >= 0;
    ok = f && fclose(f) == 0 && ok;
    if (ok && rename(temp, path) == 0) {
        free(temp);
        return 0;
    }
    errmsg_set(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    unlink(temp);
    free(temp);
    return -1;
}
