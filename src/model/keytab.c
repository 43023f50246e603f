/*
 * keytab.c - the partition keys of a run (SPEC 1.1): each key string stored
 * once, with its MD5 hash-key (the 128-bit big-endian integer that routes it
 * to a shard) and its length once escaped in event JSON (R2 payload size).
 *
 * Strings live in a chunked arena: chunks are never moved, so the pointer
 * keytab_key() returns stays valid for the table's life, and a million keys
 * cost a few hundred mallocs, not a million.  Per key the table keeps a
 * pointer, the hash and two lengths (32 bytes, four arrays in one
 * allocation), and two slots of an index that finds a key by its MD5, so
 * that a string has one id however often it is added: per-key order (R10,
 * R12) can then be followed by id.  A slot holds the id and the top half of
 * the MD5's high word, so that a probe past another key tells it apart
 * without a look at its hash (a cache miss at 100,000 keys).
 *
 * Both are sized once for the keys the producers declare (keytab_reserve),
 * not doubled from 1,024 keys, and a table of megabytes lies on huge pages
 * (big_alloc): the bench's 100,000 keys took 27% of its run's page faults when
 * the arrays and the index doubled (each doubling a fresh first touch, and
 * realloc's copies), and a first touch costs ~0.35 ms a MiB of 4 KiB pages
 * in this VM, ~0.03 of a transparent huge page.
 */
#include <stdlib.h>
#include <string.h>

#include <nettle/md5.h>

#include "bigmem.h"
#include "keytab.h"
#include "prefetch.h"

#define ARENA_CHUNK 65536   /* bytes per arena chunk; longer keys get their own */
#define FIRST_CAP 1024      /* keys, when none were reserved */
/* keytab_reserve's room, at most: a Zipf key space of 10^6 keys of which a
 * run uses 20,000 would otherwise hold a 16 MiB index, touched all over */
#define RESERVE_MAX ((size_t)1 << 18)

struct chunk {
    struct chunk *next;     /* older chunk */
    size_t used, cap;       /* bytes of text[] */
    char text[];
};

struct keytab {
    struct chunk *arena;    /* newest chunk first */
    struct hashkey *hash;   /* key id -> MD5 of the key; the allocation of all four */
    const char **str;       /* key id -> its NUL-terminated copy in the arena */
    uint32_t *len;          /* key id -> bytes, without the NUL */
    uint32_t *json_len;     /* key id -> bytes once JSON-escaped, without quotes */
    size_t n, cap;          /* keys held, slots allocated */
    size_t reserved;        /* keys keytab_reserve was told of */
    uint32_t max_len;       /* the longest key's len */
    uint64_t *index;        /* open addressing on the MD5: slot_of(), 0 empty */
    size_t index_cap;       /* a power of two, at least twice n */
};

struct keytab *keytab_create(void)
{
    return calloc(1, sizeof(struct keytab));
}

void keytab_destroy(struct keytab *t)
{
    if (!t)
        return;
    for (struct chunk *c = t->arena, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(t->hash);
    free(t->index);
    free(t);
}

/* Room for size bytes in the arena (a new chunk when the newest is full). */
static char *arena_alloc(struct keytab *t, size_t size)
{
    struct chunk *c = t->arena;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = t->arena;
        t->arena = c;
    }
    char *p = c->text + c->used;
    c->used += size;
    return p;
}

/* Move the per-key arrays to room for cap keys (one allocation: a failure
 * leaves the table as it was). */
static int grow(struct keytab *t, size_t cap)
{
    struct hashkey *hash = big_alloc(cap * (sizeof *t->hash + sizeof *t->str +
                                              sizeof *t->len + sizeof *t->json_len));
    if (!hash)
        return -1;
    const char **str = (const char **)(hash + cap);
    uint32_t *len = (uint32_t *)(str + cap), *json_len = len + cap;
    if (t->n) {
        memcpy(hash, t->hash, t->n * sizeof *hash);
        memcpy(str, t->str, t->n * sizeof *str);
        memcpy(len, t->len, t->n * sizeof *len);
        memcpy(json_len, t->json_len, t->n * sizeof *json_len);
    }
    free(t->hash);
    t->hash = hash;
    t->str = str;
    t->len = len;
    t->json_len = json_len;
    t->cap = cap;
    return 0;
}

/* An index slot's content: key id + 1 (never 0) and the top 32 bits of h.hi. */
static uint64_t slot_of(uint32_t id, struct hashkey h)
{
    return (h.hi & 0xffffffff00000000u) | ((uint64_t)id + 1);
}

/* The index slot of key (its MD5 h): the slot holding it, or the empty slot
 * where it goes.  MD5 is uniform, so its low bits are a fine slot number. */
static size_t index_slot(const struct keytab *t, struct hashkey h, const char *key)
{
    size_t mask = t->index_cap - 1;
    for (size_t i = h.lo & mask;; i = (i + 1) & mask) {
        uint64_t s = t->index[i];
        if (s == 0)
            return i;
        uint32_t id = (uint32_t)s - 1;
        if ((s ^ h.hi) >> 32 == 0 && t->hash[id].lo == h.lo && t->hash[id].hi == h.hi &&
            strcmp(t->str[id], key) == 0)
            return i;
    }
}

/* The index moved to cap slots (a power of two), every key put back. */
static int index_resize(struct keytab *t, size_t cap)
{
    uint64_t *index = big_alloc(cap * sizeof *index);
    if (!index)
        return -1;
    memset(index, 0, cap * sizeof *index);
    free(t->index);
    t->index = index;
    t->index_cap = cap;
    /* The keys are distinct: each goes to the first empty slot of its run. */
    for (size_t id = 0; id < t->n; id++) {
        size_t i = t->hash[id].lo & (cap - 1);
        while (index[i])
            i = (i + 1) & (cap - 1);
        index[i] = slot_of((uint32_t)id, t->hash[id]);
    }
    return 0;
}

/* The index's size for n keys: a power of two, at least 2,048 and 2n. */
static size_t index_cap_for(size_t n)
{
    size_t cap = 2048;
    while (cap < 2 * n)
        cap *= 2;
    return cap;
}

void keytab_reserve(struct keytab *t, size_t n)
{
    t->reserved = n < SIZE_MAX - t->reserved ? t->reserved + n : SIZE_MAX;
    size_t want = t->reserved < RESERVE_MAX ? t->reserved : RESERVE_MAX;
    if (want > t->cap)
        (void)grow(t, want);   /* out of memory: grown on demand */
    if (index_cap_for(want) > t->index_cap)
        (void)index_resize(t, index_cap_for(want));
}

/* The line of the index slot where h's probe starts: at 100,000 keys the
 * index is 2 MiB, and that load was keytab_add_hashed's one stall (5.0% of
 * the bench's simulation thread; 0.5% with producer.c's prefetches 8 first
 * uses ahead). */
void keytab_prefetch(const struct keytab *t, struct hashkey h)
{
    if (t->index)
        PREFETCH(&t->index[h.lo & (t->index_cap - 1)]);
}

struct key_facts key_facts(const char *key, size_t len)
{
    return key_facts_escaped(key, len, json_escaped_len(key));
}

struct key_facts key_facts_escaped(const char *key, size_t len, size_t json_len)
{
    return (struct key_facts){ hashkey_of(key, len), len < UINT32_MAX ? (uint32_t)len : UINT32_MAX,
                               (uint32_t)json_len };
}

uint32_t keytab_add(struct keytab *t, const char *key)
{
    struct key_facts f = key_facts(key, strlen(key));
    return keytab_add_facts(t, key, &f);
}

uint32_t keytab_add_facts(struct keytab *t, const char *key, const struct key_facts *f)
{
    uint32_t len = f->len;
    struct hashkey h = f->hash;
    if (t->n >= UINT32_MAX - 1 || len == UINT32_MAX)
        return UINT32_MAX;
    if (2 * (t->n + 1) > t->index_cap && index_resize(t, index_cap_for(t->n + 1)) < 0)
        return UINT32_MAX;
    size_t slot = index_slot(t, h, key);
    if (t->index[slot])
        return (uint32_t)t->index[slot] - 1;
    if (t->n == t->cap && grow(t, t->cap ? 2 * t->cap : FIRST_CAP) < 0)
        return UINT32_MAX;
    char *copy = arena_alloc(t, (size_t)len + 1);
    if (!copy)
        return UINT32_MAX;
    memcpy(copy, key, (size_t)len + 1);
    uint32_t id = (uint32_t)t->n++;
    t->str[id] = copy;
    t->hash[id] = h;
    t->index[slot] = slot_of(id, h);
    t->len[id] = len;
    if (len > t->max_len)
        t->max_len = len;
    t->json_len[id] = f->json_len;
    return id;
}

const char *keytab_key(const struct keytab *t, uint32_t id) { return t->str[id]; }
struct hashkey keytab_hash(const struct keytab *t, uint32_t id) { return t->hash[id]; }
const struct hashkey *keytab_hashes(const struct keytab *t) { return t->hash; }
uint32_t keytab_len(const struct keytab *t, uint32_t id) { return t->len[id]; }
uint32_t keytab_json_len(const struct keytab *t, uint32_t id) { return t->json_len[id]; }
size_t keytab_count(const struct keytab *t) { return t->n; }
uint32_t keytab_max_len(const struct keytab *t) { return t->max_len; }

/* The 8 bytes at b as a big-endian integer: a load and a byte swap, as
 * the compiler reads this form (a loop shifting both halves in was 72
 * instructions a key, callgrind). */
static uint64_t big_endian64(const uint8_t *b)
{
    return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 | (uint64_t)b[3] << 32 |
           (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 | (uint64_t)b[6] << 8 | b[7];
}

struct hashkey hashkey_of(const char *key, size_t len)
{
    struct md5_ctx ctx;
    uint8_t d[MD5_DIGEST_SIZE];
    md5_init(&ctx);
    md5_update(&ctx, len, (const uint8_t *)key);
    md5_digest(&ctx, sizeof d, d);
    return (struct hashkey){ big_endian64(d), big_endian64(d + 8) };
}

void hashkey_format(struct hashkey h, char *buf)
{
    /* Repeated division by 10 over four 32-bit limbs, most significant first:
     * 39 digits at most, so the quadratic cost is nothing. */
    uint32_t limb[4] = { (uint32_t)(h.hi >> 32), (uint32_t)h.hi,
                         (uint32_t)(h.lo >> 32), (uint32_t)h.lo };
    char rev[40];
    int n = 0;
    do {
        uint64_t rem = 0;
        for (int i = 0; i < 4; i++) {
            uint64_t cur = rem << 32 | limb[i];
            limb[i] = (uint32_t)(cur / 10);
            rem = cur % 10;
        }
        rev[n++] = (char)('0' + rem);
    } while (limb[0] | limb[1] | limb[2] | limb[3]);
    for (int i = 0; i < n; i++)
        buf[i] = rev[n - 1 - i];
    buf[n] = '\0';
}

size_t json_escaped_len(const char *s)
{
    /* As cJSON's print_string_ptr: two-character escapes for " \ \b \f \n \r
     * \t, \u00XX for the other control bytes, everything else (UTF-8
     * included) copied as is. */
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': case '\\': case '\b': case '\f': case '\n': case '\r': case '\t':
            n += 2;
            break;
        default:
            n += *p < 0x20 ? 6 : 1;
        }
    }
    return n;
}
