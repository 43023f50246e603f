/*
 * function.h - the Lambda function as a model (SPEC 1.5, R11): durations from
 * distributions, cold starts, timeout, reserved concurrency, failure rules and
 * how the function reports what failed (the report styles of SPEC 1.5).
 */
#ifndef ESMSIM_FUNCTION_H
#define ESMSIM_FUNCTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "response.h"
#include "simlog.h"

struct eng;
struct keytab;
struct stm;
struct stm_record;
struct scn_function;
struct fn;

struct fn *fn_create(struct eng *e, const struct scn_function *cfg,
                     const struct keytab *keys, const struct stm *stream,
                     char *err, size_t errlen);
void fn_destroy(struct fn *f);

/* R16: the function behaves as cfg says from now on (borrowed; it must
 * outlive f): durations, failures, report style, timeout, concurrency.
 * Invocations in flight keep what they drew when they started. */
void fn_update(struct fn *f, const struct scn_function *cfg);

/* AWS's limit on a cold start's Init phase: up to it, Init runs outside the
 * function's timeout; an Init that needs longer is cut at it and run again
 * inside the first invocation, under the timeout (a "suppressed init"). */
#define FN_INIT_LIMIT_US 10000000

/* What one invocation did. */
struct fn_result {
    enum outcome outcome;     /* SUCCESS: returned `response`; ERROR: threw; TIMEOUT */
    int64_t duration_us;      /* until the invocation ends: the Init phase outside the
                                 timeout (<= FN_INIT_LIMIT_US), then at most the timeout */
    int64_t timeout_us;       /* the function's timeout when it started */
    bool cold_start;
    const char *error;        /* "Unhandled" / "Task timed out", or NULL */
    /* The function worked through records [0, reached) and failed those at
     * positions failed[0..n_failed) (ascending); the others of [0, reached)
     * were handled: their side effects happened, whatever the outcome. */
    uint32_t reached;
    const uint32_t *failed;
    uint32_t n_failed;
    struct rsp_response response;   /* SUCCESS: what it returned (R7) */
    bool returned_state;            /* SUCCESS: the response has a `state` (R15) */
};

/* Where an invocation's result points: owned by the caller, one per
 * invocation in flight, each with room for the largest batch. */
struct fn_scratch {
    uint32_t *failed;
    struct rsp_item *items;
};

/*
 * Take an execution environment for an invocation starting now.  Returns
 * false when the concurrency limit is reached (a throttle, R9/R11).
 */
bool fn_acquire(struct fn *f, bool *cold_start);
/* Give the environment back when the invocation ends. */
void fn_release(struct fn *f);

/*
 * Run the model on recs[0..n) for an invocation starting at start_us that
 * was acquired (cold_start as fn_acquire said).  out points into scratch.
 */
void fn_invoke(struct fn *f, int64_t start_us, bool cold_start,
               struct stm_record *const *recs, uint32_t n,
               const struct fn_scratch *scratch, struct fn_result *out);

/* Concurrent invocations now, and the most seen. */
uint32_t fn_running(const struct fn *f);
uint32_t fn_peak(const struct fn *f);

#endif
