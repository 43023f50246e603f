/*
 * leftover.c - temporary files beside an output, each with a lock file, and
 * the removal of those a killed process left: see leftover.h.
 */
#define _GNU_SOURCE   /* mkostemps */
#include "leftover.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "runlog.h"

static const char leftover_lock_suffix[] = ".lock";
#define LEFTOVER_NAME_CHARS 6   /* mkstemp's XXXXXX: letters and digits */

/* fd, open, is still the file that dir's entry name is (not one removed
 * and made anew meanwhile). */
static bool leftover_same(int fd, int dir, const char *name)
{
    struct stat held, named;
    return fstat(fd, &held) == 0 && fstatat(dir, name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
           held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

int leftover_make(struct leftover *lo, const char *base, const char *infix, const char *what,
                  char *err, size_t errlen)
{
    size_t len = strlen(base) + strlen(infix) + LEFTOVER_NAME_CHARS + sizeof leftover_lock_suffix;
    char *path = malloc(len);
    if (!path) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    const char *failed = "create";
    for (int tries = 0; tries < 100; tries++) {
        snprintf(path, len, "%s%sXXXXXX%s", base, infix, leftover_lock_suffix);
        int fd = mkostemps(path, sizeof leftover_lock_suffix - 1, O_CLOEXEC);
        if (fd < 0)
            break;
        if (flock(fd, LOCK_EX) < 0) {
            failed = "lock";
            unlink(path);
            close(fd);
            break;
        }
        /* Another process starting may have taken the lock first, found
         * the file it locked no one's, and removed it: then another name. */
        if (!leftover_same(fd, AT_FDCWD, path)) {
            close(fd);
            continue;
        }
        char *tmp = strndup(path, strlen(path) - (sizeof leftover_lock_suffix - 1));
        int made = tmp ? open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
        int e = tmp ? errno : ENOMEM;
        if (made >= 0) {
            close(made);
            free(path);
            lo->path = tmp;
            lo->lock = fd;
            return 0;
        }
        free(tmp);
        unlink(path);
        close(fd);
        errno = e;
        if (e != EEXIST)   /* else a file of that name already: another name */
            break;
    }
    errmsg_set(err, errlen, "%s: cannot %s %s: %s", path, failed, what, strerror(errno));
    free(path);
    return -1;
}

void leftover_remove(struct leftover *lo)
{
    if (!lo->path)
        return;
    runlog_unlink(lo->path);
    char *lock = malloc(strlen(lo->path) + sizeof leftover_lock_suffix);
    if (lock) {
        sprintf(lock, "%s%s", lo->path, leftover_lock_suffix);
        unlink(lock);   /* last, still locked */
    }
    free(lock);
    close(lo->lock);
    free(lo->path);
    lo->path = NULL;
}

/* NAME is BASE INFIX XXXXXX.lock, as leftover_make names a lock file. */
static bool leftover_is_lock(const char *name, const char *base, const char *infix)
{
    size_t nb = strlen(base), ni = strlen(infix);
    if (strncmp(name, base, nb) != 0 || strncmp(name + nb, infix, ni) != 0)
        return false;
    const char *x = name + nb + ni;
    return strspn(x, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") ==
               LEFTOVER_NAME_CHARS && strcmp(x + LEFTOVER_NAME_CHARS, leftover_lock_suffix) == 0;
}

size_t leftover_remove_unlocked(const char *base, const char *infix)
{
    char *d = strdup(base), *b = strdup(base);
    DIR *dir = d && b ? opendir(dirname(d)) : NULL;
    if (!dir) {
        free(d);
        free(b);
        return 0;
    }
    const char *name = basename(b);
    size_t removed = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        if (!leftover_is_lock(e->d_name, name, infix))
            continue;
        /* for writing: over NFS, an exclusive flock needs it */
        int fd = openat(dirfd(dir), e->d_name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat st;
        /* still this file once locked: not one that another process
         * removed meanwhile */
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
            leftover_same(fd, dirfd(dir), e->d_name)) {
            char tmp[sizeof e->d_name];
            snprintf(tmp, sizeof tmp, "%.*s", (int)(strlen(e->d_name) -
                                                    (sizeof leftover_lock_suffix - 1)), e->d_name);
            runlog_unlink_regular(dirfd(dir), tmp);
            unlinkat(dirfd(dir), e->d_name, 0);   /* last, still locked */
            removed++;
        }
        close(fd);
    }
    closedir(dir);
    free(d);
    free(b);
    return removed;
}
