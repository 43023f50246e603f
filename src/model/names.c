/*
 * names.c - the words of the run log contract (SPEC section 3) for the
 * enums of simlog.h.
 */
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
