/*
 * test_msgtab.c - the message table's range operation (issue 15 item 1):
 * msg_records_done gives a set of records one fate (R17: a message's fate is
 * its best record's, final once nobody holds it), with exactly the rows,
 * counts and order of one msg_record_done per record.
 */
#include "check.h"
#include "keytab.h"
#include "msgtab.h"
#include "stream.h"

#define N_MSGS 40
#define MAX_ROWS 64

struct rows {
    struct slog_message v[MAX_ROWS];
    size_t n;
};

static void on_message(void *ctx, const struct slog_message *m)
{
    struct rows *r = ctx;
    if (r->n < MAX_ROWS)
        r->v[r->n++] = *m;
}

static const struct slog_ops ops = { .message = on_message };

/* A log that takes settled messages' fates a set at a time too (slog_ops.
 * fates), each as a row of on_message's, the calls of each kind counted. */
struct runs {
    struct rows rows;     /* first: the context on_message takes */
    size_t fates_calls, fates_ids;
};

static void on_fates(void *ctx, const uint64_t *ids, uint32_t n, enum fate f)
{
    struct runs *r = ctx;
    r->fates_calls++;
    r->fates_ids += n;
    for (uint32_t i = 0; i < n; i++)
        on_message(&r->rows, &(struct slog_message){ .message_id = ids[i], .fate = f });
}

static const struct slog_ops fates_ops = { .message = on_message, .fates = on_fates };

/* Messages 1..40, each written once and let go by its producer, but for
 * message 5 and 21 (written twice: producer duplicates) and 30 (never
 * written: rejected when let go). */
static struct msgtab *table(struct slog *log, struct keytab *keys, struct rows *rows)
{
    *log = (struct slog){ .ops = &ops, .ctx = rows, .per_record = true };
    struct msgtab *t = msg_create(log, keys);
    uint32_t k = keytab_add(keys, "user-1");
    for (uint64_t id = 1; id <= N_MSGS; id++) {
        CHECK_INT(msg_new(t, "api", k, (uint32_t)(100 + id), (int64_t)(1000 * id)), id);
        if (id == 5 || id == 21) {
            msg_written(t, id);
            msg_written(t, id);
            msg_released(t, id);
        } else if (id == 30) {
            msg_released(t, id);
        } else {
            msg_delivered(t, id);
        }
    }
    return t;
}

/* A shard's set: the odd ids in a stride, as a 2-shard stream would deal them
 * out; more than the prefetch distance, so that every record is fetched ahead. */
static const uint64_t SET1[] = { 1, 17, 33, 3, 19, 35, 5, 21, 7, 23,
                                 9, 25, 11, 27, 13, 29, 15, 31, 37, 39 };
/* The duplicates' second records, and a message whose only record is done. */
static const uint64_t SET2[] = { 21, 5, 2 };

/* issue 15 item 1, R17: msg_records_done settles each message whose last
 * holder it releases, in the set's order, with its best fate. */
static void test_records_done(void)
{
    struct keytab *keys = keytab_create();
    struct slog log;
    struct rows rows = { .n = 0 };
    struct msgtab *t = table(&log, keys, &rows);
    CHECK_INT(rows.n, 1);                  /* 30: rejected at once */
    CHECK_INT(rows.v[0].message_id, 30);
    CHECK_INT(rows.v[0].fate, FATE_REJECTED);
    CHECK_INT(msg_duplicated(t), 2);

    msg_records_done(t, SET1, sizeof SET1 / sizeof SET1[0], FATE_PROCESSED);
    /* 18 settled: all of SET1 but 5 and 21, whose second records are in the stream */
    CHECK_INT(rows.n, 1 + 18);
    size_t r = 1;
    for (size_t i = 0; i < sizeof SET1 / sizeof SET1[0]; i++) {
        if (SET1[i] == 5 || SET1[i] == 21)
            continue;
        CHECK_INT(rows.v[r].message_id, SET1[i]);
        CHECK_INT(rows.v[r].fate, FATE_PROCESSED);
        CHECK_INT(rows.v[r].bytes, 100 + SET1[i]);
        CHECK_INT(rows.v[r].created_us, 1000 * SET1[i]);
        CHECK_STR(rows.v[r].producer, "api");
        CHECK_STR(rows.v[r].partition_key, "user-1");
        r++;
    }
    CHECK_INT(msg_oldest(t), 2);

    msg_records_done(t, SET2, 3, FATE_DISCARDED);
    CHECK_INT(rows.n, 1 + 18 + 3);
    CHECK_INT(rows.v[19].message_id, 21);
    CHECK_INT(rows.v[19].fate, FATE_PROCESSED);   /* its best record's fate */
    CHECK_INT(rows.v[20].message_id, 5);
    CHECK_INT(rows.v[20].fate, FATE_PROCESSED);
    CHECK_INT(rows.v[21].message_id, 2);
    CHECK_INT(rows.v[21].fate, FATE_DISCARDED);
    CHECK_INT(msg_oldest(t), 4);

    msg_records_done(t, SET2, 0, FATE_LOST);      /* an empty set: nothing */
    CHECK_INT(rows.n, 22);

    uint64_t counts[FATE_COUNT];
    msg_counts(t, counts);
    CHECK_INT(counts[FATE_PROCESSED], 20);
    CHECK_INT(counts[FATE_DISCARDED], 1);
    CHECK_INT(counts[FATE_REJECTED], 1);
    msg_finish(t);                                /* the 18 even ids left stay pending */
    msg_counts(t, counts);
    CHECK_INT(counts[FATE_PENDING], 18);
    CHECK_INT(rows.n, 40);
    msg_destroy(t);
    keytab_destroy(keys);
}

/* issue 15 item 1: the range gives exactly what a call per record gives
 * (rows in the same order with the same values, counts, oldest). */
static void test_range_equals_records(void)
{
    struct keytab *keys_a = keytab_create(), *keys_b = keytab_create();
    struct slog log_a, log_b;
    static struct rows a, b;
    struct msgtab *ta = table(&log_a, keys_a, &a), *tb = table(&log_b, keys_b, &b);
    msg_records_done(ta, SET1, sizeof SET1 / sizeof SET1[0], FATE_LOST);
    msg_records_done(ta, SET2, 3, FATE_EXPIRED);
    for (size_t i = 0; i < sizeof SET1 / sizeof SET1[0]; i++)
        msg_record_done(tb, SET1[i], FATE_LOST);
    for (size_t i = 0; i < 3; i++)
        msg_record_done(tb, SET2[i], FATE_EXPIRED);
    CHECK_INT(a.n, 22);
    CHECK_INT(a.n, b.n);
    for (size_t i = 0; i < a.n && i < b.n; i++) {
        CHECK_INT(a.v[i].message_id, b.v[i].message_id);
        CHECK_INT(a.v[i].fate, b.v[i].fate);
        CHECK_INT(a.v[i].bytes, b.v[i].bytes);
        CHECK_INT(a.v[i].created_us, b.v[i].created_us);
    }
    CHECK_INT(a.v[21].fate, FATE_EXPIRED);        /* message 2 */
    CHECK_INT(a.v[20].fate, FATE_LOST);           /* message 5: lost beats expired */
    CHECK_INT(msg_oldest(ta), msg_oldest(tb));
    uint64_t ca[FATE_COUNT], cb[FATE_COUNT];
    msg_counts(ta, ca);
    msg_counts(tb, cb);
    for (int f = 0; f < FATE_COUNT; f++)
        CHECK_INT(ca[f], cb[f]);
    CHECK_INT(ca[FATE_LOST], 20);
    msg_destroy(ta);
    msg_destroy(tb);
    keytab_destroy(keys_a);
    keytab_destroy(keys_b);
}

/* issue 15 item 1: msg_delivered_run over ids in a row, and
 * msg_delivered_ids over a request's ascending ids, do what one
 * msg_delivered an id does: a message already written once becomes a
 * producer duplicate, each record then holds its message; ids unknown (0,
 * past the newest) are ignored (the others still delivered). */
static void test_delivered_run(void)
{
    static const uint64_t sets[3][5] = { { 0, 1, 2, 3, 5 }, { 4, 6, 8, 9, 10 },
                                         { 7, 11, 12, 13, 14 } };
    struct keytab *keys = keytab_create();
    uint32_t k = keytab_add(keys, "user-1");
    struct slog log[3];
    static struct rows rows[3];
    struct msgtab *t[3];
    for (int v = 0; v < 3; v++) {
        log[v] = (struct slog){ .ops = &ops, .ctx = &rows[v], .per_record = true };
        t[v] = msg_create(&log[v], keys);
        for (uint64_t id = 1; id <= 12; id++)
            CHECK_INT(msg_new(t[v], "api", k, 100, (int64_t)id), id);
        msg_written(t[v], 3);   /* a record of 3 already in the stream */
    }
    msg_delivered_run(t[0], 1, 10);
    msg_delivered_run(t[0], 11, 4);   /* 13 and 14 unknown */
    for (uint64_t id = 1; id <= 14; id++)
        msg_delivered(t[1], id);
    for (int i = 0; i < 3; i++)
        msg_delivered_ids(t[2], sets[i], 5);
    msg_delivered_ids(t[2], sets[0], 0);   /* none: nothing */
    uint64_t all[12];
    for (int i = 0; i < 12; i++)
        all[i] = (uint64_t)i + 1;
    for (int v = 0; v < 3; v++) {
        CHECK_INT(msg_duplicated(t[v]), 1);
        msg_records_done(t[v], all, 12, FATE_PROCESSED);
        CHECK_INT(rows[v].n, 11);       /* all but 3: its second record is still in the stream */
        CHECK_INT(msg_oldest(t[v]), 3);
        msg_destroy(t[v]);
    }
    for (size_t i = 0; i < rows[0].n; i++) {
        CHECK_INT(rows[0].v[i].message_id, rows[1].v[i].message_id);
        CHECK_INT(rows[2].v[i].message_id, rows[1].v[i].message_id);
        CHECK_INT(rows[2].v[i].fate, FATE_PROCESSED);   /* written: not rejected */
        CHECK_INT(rows[0].v[i].fate, FATE_PROCESSED);
    }
    keytab_destroy(keys);
}

/* Rows of the big table: each message's fields as given. */
#define BIG 3000
struct big_rows {
    size_t n, wrong;
    const char *const *names;
};

static void on_big_message(void *ctx, const struct slog_message *m)
{
    struct big_rows *r = ctx;
    uint64_t id = m->message_id;
    r->n++;
    if (m->producer != r->names[id % 7 % 3] || m->key_id != id * 3 || m->bytes != id + 5 ||
        m->created_us != (int64_t)id * 10 || m->fate != FATE_PROCESSED)
        r->wrong++;
}

/* issue 15 item 1, R17: an entry's row (24 bytes beside its 8-byte state)
 * keeps each message's producer (an index in the table's names: three
 * producers, interleaved), key, size and created time across the ring's
 * doublings, and the memory budget still counts 40 bytes a slot (sim.h: a
 * run stops where it did). */
static void test_entries_kept(void)
{
    static const char *const names[3] = { "orders", "payments", "audit" };
    static const struct slog_ops big_ops = { .message = on_big_message };
    struct big_rows rows = { .names = names };
    struct slog log = { .ops = &big_ops, .ctx = &rows, .per_record = true, .no_key_names = true };
    struct msgtab *t = msg_create(&log, NULL);
    CHECK_INT(msg_ring_bytes(t), 1024 * 40);
    for (uint64_t id = 1; id <= BIG; id++) {
        CHECK_INT(msg_new(t, names[id % 7 % 3], (uint32_t)(id * 3), (uint32_t)(id + 5),
                          (int64_t)id * 10), id);
        msg_delivered(t, id);
    }
    CHECK_INT(msg_ring_bytes(t), 4096 * 40);
    CHECK_INT(msg_created_us(t, 2999), 29990);
    static uint64_t ids[BIG];
    uint32_t n = 0;
    for (uint64_t shard = 1; shard <= 16; shard++)   /* a stride of 16 ids, as 16 shards */
        for (uint64_t id = shard; id <= BIG; id += 16)
            ids[n++] = id;
    CHECK_INT(n, BIG);
    msg_records_done(t, ids, n, FATE_PROCESSED);
    CHECK_INT(rows.n, BIG);
    CHECK_INT(rows.wrong, 0);
    CHECK_INT(msg_oldest(t), BIG + 1);
    msg_destroy(t);
}

/* The big table's rows when its messages come by request: each producer
 * 250 ids in a row. */
static void on_request_message(void *ctx, const struct slog_message *m)
{
    struct big_rows *r = ctx;
    uint64_t id = m->message_id;
    r->n++;
    if (m->producer != r->names[(id - 1) / 250 % 3] || m->key_id != id * 3 ||
        m->bytes != id + 5 || m->created_us != (int64_t)id * 10)
        r->wrong++;
}

/* R17 (every message made once, with its own id, to end in one fate) and
 * issue 15 item 1: msg_new_request makes a request's messages as msg_new
 * would one by one: ids in a row, each into its entry, with the entry's
 * key, size and created time and the request's producer, across the ring's
 * doublings (ids 1025 and 2049 come inside a request); so does
 * msg_new_numbered, every other request, of entries numbered from
 * msg_next_id. */
static void test_new_request(void)
{
    static const char *const names[3] = { "orders", "payments", "audit" };
    static const struct slog_ops request_ops = { .message = on_request_message };
    struct big_rows rows = { .names = names };
    struct slog log = { .ops = &request_ops, .ctx = &rows, .per_record = true, .no_key_names = true };
    struct msgtab *t = msg_create(&log, NULL);
    struct stm_put_entry e[150];
    uint64_t id = 1;
    int ids_wrong = 0;
    for (bool numbered = false; id <= BIG; numbered = !numbered) {
        uint32_t n = id % 250 == 1 ? 100 : 150;   /* a producer's 250: 100, then 150 */
        ids_wrong += msg_next_id(t) != id;
        for (uint32_t i = 0; i < n; i++)
            e[i] = (struct stm_put_entry){ .key_id = (uint32_t)((id + i) * 3),
                                           .bytes = (uint32_t)(id + i + 5),
                                           .created_us = (int64_t)(id + i) * 10,
                                           .message_id = numbered ? id + i : 0 };
        const char *producer = names[(id - 1) / 250 % 3];
        CHECK_INT(numbered ? msg_new_numbered(t, producer, e, n) : msg_new_request(t, producer, e, n), n);
        for (uint32_t i = 0; i < n; i++, id++) {
            ids_wrong += e[i].message_id != id;
            msg_delivered(t, id);
        }
    }
    CHECK_INT(ids_wrong, 0);
    CHECK_INT(msg_created(t), BIG);
    CHECK_INT(msg_ring_bytes(t), 4096 * 40);
    msg_finish(t);
    CHECK_INT(rows.n, BIG);
    CHECK_INT(rows.wrong, 0);
    msg_destroy(t);
}

/* A message written three times is one producer duplicate, and settles
 * with its best record's fate once its three records are done. */
static void test_written_thrice(void)
{
    struct keytab *keys = keytab_create();
    struct slog log;
    struct rows rows = { .n = 0 };
    struct msgtab *t = table(&log, keys, &rows);
    msg_written(t, 7);                /* a second and a third record of 7 ... */
    msg_written(t, 7);
    CHECK_INT(msg_duplicated(t), 3);  /* ... make one duplicate more, not two */
    msg_record_done(t, 7, FATE_LOST);
    msg_record_done(t, 7, FATE_PROCESSED);
    CHECK_INT(rows.n, 1);
    msg_record_done(t, 7, FATE_EXPIRED);
    CHECK_INT(rows.n, 2);
    CHECK_INT(rows.v[1].message_id, 7);
    CHECK_INT(rows.v[1].fate, FATE_PROCESSED);
    msg_destroy(t);
    keytab_destroy(keys);
}

/* A log that reads of a message its id and fate alone (fates_only): the
 * table keeps no row (no creation time to tell), and its messages come
 * with their ids and fates as a full log gets them, through a ring grown. */
static void test_fates_only(void)
{
    struct keytab *keys = keytab_create();
    struct rows rows = { .n = 0 };
    struct slog log = { .ops = &ops, .ctx = &rows, .per_record = true, .fates_only = true };
    struct msgtab *t = msg_create(&log, keys);
    uint32_t k = keytab_add(keys, "user-1");
    for (uint64_t id = 1; id <= 3000; id++) {   /* past the first ring's 1024 */
        CHECK_INT(msg_new(t, "api", k, 100, 1000), id);
        msg_delivered(t, id);
    }
    CHECK_INT(msg_created_us(t, 5), -1);
    uint64_t ids[] = { 2, 1, 2999 };
    msg_records_done(t, ids, 3, FATE_EXPIRED);
    CHECK_INT(rows.n, 3);
    CHECK_INT(rows.v[1].message_id, 1);
    CHECK_INT(rows.v[1].fate, FATE_EXPIRED);
    CHECK_INT(rows.v[2].message_id, 2999);
    CHECK_INT(msg_oldest(t), 3);
    msg_destroy(t);
    keytab_destroy(keys);
}

/* A log that counts the messages settled and remembers the last one. */
struct tally {
    uint64_t n;
    struct slog_message last;
};

static void on_tally(void *ctx, const struct slog_message *m)
{
    struct tally *c = ctx;
    c->n++;
    c->last = *m;
}

static const struct slog_ops tally_ops = { .message = on_tally };

/* R17 and SPEC 3 (each message settles once, with its fate and its row):
 * through the rings' doublings in place and their move to a bigger room
 * (past 262,144 entries, the first room), the live messages not at a ring's
 * start: every third message stays in flight until the newest is 2.5 times
 * its id (the oldest live one then about 0.4 of the newest, so at each
 * doubling from cap the live ids run from about 2 / 3 cap to 5 / 3 cap: a
 * part stays, a part moves).  Every live message keeps its state (each
 * settles once, with its fate) and its row (its creation time), half of
 * them in a state byte alone (delivered), half in a full entry (written,
 * then let go by the producer: msgtab.c's ST_FULL). */
static void test_ring_grown(void)
{
    enum { N = 1500000 };   /* live ids past 524,288: the ring of 1,048,576 */
    struct keytab *keys = keytab_create();
    struct tally tally = { 0 };
    struct slog log = { .ops = &tally_ops, .ctx = &tally, .per_record = true };
    struct msgtab *t = msg_create(&log, keys);
    uint32_t k = keytab_add(keys, "user-1");
    uint64_t wrong = 0, expired = 0, settled_to = 0;
    for (uint64_t id = 1; id <= N; id++) {
        wrong += msg_new(t, "api", k, 100, (int64_t)(10 * id)) != id;
        if (id % 6 == 0) {
            msg_written(t, id);
            msg_released(t, id);
        } else {
            msg_delivered(t, id);
        }
        if (id % 3)
            msg_record_done(t, id, FATE_PROCESSED);
        for (; settled_to < (2 * id + 4) / 5; settled_to++)   /* ceil(0.4 id) */
            if ((settled_to + 1) % 3 == 0) {
                wrong += msg_created_us(t, settled_to + 1) != (int64_t)(10 * (settled_to + 1));
                msg_record_done(t, settled_to + 1, FATE_EXPIRED);
                expired++;
            }
    }
    CHECK_INT(wrong, 0);
    CHECK_INT(msg_oldest(t), settled_to + 3 - settled_to % 3);
    for (uint64_t id = settled_to + 1; id <= N; id++)
        if (id % 3 == 0) {
            wrong += msg_created_us(t, id) != (int64_t)(10 * id);
            msg_record_done(t, id, FATE_EXPIRED);
            expired++;
        }
    CHECK_INT(wrong, 0);
    uint64_t counts[FATE_COUNT];
    msg_counts(t, counts);
    CHECK_INT(counts[FATE_PROCESSED], N - N / 3);
    CHECK_INT(counts[FATE_EXPIRED], N / 3);
    CHECK_INT(expired, N / 3);
    CHECK_INT(tally.n, N);
    CHECK_INT(tally.last.message_id, N / 3 * 3);
    CHECK_INT(tally.last.created_us, 10 * (N / 3 * 3));
    CHECK_INT(msg_oldest(t), N + 1);
    msg_destroy(t);
    keytab_destroy(keys);
}

/* SPEC 3's memory budget (sim.c), R17: msg_budget_bytes is a figure of the
 * calls: MSG_BYTES_LAG sync points late, and never below the ring's size
 * now (a doubling since then is in the ids given since its base), nor
 * above it when the messages settled since are few. */
static void test_budget_bytes(void)
{
    struct keytab *keys = keytab_create();
    struct slog log = { .ops = &ops, .ctx = &(struct rows){ .n = 0 }, .per_record = false };
    struct msgtab *t = msg_create(&log, keys);
    uint32_t k = keytab_add(keys, "user-1");
    uint64_t bytes = 0, syncs = 0;
    for (uint64_t id = 1; id <= 500; id++)
        msg_delivered(t, msg_new(t, "api", k, 100, 0));
    CHECK(msg_budget_bytes(t, syncs, &bytes));
    CHECK_INT(bytes, 1024 * 40);                    /* no sync point yet: the ring for 500 */
    for (; syncs < 100; syncs++)                    /* 100 sync points, 500 in flight */
        msg_sync(t);
    CHECK(msg_budget_bytes(t, syncs, &bytes));
    CHECK_INT(bytes, 1024 * 40);
    for (uint64_t id = 501; id <= 2500; id++)       /* the ring doubles twice */
        msg_delivered(t, msg_new(t, "api", k, 100, 0));
    CHECK_INT(msg_ring_bytes(t), 4096 * 40);
    CHECK(msg_budget_bytes(t, syncs, &bytes));
    CHECK_INT(bytes, 4096 * 40);                    /* lagged 1,024, the 2,500 ids given 4,096 */
    uint64_t ids[2500];
    for (uint64_t i = 0; i < 2500; i++)
        ids[i] = i + 1;
    msg_records_done(t, ids, 2500, FATE_PROCESSED);   /* none in flight, the ring stays */
    for (; syncs < 100 + MSG_BYTES_LAG - 1; syncs++)
        msg_sync(t);
    CHECK(msg_budget_bytes(t, syncs, &bytes));
    CHECK_INT(bytes, 4096 * 40);                    /* the base before: 2,500 ids since */
    msg_sync(t);
    syncs++;
    CHECK(msg_budget_bytes(t, syncs, &bytes));
    CHECK_INT(bytes, 4096 * 40);                    /* the grown ring, lagged */
    msg_destroy(t);
    keytab_destroy(keys);
}

/* Messages 1..24 of a table for test_set_kinds: most delivered (the common
 * record: its message's one, its producer gone), 4 and 12 still held by
 * their producer (written, not let go), 6, 9 and 15 written twice (a record
 * of 9 done before: processed), 20 delivered twice. */
static struct msgtab *kinds_table(struct slog *log, struct keytab *keys)
{
    struct msgtab *t = msg_create(log, keys);
    uint32_t k = keytab_add(keys, "user-1");
    for (uint64_t id = 1; id <= 24; id++) {
        CHECK_INT(msg_new(t, "api", k, (uint32_t)id, (int64_t)id), id);
        if (id == 4 || id == 12) {
            msg_written(t, id);
        } else if (id == 6 || id == 9 || id == 15) {
            msg_written(t, id);
            msg_delivered(t, id);
        } else {
            msg_delivered(t, id);
            if (id == 20)
                msg_delivered(t, id);
        }
    }
    msg_record_done(t, 9, FATE_PROCESSED);
    return t;
}

/* R17, issue 15: a set of records of every kind (the common one, a message
 * its producer holds, a duplicate's records, an earlier better fate, ids
 * unknown: 0 and past the newest) settles exactly as a call per record
 * does (the same rows in the same order, counts, oldest), with rows, with
 * fates alone and with no message logged. */
static void test_set_kinds(void)
{
    static const uint64_t set[] = { 1, 4, 0, 6, 9, 2, 15, 20, 99, 3, 6, 20, 12, 7, 5, 8,
                                    10, 11, 13, 14, 16, 17, 18, 19, 21 };
    const uint32_t n = sizeof set / sizeof set[0];
    for (int kind = 0; kind < 3; kind++) {
        struct keytab *keys[2] = { keytab_create(), keytab_create() };
        static struct rows rows[2];
        struct slog log[2];
        struct msgtab *t[2];
        for (int v = 0; v < 2; v++) {
            rows[v].n = 0;
            log[v] = (struct slog){ .ops = &ops, .ctx = &rows[v], .per_record = kind < 2,
                                    .fates_only = kind == 1 };
            t[v] = kinds_table(&log[v], keys[v]);
        }
        msg_records_done(t[0], set, n, FATE_EXPIRED);
        for (uint32_t i = 0; i < n; i++)
            msg_record_done(t[1], set[i], FATE_EXPIRED);
        CHECK_INT(rows[0].n, kind < 2 ? 18 : 0);   /* not 4, 12 (held), 15, 22-24 */
        CHECK_INT(rows[0].n, rows[1].n);
        for (size_t i = 0; i < rows[0].n; i++) {
            CHECK_INT(rows[0].v[i].message_id, rows[1].v[i].message_id);
            CHECK_INT(rows[0].v[i].fate, rows[1].v[i].fate);
            CHECK_INT(rows[0].v[i].bytes, kind == 0 ? rows[0].v[i].message_id : 0);
            CHECK_INT(rows[0].v[i].bytes, rows[1].v[i].bytes);
        }
        uint64_t c[2][FATE_COUNT];
        for (int v = 0; v < 2; v++)
            msg_counts(t[v], c[v]);
        for (int f = 0; f < FATE_COUNT; f++)
            CHECK_INT(c[0][f], c[1][f]);
        CHECK_INT(c[0][FATE_EXPIRED], 17);
        CHECK_INT(c[0][FATE_PROCESSED], 1);         /* 9: its best record's */
        CHECK_INT(msg_oldest(t[0]), 4);
        CHECK_INT(msg_oldest(t[1]), 4);
        for (int v = 0; v < 2; v++) {
            msg_destroy(t[v]);
            keytab_destroy(keys[v]);
        }
    }
}

/* R17, issue 15: a log that reads fates alone and takes them a set at a
 * time (slog_ops.fates) gets the same messages in the same order as a call
 * a message gives: a call of fates a stretch of the set's common records
 * (1 | 2 | 3 | 7, 5, 8, 10, 11, 13, 14, 16 to 19, 21), a call of message
 * for each other settled (9, 20, 6, in their places). */
static void test_fates_runs(void)
{
    static const uint64_t set[] = { 1, 4, 0, 6, 9, 2, 15, 20, 99, 3, 6, 20, 12, 7, 5, 8,
                                    10, 11, 13, 14, 16, 17, 18, 19, 21 };
    static const uint64_t settled[] = { 1, 9, 2, 20, 3, 6, 7, 5, 8, 10, 11, 13, 14, 16, 17, 18,
                                        19, 21 };
    const uint32_t n = sizeof set / sizeof set[0];
    struct keytab *keys = keytab_create();
    static struct runs runs;
    struct slog log = { .ops = &fates_ops, .ctx = &runs, .per_record = true, .fates_only = true };
    struct msgtab *t = kinds_table(&log, keys);
    msg_records_done(t, set, n, FATE_EXPIRED);
    CHECK_INT(runs.fates_calls, 4);
    CHECK_INT(runs.fates_ids, 15);
    CHECK_INT(runs.rows.n, 18);
    for (size_t i = 0; i < 18; i++) {
        CHECK_INT(runs.rows.v[i].message_id, settled[i]);
        CHECK_INT(runs.rows.v[i].fate, settled[i] == 9 ? FATE_PROCESSED : FATE_EXPIRED);
    }
    CHECK_INT(msg_oldest(t), 4);
    msg_destroy(t);
    keytab_destroy(keys);
}

/* R17, issue 15: a relayed table's back with no rows (fates only) makes a
 * request's messages with msg_new_born from the first id and count alone,
 * across the ring's end: each new, held by its producer, settles once with
 * its record's fate. */
static void test_new_born_wraps(void)
{
    struct keytab *keys = keytab_create();
    struct tally tally = { 0 };
    struct slog log = { .ops = &tally_ops, .ctx = &tally, .per_record = true, .fates_only = true };
    struct msgtab *t = msg_create(&log, keys);
    static uint64_t ids[1000];
    CHECK_INT(msg_new_born(t, "api", NULL, 1000), 1000);   /* ids 1..1000 of a ring of 1,024 */
    for (uint64_t i = 0; i < 1000; i++) {
        msg_delivered(t, i + 1);
        ids[i] = i + 1;
    }
    msg_records_done(t, ids, 1000, FATE_PROCESSED);
    CHECK_INT(msg_oldest(t), 1001);
    CHECK_INT(msg_new_born(t, "api", NULL, 1000), 1000);   /* 1001..2000: past the ring's end */
    CHECK_INT(msg_ring_bytes(t), 1024 * 40);               /* not grown */
    msg_delivered_run(t, 1001, 1000);
    for (uint64_t i = 0; i < 1000; i++)
        ids[i] = 2000 - i;
    msg_records_done(t, ids, 1000, FATE_EXPIRED);
    CHECK_INT(tally.n, 2000);
    CHECK_INT(tally.last.message_id, 1001);
    CHECK_INT(tally.last.fate, FATE_EXPIRED);
    uint64_t counts[FATE_COUNT];
    msg_counts(t, counts);
    CHECK_INT(counts[FATE_PROCESSED], 1000);
    CHECK_INT(counts[FATE_EXPIRED], 1000);
    CHECK_INT(msg_duplicated(t), 0);
    CHECK_INT(msg_oldest(t), 2001);
    msg_destroy(t);
    keytab_destroy(keys);
}

/* R17 (a message's fate is its best record's, final once nobody holds it;
 * a producer duplicate is counted once), issue 15: each kind of message
 * leaves the common states (msgtab.c's state byte: new, delivered, settled
 * in a set) for a full entry where it must, and settles as R17 says:
 *  1 held by its producer to the end: pending at msg_finish (the base waits
 *    on it, so every other id stays known);
 *  2 written while held, then let go: lost, in a set;
 *  3 let go, never written: rejected at once;
 *  4 written, then delivered (a duplicate): its first record expired, its
 *    second processed: processed;
 *  5-7, 16, 17, 19, 22, 23 delivered (a run, a set of ids, one by one), done in sets:
 *    lost, missed;
 *  8-15 a run delivered, a set done: discarded (a whole word of settled
 *    state bytes for the base to pass at once);
 *  16 delivered again once settled: a duplicate, no second row;
 *  18 done alone (msg_record_done): processed;
 *  20 written, its record processed, held to the end: processed;
 *  21 delivered, never done: pending;
 *  24 made, delivered and done after msg_finish: ignored. */
static void test_state_bytes(void)
{
    static const enum fate want[] = {
        [1] = FATE_PENDING, FATE_LOST, FATE_REJECTED, FATE_PROCESSED, FATE_LOST, FATE_LOST,
        FATE_LOST, FATE_DISCARDED, FATE_DISCARDED, FATE_DISCARDED, FATE_DISCARDED,
        FATE_DISCARDED, FATE_DISCARDED, FATE_DISCARDED, FATE_DISCARDED,
        [16] = FATE_MISSED, FATE_MISSED, FATE_PROCESSED, FATE_MISSED, FATE_PROCESSED,
        FATE_PENDING, FATE_MISSED, FATE_MISSED,
    };
    static const uint64_t lost[] = { 2, 7, 6, 4, 5 }, discarded[] = { 15, 8, 9, 10, 11, 12, 13, 14 },
                          missed[] = { 23, 16, 17, 22, 19 }, delivered[] = { 16, 17, 19, 22 };
    struct keytab *keys = keytab_create();
    static struct rows rows;
    struct slog log = { .ops = &ops, .ctx = &rows, .per_record = true };
    struct msgtab *t = msg_create(&log, keys);
    uint32_t k = keytab_add(keys, "user-1");
    for (uint64_t id = 1; id <= 23; id++)
        CHECK_INT(msg_new(t, "api", k, (uint32_t)id, (int64_t)(1000 * id)), id);
    msg_written(t, 2);
    msg_released(t, 2);
    msg_released(t, 3);
    msg_written(t, 4);
    msg_delivered(t, 4);
    msg_delivered_run(t, 5, 3);
    msg_delivered_run(t, 8, 8);
    msg_delivered_ids(t, delivered, 4);
    msg_delivered(t, 18);
    msg_written(t, 20);
    msg_delivered(t, 21);
    msg_delivered(t, 23);
    CHECK_INT(msg_duplicated(t), 1);
    msg_records_done(t, lost, 5, FATE_LOST);   /* 4 not: its duplicate holds it */
    msg_records_done(t, discarded, 8, FATE_DISCARDED);
    msg_records_done(t, missed, 5, FATE_MISSED);
    msg_record_done(t, 18, FATE_PROCESSED);
    msg_record_done(t, 20, FATE_PROCESSED);
    uint64_t again = 4;
    msg_records_done(t, &again, 1, FATE_PROCESSED);   /* 4's second record */
    msg_delivered(t, 16);
    CHECK_INT(msg_duplicated(t), 2);
    CHECK_INT(msg_oldest(t), 1);
    CHECK_INT(rows.n, 20);   /* all but 1, 20 and 21, held */
    msg_finish(t);
    CHECK_INT(msg_oldest(t), 24);
    CHECK_INT(msg_new(t, "api", k, 24, 24000), 24);
    msg_delivered(t, 24);
    msg_record_done(t, 24, FATE_PROCESSED);
    CHECK_INT(rows.n, 23);
    bool seen[24] = { false };
    for (size_t i = 0; i < rows.n; i++) {
        uint64_t id = rows.v[i].message_id;
        CHECK(id >= 1 && id <= 23 && !seen[id]);
        seen[id] = true;
        CHECK_INT(rows.v[i].fate, want[id]);
        CHECK_INT(rows.v[i].bytes, id);
        CHECK_INT(rows.v[i].created_us, 1000 * id);
    }
    CHECK_INT(rows.v[0].message_id, 3);    /* rejected at once */
    CHECK_INT(rows.v[20].message_id, 1);   /* the finish: 1, 20, 21 */
    CHECK_INT(rows.v[21].message_id, 20);
    CHECK_INT(rows.v[22].message_id, 21);
    uint64_t counts[FATE_COUNT];
    msg_counts(t, counts);
    CHECK_INT(counts[FATE_PROCESSED], 3);
    CHECK_INT(counts[FATE_PENDING], 2);
    CHECK_INT(counts[FATE_REJECTED], 1);
    CHECK_INT(counts[FATE_LOST], 4);
    CHECK_INT(counts[FATE_DISCARDED], 8);
    CHECK_INT(counts[FATE_MISSED], 5);
    CHECK_INT(counts[FATE_EXPIRED], 0);
    CHECK_INT(msg_duplicated(t), 2);
    msg_destroy(t);
    keytab_destroy(keys);
}

/* R17 (a producer duplicate counted once; a message settles when its last
 * record is done, with its best fate), issue 15: msg_delivered_run takes
 * the aligned words of eight new messages at once (16-23), the others one
 * by one (1-7, 24), and a word with a message not new (8-15: 10 written
 * while held, so delivered as a duplicate, then held by two records) one
 * by one too. */
static void test_run_words(void)
{
    struct keytab *keys = keytab_create();
    struct tally tally = { 0 };
    struct slog log = { .ops = &tally_ops, .ctx = &tally, .per_record = true, .fates_only = true };
    struct msgtab *t = msg_create(&log, keys);
    static uint64_t ids[24];
    CHECK_INT(msg_new_born(t, "api", NULL, 24), 24);
    msg_written(t, 10);
    msg_delivered_run(t, 1, 24);
    CHECK_INT(msg_duplicated(t), 1);
    for (uint64_t i = 0; i < 24; i++)
        ids[i] = i + 1;
    msg_records_done(t, ids, 24, FATE_LOST);
    CHECK_INT(tally.n, 23);
    CHECK_INT(msg_oldest(t), 10);
    msg_record_done(t, 10, FATE_PROCESSED);
    CHECK_INT(tally.n, 24);
    CHECK_INT(tally.last.message_id, 10);
    CHECK_INT(tally.last.fate, FATE_PROCESSED);
    uint64_t counts[FATE_COUNT];
    msg_counts(t, counts);
    CHECK_INT(counts[FATE_LOST], 23);
    CHECK_INT(counts[FATE_PROCESSED], 1);
    CHECK_INT(msg_oldest(t), 25);
    msg_destroy(t);
    keytab_destroy(keys);
}

int main(void)
{
    test_ring_grown();
    test_fates_only();
    test_written_thrice();
    test_new_request();
    test_entries_kept();
    test_delivered_run();
    test_records_done();
    test_range_equals_records();
    test_budget_bytes();
    test_set_kinds();
    test_fates_runs();
    test_new_born_wraps();
    test_state_bytes();
    test_run_words();
    return check_done();
}
