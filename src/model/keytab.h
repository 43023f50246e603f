/*
 * keytab.h - partition keys, stored once each, with their 128-bit MD5 (the
 * hash-key that routes them, SPEC 1.1) and their length once escaped in JSON
 * (the event size of R2).  Keys are identified by a dense uint32 id, one per
 * distinct string: adding a string again returns its id.
 */
#ifndef ESMSIM_KEYTAB_H
#define ESMSIM_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

struct keytab;

/* The 128-bit hash-key: MD5 of the key read as a big-endian integer. */
struct hashkey {
    uint64_t hi, lo;
};

struct keytab *keytab_create(void);
void keytab_destroy(struct keytab *t);

/* Room for n more keys than reserved so far (a producer's key space; key
 * spaces may overlap), up to 2^18 keys in all, so that the table does not
 * grow by doubling while they come; out of memory, it grows on demand. */
void keytab_reserve(struct keytab *t, size_t n);

/* What the table keeps of a key besides its text: a pure function of it,
 * which key_facts works out on any thread. */
struct key_facts {
    struct hashkey hash;    /* hashkey_of the key */
    uint32_t len;           /* bytes, without the NUL; UINT32_MAX: too long to hold */
    uint32_t json_len;      /* bytes once JSON-escaped, without the quotes */
};

/* The facts of key, of len bytes. */
struct key_facts key_facts(const char *key, size_t len);
/* The same, its escaped length json_len known (json_escaped_len(key)). */
struct key_facts key_facts_escaped(const char *key, size_t len, size_t json_len);

/* The id of key, copied into the table if it is new; UINT32_MAX when out of
 * memory. */
uint32_t keytab_add(struct keytab *t, const char *key);
/* keytab_add with f = key_facts(key), worked out by the caller (ahead of
 * its use, on another thread: producer.c). */
uint32_t keytab_add_facts(struct keytab *t, const char *key, const struct key_facts *f);
/* A hint: keytab_add_facts of a key whose MD5 is h comes soon (its index
 * slot fetched into the cache meanwhile). */
void keytab_prefetch(const struct keytab *t, struct hashkey h);

const char *keytab_key(const struct keytab *t, uint32_t id);
struct hashkey keytab_hash(const struct keytab *t, uint32_t id);
/* Every key's hash, by id: for a loop that asks for a slot ahead of its
 * use.  Valid until the next keytab_add. */
const struct hashkey *keytab_hashes(const struct keytab *t);
/* Length of the key in bytes (what the stream's limits count). */
uint32_t keytab_len(const struct keytab *t, uint32_t id);
/* Length of the key once JSON-escaped, without the quotes. */
uint32_t keytab_json_len(const struct keytab *t, uint32_t id);
size_t keytab_count(const struct keytab *t);
/* The length of the longest key in the table, 0 when empty: a bound that
 * spares looking keys up (a request within the stream's limits). */
uint32_t keytab_max_len(const struct keytab *t);

/* MD5 of key as a 128-bit big-endian integer (nettle). */
struct hashkey hashkey_of(const char *key, size_t len);
/* Decimal text of h into buf (at least 40 bytes). */
void hashkey_format(struct hashkey h, char *buf);

/* Bytes that s takes inside a JSON string once escaped (as cJSON prints it). */
size_t json_escaped_len(const char *s);

#endif
