/*
 * names.c - the words of the run log contract (SPEC section 3) for the
 * enums of simlog.h, and the names the model makes for what events carry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simlog.h"

const char *fate_name(enum fate f)
{
    static const char *const names[FATE_COUNT] = {
        "processed", "pending", "lost", "discarded", "expired", "missed", "rejected",
    };
    return (unsigned)f < FATE_COUNT ? names[f] : "?";
}

const char *outcome_name(enum outcome o)
{
    static const char *const names[OUTCOME_COUNT] = {
        "success", "partial", "error", "timeout", "throttled",
    };
    return (unsigned)o < OUTCOME_COUNT ? names[o] : "?";
}

const char *ckpt_reason_name(enum ckpt_reason r)
{
    static const char *const names[CKPT_COUNT] = {
        "success", "partial", "discarded", "expired", "shard_end", "starting_position",
    };
    return (unsigned)r < CKPT_COUNT ? names[r] : "?";
}

char *role_arn_make(const char *account, const char *function_name)
{
    size_t len = strlen(account) + strlen(function_name) + 32;
    char *arn = malloc(len);
    if (arn)
        snprintf(arn, len, "arn:aws:iam::%s:role/%s-role", account, function_name);
    return arn;
}
