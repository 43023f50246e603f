/*
 * realfn.h - the function backend of a real handler program (SPEC section 4,
 * issue 12): function.h's fn_backend on handler.h's process pool.  An edge
 * module, between the core (which knows no process, HTTP or JSON) and the
 * pool: it builds each invocation's event bytes (awsjson_event(), the bytes
 * --dump-events writes), hands them to the handler's processes, reads the
 * answers with cJSON into what R7 and R15 judge, and writes each
 * invocation's log lines (what the program printed, between CloudWatch's
 * START / END / REPORT lines) to the run log's `logs` table.
 *
 * How an answer is read (README, "Run your own handler"):
 *  - a response: its JSON (an empty body is null); not JSON, or JSON that is
 *    neither an object nor null, is a response the mapping cannot read
 *    (R7: a full failure with ReportBatchItemFailures; without it any
 *    returned value is a success, as AWS does not read it);
 *  - batchItemFailures: null, or a list of {"itemIdentifier": ...}: a
 *    string that is a sequence number's exact decimal text, an integer (its
 *    text), "" (empty), null, a missing key (the first other key is the
 *    misspelt one), anything else (not a sequence number); a
 *    batchItemFailures that is not a list cannot be read; a list under the
 *    same name in another case ("BatchItemFailures") is the list under a
 *    wrong key (the mapping sees none);
 *  - the records a response names as failed: the sequence numbers of its
 *    items, in the list or under a misspelt key, whatever R7 makes of them;
 *  - state (R15): the value of "state" re-printed compactly by cJSON
 *    (numbers as doubles: exact up to 2^53); missing or null is no state;
 *  - an error (the handler threw, its process exited or crashed, its init
 *    failed, it passed the wall timeout, its response was over 6 MB): a
 *    function error, its errorType kept for the run log; an exit, a crash,
 *    an init error and the wall timeout end the execution environment.
 */
#ifndef ESMSIM_REALFN_H
#define ESMSIM_REALFN_H

#include <signal.h>
#include <stddef.h>

#include "function.h"
#include "simlog.h"

struct scenario;
struct rfn;

/*
 * The backend of scn's function.handler (borrowed: scn must outlive it):
 * the program checked (found, executable, cwd a directory), no process
 * started yet.  interrupted (may be NULL), when it turns non-zero, makes a
 * wait give up at once.  NULL with the scenario key at fault in *key (a
 * static string, "function.handler.command") and what is wrong with it in
 * err ("program 'x' not found in PATH").
 */
struct rfn *rfn_create(const struct scenario *scn, volatile sig_atomic_t *interrupted,
                       const char **key, char *err, size_t errlen);
/* Kill and reap every process, free all; NULL is fine. */
void rfn_destroy(struct rfn *r);

/* The log lines of the invocations go to log (borrowed) from now on. */
void rfn_set_log(struct rfn *r, const struct slog *log);

/*
 * The run is over at end_us (virtual): end every process, and log what a
 * process printed after its environment's last answer (no next invocation
 * showed it before its START) as "output" lines of that invocation, after
 * its REPORT, at end_us.  Before the run log's end; the backend takes no
 * invocation after it.
 */
void rfn_finish(struct rfn *r, int64_t end_us);

/* The backend to give the simulation (its ctx is r). */
struct fn_backend rfn_backend(struct rfn *r);

/* Processes started so far (each a cold start of a real environment). */
uint64_t rfn_processes(struct rfn *r);

/* Why the backend stopped the run ("interrupted", the pool's failure), or NULL. */
const char *rfn_error(const struct rfn *r);

/* What a response body reads as (exposed for tests): *out points into
 * scratch memory of r, valid until the next call. */
int rfn_read_response(struct rfn *r, const char *body, size_t len, struct fn_answer *out);

#endif
