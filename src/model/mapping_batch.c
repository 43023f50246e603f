/*
 * mapping_batch.c - the sets of a lane's batch (struct batch, R8): the
 * current set, invoked, retried and discarded as one, and the sets that
 * bisection left waiting behind it; a set's records leave it from the front.
 */
#include <string.h>

#include "mapping_int.h"

uint32_t esm_batch_total(const struct batch *b)
{
    uint32_t total = b->n;
    for (uint32_t i = 0; i < b->n_waiting; i++)
        total += b->waiting[i];
    return total;
}

/* Remove the first k records of the current set; an emptied current set
 * gives way to the next waiting one, which has not been invoked yet. */
void esm_batch_drop(struct batch *b, uint32_t k)
{
    if (b->listed)
        memmove(b->idx, b->idx + k, (esm_batch_total(b) - k) * sizeof *b->idx);
    else
        b->first += k;
    b->n -= k;
    b->payload_bytes = 0;
    if (b->n == 0 && b->n_waiting > 0) {
        b->n = b->waiting[0];
        b->inherited = b->waiting_inherited[0];
        b->n_waiting--;
        memmove(b->waiting, b->waiting + 1, b->n_waiting * sizeof *b->waiting);
        memmove(b->waiting_inherited, b->waiting_inherited + 1,
                b->n_waiting * sizeof *b->waiting_inherited);
        b->attempts = 0;
    }
}

/* The batch's indexes written out into idx (room for them reserved), for a
 * caller that reads an array. */
void esm_batch_list(struct batch *b)
{
    if (b->listed)
        return;
    uint32_t total = esm_batch_total(b);
    for (uint32_t i = 0; i < total; i++)
        b->idx[i] = b->first + i;
    b->listed = true;
}

/* The current set becomes a new one (a split of a set that failed whole,
 * R8): not an attempt, but its records keep the count of the invocations
 * they went through. */
static void esm_batch_renew(struct batch *b)
{
    b->inherited += b->attempts;
    b->attempts = 0;
    b->payload_bytes = 0;
}

/* Split the current set in two halves, the first (n/2 records) to go
 * first; the split is not an attempt of either half (R8). */
bool esm_batch_split(struct batch *b)
{
    if (b->n < 2 || b->n_waiting == MAX_WAITING_SETS)
        return false;
    esm_batch_renew(b);
    memmove(b->waiting + 1, b->waiting, b->n_waiting * sizeof *b->waiting);
    memmove(b->waiting_inherited + 1, b->waiting_inherited,
            b->n_waiting * sizeof *b->waiting_inherited);
    b->waiting[0] = b->n - b->n / 2;
    b->waiting_inherited[0] = b->inherited;
    b->n_waiting++;
    b->n /= 2;
    return true;
}
