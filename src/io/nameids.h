/*
 * nameids.h - dense integer ids for names (shard ids, partition keys,
 * producers), given in the order the names are first seen: 1, 2, ...  The
 * run log stores each name once, in a lookup table, and the id in the rows
 * that name it (runlog.c).  Names are copied; lookups are by content.
 */
#ifndef ESMSIM_NAMEIDS_H
#define ESMSIM_NAMEIDS_H

#include <stdbool.h>
#include <stdint.h>

struct nameids;

struct nameids *nameids_create(void);
void nameids_destroy(struct nameids *m);
/* Forget every name: ids start again at 1 (a new run). */
void nameids_clear(struct nameids *m);

/*
 * The id of name, given it if new (*is_new true then: the caller writes its
 * lookup row).  0 when out of memory.
 */
uint32_t nameids_get(struct nameids *m, const char *name, bool *is_new);

#endif
