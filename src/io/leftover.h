/*
 * leftover.h - the temporary files a command makes beside its output (a
 * sweep's runs, SWEEP.db.run-XXXXXX; a merge's new output,
 * OUT.db.merge-XXXXXX), each with a lock file, so that a later command on
 * the same output can remove what one killed outright (SIGKILL, the OOM
 * killer: no handler runs) left, and nothing else.
 *
 * The lock file BASE INFIX XXXXXX.lock is made and locked (flock) before
 * the temporary file BASE INFIX XXXXXX exists, and stays locked for as long
 * as a process holds it open: the kernel releases the lock however that
 * process ends.  A lock no process holds is then the sign of files no one
 * will use or remove.  A file of its own rather than a lock on the
 * temporary file: on NFS, flock on a database is an fcntl lock over the
 * whole file, which SQLite's own locks on it would wait on.
 */
#ifndef ESMSIM_LEFTOVER_H
#define ESMSIM_LEFTOVER_H

#include <stddef.h>

/* A temporary file and its lock file. */
struct leftover {
    char *path;   /* the temporary file, owned; NULL when there is none */
    int lock;     /* path.lock, open and locked while path is set */
};

/*
 * Make BASE INFIX XXXXXX.lock (infix ".run-", ".merge-"), lock it, then
 * make BASE INFIX XXXXXX, empty (mode 0600, never through a symlink), into
 * lo.  The lock is not inherited across exec; a child forked after it
 * shares it.  Returns 0, or -1 with "LOCKFILE: cannot create WHAT: reason"
 * (or "cannot lock") in err, what naming the temporary file for the user.
 */
int leftover_make(struct leftover *lo, const char *base, const char *infix, const char *what,
                  char *err, size_t errlen);

/* Remove lo's temporary file and what SQLite may have left beside it
 * (runlog_unlink), then its lock file, and release the lock; lo then holds
 * none.  Nothing when it holds none. */
void leftover_remove(struct leftover *lo);

/*
 * Remove the files left beside base by processes that died holding them:
 * for each lock file named exactly as leftover_make names them with this
 * infix, a regular file (never a symlink) that no process holds locked,
 * the temporary file and SQLite's files beside it, the regular files among
 * them, then the lock file.  Returns how many such lock files were removed
 * (0 when base's directory cannot be read: using base will say why).
 */
size_t leftover_remove_unlocked(const char *base, const char *infix);

#endif
