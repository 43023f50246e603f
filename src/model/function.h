/*
 * function.h - the Lambda function as a model (SPEC 1.5, R11): durations from
 * distributions, cold starts, timeout, reserved concurrency, failure rules and
 * how the function reports what failed (the report styles of SPEC 1.5).
 *
 * Or a real handler program (SPEC section 4): its answers decide the outcomes
 * through a backend that an edge implements (realfn.c); the core knows
 * nothing of processes, HTTP or JSON.  The model still gives the duration
 * (deterministic), unless function.handler.duration is "measured".
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
struct cfg_function;
struct fn;

struct fn *fn_create(struct eng *e, const struct cfg_function *cfg,
                     const struct keytab *keys, const struct stm *stream,
                     char *err, size_t errlen);
void fn_destroy(struct fn *f);

/* R16: the function behaves as cfg says from now on (borrowed; it must
 * outlive f): durations, failures, report style, timeout, concurrency.
 * Invocations in flight keep what they drew when they started. */
void fn_update(struct fn *f, const struct cfg_function *cfg);

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
    /* A real handler's invocation (fn_submit), else zero: */
    uint64_t invocation_id;         /* the one submitted */
    int64_t start_us;               /* when it started (virtual) */
    bool answered;                  /* its answer is in: at the end, or at the start with
                                       measured durations */
    bool environment_ended;         /* its execution environment ended with it (exit, crash,
                                       init error, wall timeout): never reused */
    const char *state;              /* SUCCESS: the state it returned (R15) as JSON text,
                                       state_len bytes; NULL: none */
    size_t state_len;
    const char *answer;             /* its answer as posted, answer_len bytes */
    size_t answer_len;
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
 * recs may be NULL unless fn_reads_records.
 */
void fn_invoke(struct fn *f, int64_t start_us, bool cold_start,
               struct stm_record *const *recs, uint32_t n,
               const struct fn_scratch *scratch, struct fn_result *out);
/* fn_invoke reads the records (a failure rule looks at them): without a
 * rule the caller need not look them up. */
bool fn_reads_records(const struct fn *f);

/* ---- a real handler program (SPEC section 4) ------------------------------ */

/* What the handler answered, as the edge read it; its memory is the edge's
 * until done(). */
struct fn_answer {
    bool responded;            /* it returned; false: it failed */
    const char *error;         /* failed: the error type for the run log ("Runtime.ExitError",
                                  "Sandbox.Timedout", the handler's own errorType) */
    bool environment_ended;    /* its execution environment ended with it */
    struct rsp_response response;   /* responded: as R7 reads it */
    const uint64_t *failed;    /* responded: the sequence numbers its response names as
                                  failed, ascending and distinct (whatever R7 makes of them) */
    uint32_t n_failed;
    const char *state;         /* responded: its `state` (R15) as JSON text, state_len bytes;
                                  NULL: none (missing or null) */
    size_t state_len;
    const char *body;          /* the answer as posted, body_len bytes */
    size_t body_len;
    int64_t wall_us;           /* the handler's wall time: the event fetched to the answer */
    int64_t init_us;           /* its process's init when one was started for it, else 0 */
};

/* How the simulation took an invocation, for the handler's log. */
struct fn_end {
    int64_t start_us, end_us;  /* virtual */
    bool timed_out;            /* outcome timeout (R11), whatever the handler answered */
    int64_t timeout_us;
};

struct fn_backend {
    void *ctx;
    /* The invocation starts now with event ev; returns at once (the handler
     * runs meanwhile).  -1: the run stops (the edge keeps why). */
    int (*submit)(void *ctx, uint64_t invocation_id, const struct slog_event *ev,
                  int64_t timeout_us);
    /* Its answer, waiting for it.  -1: the run stops (interrupted, the
     * handler's processes failed). */
    int (*wait)(void *ctx, uint64_t invocation_id, struct fn_answer *out);
    /* The invocation is over as the simulation took it: the answer may go. */
    void (*done)(void *ctx, uint64_t invocation_id, const struct fn_end *end);
};

/* The scenario names a handler: its answers come through b (copied).  Set
 * before the run. */
void fn_set_backend(struct fn *f, const struct fn_backend *b);
/* A real handler decides the outcomes (fn_submit, not fn_invoke). */
bool fn_real(const struct fn *f);

/*
 * A real handler's invocation of recs[0..n), acquired as for fn_invoke:
 * the model draws its duration and whether it passes the timeout (slow
 * rules included), and the backend gets event ev; with measured durations
 * the answer is waited for now and the duration is the handler's.  -1 when
 * the backend failed: the run must stop.
 */
int fn_submit(struct fn *f, uint64_t invocation_id, int64_t start_us, bool cold_start,
              struct stm_record *const *recs, uint32_t n, const struct slog_event *ev,
              const struct fn_scratch *scratch, struct fn_result *out);

/*
 * At the invocation's end, the same records again: its answer becomes the
 * result (waited for unless it is in already).  A response handles every
 * record it does not name as failed (SPEC section 4); an error, or a timeout
 * of the modelled duration, handles none (what a failed handler did before
 * it failed cannot be seen).  -1 when the backend failed: the run must stop.
 */
int fn_collect(struct fn *f, struct stm_record *const *recs, uint32_t n,
               const struct fn_scratch *scratch, struct fn_result *out);

/*
 * The invocation has ended at end_us and its result has been used: its
 * environment goes back (or ends with it), and a real handler's backend
 * is told.  Instead of fn_release() for a real handler's invocations.
 */
void fn_finish(struct fn *f, int64_t end_us, const struct fn_result *res);

/* Concurrent invocations now, and the most seen. */
uint32_t fn_running(const struct fn *f);
uint32_t fn_peak(const struct fn *f);

#endif
