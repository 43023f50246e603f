/*
 * response.h - what a function returns to a stream event source mapping, and
 * how the mapping reads it (R7, ReportBatchItemFailures).
 *
 * The shape is kept as the mapping sees it, not as JSON: the function model
 * builds it directly, and an edge module can build it from a real handler's
 * JSON or print it (awsjson.c).
 */
#ifndef ESMSIM_RESPONSE_H
#define ESMSIM_RESPONSE_H

#include <stdint.h>

/* The top level of the returned value. */
enum rsp_shape {
    RSP_NULL,          /* null, nothing returned, or an empty value ([] or "") */
    RSP_OBJECT,        /* an object without "batchItemFailures" ({}, or the list misnamed) */
    RSP_LIST_NULL,     /* {"batchItemFailures": null} */
    RSP_LIST,          /* {"batchItemFailures": [items]} */
    RSP_INVALID,       /* a real handler's answer the mapping cannot read: not JSON, or
                          batchItemFailures not a list (`invalid` says which) */
};

/* One element of the list. */
enum rsp_item_kind {
    RSP_ITEM_SEQUENCE,   /* {"itemIdentifier": "<seq>"} */
    RSP_ITEM_EMPTY,      /* {"itemIdentifier": ""} */
    RSP_ITEM_NULL,       /* {"itemIdentifier": null} */
    RSP_ITEM_MISSING,    /* no "itemIdentifier" key: the key misspelt */
    RSP_ITEM_INVALID,    /* an itemIdentifier that is no sequence number's text: "abc",
                            "007", true, {} (a real handler's) */
};

struct rsp_item {
    enum rsp_item_kind kind;
    uint64_t sequence_number;   /* SEQUENCE; also the value under a misspelt key */
};

struct rsp_response {
    enum rsp_shape shape;
    const char *list_key;       /* RSP_OBJECT: the key the list is under, or NULL ({}) */
    const char *item_key;       /* RSP_ITEM_MISSING: the key used instead */
    const char *invalid;        /* RSP_INVALID: what is wrong, for the run log */
    const struct rsp_item *items;
    uint32_t n_items;
};

#define RSP_LIST_KEY "batchItemFailures"
#define RSP_ITEM_KEY "itemIdentifier"

enum rsp_verdict {
    RSP_FULL_SUCCESS,   /* checkpoint the whole batch */
    RSP_FULL_FAILURE,   /* retry the whole batch */
    RSP_PARTIAL,        /* checkpoint before *first_failed, retry from it */
};

/*
 * The verdict of R7 on a response to a batch whose sequence numbers are
 * seqs[0..n), ascending.  RSP_PARTIAL sets *first_failed to the position in
 * seqs of the lowest reported sequence number.  *why (may be NULL) gets a
 * static text naming the condition, for the run log.
 */
enum rsp_verdict rsp_judge(const struct rsp_response *r, const uint64_t *seqs, uint32_t n,
                           uint32_t *first_failed, const char **why);

#endif
