/*
 * nameids.c - names to dense ids: an open-addressing hash table of the
 * names (FNV-1a; linear probing; doubled at half full).  See nameids.h.
 * A short name (a partition key, a shard id) is kept in its slot, so that a
 * lookup reads one cache line, not the slot and then the name: the run log
 * looks up a key and a shard for every record.
 */
#include "nameids.h"

#include <stdlib.h>
#include <string.h>

#define NAMEIDS_INLINE 24   /* names shorter than this live in their slot */

struct slot {
    uint64_t hash;
    uint32_t id;     /* 0: empty */
    char *name;      /* owned, for a long name; NULL for a short one */
    char inline_name[NAMEIDS_INLINE];
};

static const char *slot_name(const struct slot *s)
{
    return s->name ? s->name : s->inline_name;
}

struct nameids {
    struct slot *slots;
    size_t cap;      /* a power of two */
    size_t count;
};

static uint64_t nameids_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

struct nameids *nameids_create(void)
{
    struct nameids *m = calloc(1, sizeof *m);
    if (m && !(m->slots = calloc(m->cap = 64, sizeof *m->slots))) {
        free(m);
        m = NULL;
    }
    return m;
}

void nameids_clear(struct nameids *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].name);   /* NULL for short names and empty slots */
    memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->count = 0;
}

void nameids_destroy(struct nameids *m)
{
    if (!m)
        return;
    nameids_clear(m);
    free(m->slots);
    free(m);
}

static int nameids_grow(struct nameids *m)
{
    size_t cap = m->cap * 2;
    struct slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].id)
            continue;
        size_t j = m->slots[i].hash & (cap - 1);
        while (slots[j].id)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

uint32_t nameids_get(struct nameids *m, const char *name, bool *is_new)
{
    uint64_t h = nameids_hash(name);
    size_t j = h & (m->cap - 1);
    *is_new = false;
    for (; m->slots[j].id; j = (j + 1) & (m->cap - 1))
        if (m->slots[j].hash == h && strcmp(slot_name(&m->slots[j]), name) == 0)
            return m->slots[j].id;
    if (m->count >= UINT32_MAX - 1)
        return 0;
    if (2 * (m->count + 1) > m->cap) {
        if (nameids_grow(m) < 0)
            return 0;
        return nameids_get(m, name, is_new);
    }
    struct slot *slot = &m->slots[j];
    size_t len = strlen(name);
    *slot = (struct slot){ .hash = h };
    if (len < NAMEIDS_INLINE)
        memcpy(slot->inline_name, name, len + 1);
    else if (!(slot->name = strdup(name)))
        return 0;
    slot->id = (uint32_t)++m->count;
    *is_new = true;
    return slot->id;
}
