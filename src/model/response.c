/*
 * response.c - R7: the seeds' "success and failure conditions" of a
 * ReportBatchItemFailures response, in the order the documentation lists
 * them.  The caller applies the verdict only when FunctionResponseTypes holds
 * ReportBatchItemFailures; otherwise any returned value is a full success.
 */
#include "response.h"

#include <stdbool.h>
#include <stddef.h>

static bool in_batch(const uint64_t *seqs, uint32_t n, uint64_t seq, uint32_t *pos)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (seqs[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return lo < n && seqs[lo] == seq;
}

enum rsp_verdict rsp_judge(const struct rsp_response *r, const uint64_t *seqs, uint32_t n,
                           uint32_t *first_failed, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    switch (r->shape) {
    case RSP_NULL:
        *why = "null response";
        return RSP_FULL_SUCCESS;
    case RSP_OBJECT:
        *why = r->list_key ? "no batchItemFailures key" : "empty response";
        return RSP_FULL_SUCCESS;
    case RSP_LIST_NULL:
        *why = "null batchItemFailures list";
        return RSP_FULL_SUCCESS;
    case RSP_INVALID:
        *why = r->invalid ? r->invalid : "unreadable response";
        return RSP_FULL_FAILURE;
    case RSP_LIST:
        break;
    }
    if (r->n_items == 0) {
        *why = "empty batchItemFailures list";
        return RSP_FULL_SUCCESS;
    }
    uint32_t lowest = n;
    for (uint32_t i = 0; i < r->n_items; i++) {
        uint32_t pos;
        switch (r->items[i].kind) {
        case RSP_ITEM_EMPTY:
            *why = "empty-string itemIdentifier";
            return RSP_FULL_FAILURE;
        case RSP_ITEM_NULL:
            *why = "null itemIdentifier";
            return RSP_FULL_FAILURE;
        case RSP_ITEM_MISSING:
            *why = "no itemIdentifier key (wrong key name)";
            return RSP_FULL_FAILURE;
        case RSP_ITEM_INVALID:
            *why = "itemIdentifier not a sequence number";
            return RSP_FULL_FAILURE;
        case RSP_ITEM_SEQUENCE:
            if (!in_batch(seqs, n, r->items[i].sequence_number, &pos)) {
                *why = "itemIdentifier not in the batch";
                return RSP_FULL_FAILURE;
            }
            if (pos < lowest)
                lowest = pos;
            break;
        }
    }
    *first_failed = lowest;
    *why = "batchItemFailures";
    return RSP_PARTIAL;
}
