/*
 * test_invariants.c - issue 13 item 5: the mapping's invariant checker
 * (built with meson -Dinvariants=true) catches each kind of violation.  A
 * child process runs a small scenario in which a test hook breaks the state
 * the way a bug would (esm_inject_fault); the checker must abort it with a
 * message naming the shard, the lane, the sequence numbers and the
 * invariant.  The same scenario without a fault runs to its end: the
 * checker does not fire on a correct run (the whole ASan suite, run with
 * the checks on, is the rest of that proof).
 *
 * The scenario: 30 records of one key at 500 ms, sequence numbers 1..30;
 * BatchSize 10, the first record poisoned.  The poll at 1 s reads them all;
 * lane 0 invokes records 1..10, which fail at 1.02 s and are retried at
 * 2.02 s: at 1.5 s the lane is in backoff (gen 1) with 10 records in its
 * batch and 20 queued.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mapping.h"
#include "memlog.h"
#include "scenario.h"
#include "sim.h"

#define FAULT_AT_US 1500000
#define NO_FAULT (-1)

static char scenario[1 << 14];

static void make_scenario(void)
{
    int len = snprintf(scenario, sizeof scenario,
                       "{\"name\":\"t\",\"seed\":1,\"duration\":\"5s\",\"stream\":{\"shards\":1},"
                       "\"records\":[");
    for (int i = 1; i <= 30; i++)
        len += snprintf(scenario + len, sizeof scenario - (size_t)len,
                        "%s{\"at\":\"500ms\",\"partition_key\":\"user-1\",\"data\":\"%s\"}",
                        i > 1 ? "," : "", i == 1 ? "poison" : "ok");
    snprintf(scenario + len, sizeof scenario - (size_t)len,
             "],\"event_source_mapping\":{\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":10},"
             "\"function\":{\"cold_start\":0,\"timeout\":\"30s\","
             "\"duration\":{\"per_invoke\":\"10ms\",\"per_record\":\"1ms\"},"
             "\"failures\":[{\"match\":{\"data_contains\":\"poison\"}}]}}");
}

/* In the child: run the scenario with the fault (or none); exit 0 when the
 * run completes. */
static void child_run(int fault)
{
    char err[1024];
    struct memlog ml = { 0 };
    struct scenario *scn = scn_parse("test.json", scenario, NULL, 0, err, sizeof err);
    if (!scn) {
        fprintf(stderr, "scenario error: %s\n", err);
        _exit(4);
    }
    struct slog log = { .ops = &memlog_ops, .ctx = &ml, .per_record = true };
    struct sim *sim = sim_create(&scn->cfg, &log, err, sizeof err);
    if (!sim) {
        fprintf(stderr, "sim error: %s\n", err);
        _exit(4);
    }
    if (fault != NO_FAULT &&
        esm_inject_fault(sim_mapping(sim), FAULT_AT_US, (enum esm_fault)fault) < 0)
        _exit(4);
    int rc = sim_run(sim, NULL, NULL, NULL) == SIM_COMPLETE ? 0 : 5;
    sim_destroy(sim);
    scn_free(scn);
    memlog_free(&ml);
    exit(rc);
}

/* Run the child; its stderr into out, its wait status returned. */
static int run_child(int fault, char *out, size_t size)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        child_run(fault);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < size && (n = read(fds[0], out + len, size - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

/* The fault makes the checker abort, with a message holding each of want. */
static void check_caught(int line, int fault, const char *const *want, size_t n)
{
    char out[8192];
    int status = run_child(fault, out, sizeof out);
    bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    if (!aborted)
        fprintf(stderr, "line %d: fault %d: the child was not aborted (status %d): %s\n",
                line, fault, status, out);
    CHECK(aborted);
    CHECK_CONTAINS(out, "esmsim: invariant violated at 1500000 us: shard shardId-000000000000");
    for (size_t i = 0; i < n; i++)
        CHECK_CONTAINS(out, want[i]);
}

static void test_no_fault_runs_through(void)
{
    char out[8192];
    int status = run_child(NO_FAULT, out, sizeof out);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(out, "invariant violated") == NULL);
}

static void test_checkpoint_below_unresolved(void)
{
    const char *want[] = { "lane 0: the checkpoint is below every unresolved record: "
                           "checkpoint 10, unresolved record 1 (index 0)" };
    check_caught(__LINE__, ESM_FAULT_CHECKPOINT, want, 1);
}

static void test_resolved_twice(void)
{
    const char *want[] = { "lane -1: nothing resolved twice: record 1 (message " };
    check_caught(__LINE__, ESM_FAULT_RESOLVED_TWICE, want, 1);
}

static void test_generation(void)
{
    const char *want[] = { "lane 0: a backoff waits for a timer of the lane's generation: "
                           "gen 2, last timer of gen 1" };
    check_caught(__LINE__, ESM_FAULT_GENERATION, want, 1);
}

static void test_lost_record(void)
{
    const char *want[] = { "lane -1: every unresolved record read is in exactly one lane: "
                           "30 unresolved in [0, 30), the lanes hold 29" };
    check_caught(__LINE__, ESM_FAULT_LOST, want, 1);
}

static void test_order(void)
{
    const char *want[] = { "lane 0: a lane holds its records in shard order: "
                           "record 11 (index 10) after index 11" };
    check_caught(__LINE__, ESM_FAULT_ORDER, want, 1);
}

/* Issue 15 item 1: the lane's running total of queued event bytes, from
 * which batch_extent sizes a batch (R2), is checked against the records. */
static void test_queue_bytes(void)
{
    const char *want[] = { "lane 0: a lane's queued bytes are its queued records' (R2): "
                           "running total 8521, the 20 records' sum 8520" };
    check_caught(__LINE__, ESM_FAULT_QUEUE_BYTES, want, 1);
}

int main(void)
{
    make_scenario();
    test_no_fault_runs_through();
    test_checkpoint_below_unresolved();
    test_resolved_twice();
    test_generation();
    test_lost_record();
    test_order();
    test_queue_bytes();
    return check_done();
}
