/*
 * test_response.c - R7: every "success and failure condition" of the seeds'
 * ReportBatchItemFailures list, judged on a batch of sequence numbers
 * 101, 102, 103, 104.
 */
#include "check.h"
#include "response.h"

static const uint64_t batch[] = { 101, 102, 103, 104 };

static enum rsp_verdict judge(enum rsp_shape shape, const struct rsp_item *items, uint32_t n,
                              uint32_t *first, const char **why)
{
    struct rsp_response r = { .shape = shape, .items = items, .n_items = n };
    return rsp_judge(&r, batch, 4, first, why);
}

static void test_full_success(void)
{
    uint32_t first = 99;
    const char *why;
    /* R7 "empty batchItemFailures list" */
    CHECK_INT(judge(RSP_LIST, NULL, 0, &first, &why), RSP_FULL_SUCCESS);
    CHECK_STR(why, "empty batchItemFailures list");
    /* R7 "null batchItemFailures list" */
    CHECK_INT(judge(RSP_LIST_NULL, NULL, 0, &first, &why), RSP_FULL_SUCCESS);
    CHECK_STR(why, "null batchItemFailures list");
    /* R7 "empty response" */
    CHECK_INT(judge(RSP_OBJECT, NULL, 0, &first, &why), RSP_FULL_SUCCESS);
    CHECK_STR(why, "empty response");
    /* R7 "null response" */
    CHECK_INT(judge(RSP_NULL, NULL, 0, &first, &why), RSP_FULL_SUCCESS);
    CHECK_STR(why, "null response");
    /* the list under another key (SPEC 1.5 wrong-list-key): the mapping sees none */
    const struct rsp_item misplaced[] = { { RSP_ITEM_SEQUENCE, 102 } };
    struct rsp_response r = { .shape = RSP_OBJECT, .list_key = "BatchItemFailures",
                              .items = misplaced, .n_items = 1 };
    CHECK_INT(rsp_judge(&r, batch, 4, &first, &why), RSP_FULL_SUCCESS);
    CHECK_STR(why, "no batchItemFailures key");
    CHECK_INT(first, 99);   /* untouched unless partial */
}

static void test_full_failure(void)
{
    uint32_t first;
    const char *why;
    /* R7 "empty-string itemIdentifier", even next to a valid one */
    const struct rsp_item empty[] = { { RSP_ITEM_SEQUENCE, 103 }, { RSP_ITEM_EMPTY, 0 } };
    CHECK_INT(judge(RSP_LIST, empty, 2, &first, &why), RSP_FULL_FAILURE);
    CHECK_STR(why, "empty-string itemIdentifier");
    /* R7 "null itemIdentifier" */
    const struct rsp_item null_id[] = { { RSP_ITEM_NULL, 0 } };
    CHECK_INT(judge(RSP_LIST, null_id, 1, &first, &why), RSP_FULL_FAILURE);
    CHECK_STR(why, "null itemIdentifier");
    /* R7 "itemIdentifier with a wrong key name" */
    const struct rsp_item wrong_key[] = { { RSP_ITEM_MISSING, 102 } };
    CHECK_INT(judge(RSP_LIST, wrong_key, 1, &first, &why), RSP_FULL_FAILURE);
    CHECK_STR(why, "no itemIdentifier key (wrong key name)");
    /* R7 "a sequence number that is not in the batch": below, between, above */
    static const uint64_t unknown[] = { 100, 105, 7 };
    for (int i = 0; i < 3; i++) {
        const struct rsp_item item[] = { { RSP_ITEM_SEQUENCE, 102 }, { RSP_ITEM_SEQUENCE, unknown[i] } };
        CHECK_INT(judge(RSP_LIST, item, 2, &first, &why), RSP_FULL_FAILURE);
        CHECK_STR(why, "itemIdentifier not in the batch");
    }
}

static void test_partial(void)
{
    uint32_t first = 99;
    const char *why;
    /* R7 "the lowest sequence number": the list's order does not matter */
    const struct rsp_item two[] = { { RSP_ITEM_SEQUENCE, 104 }, { RSP_ITEM_SEQUENCE, 102 } };
    CHECK_INT(judge(RSP_LIST, two, 2, &first, &why), RSP_PARTIAL);
    CHECK_INT(first, 1);
    const struct rsp_item head[] = { { RSP_ITEM_SEQUENCE, 101 } };
    CHECK_INT(judge(RSP_LIST, head, 1, &first, &why), RSP_PARTIAL);
    CHECK_INT(first, 0);
    const struct rsp_item last[] = { { RSP_ITEM_SEQUENCE, 104 }, { RSP_ITEM_SEQUENCE, 104 } };
    CHECK_INT(judge(RSP_LIST, last, 2, &first, NULL), RSP_PARTIAL);
    CHECK_INT(first, 3);
}

int main(void)
{
    test_full_success();
    test_full_failure();
    test_partial();
    return check_done();
}
