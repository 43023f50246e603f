/*
 * handler_log.c - CloudWatch's lines around an invocation (handler.h, SPEC
 * section 4): START, END and REPORT as Lambda words them, which realfn.c
 * writes to the run log's `logs` table around what the handler printed.
 */
#include "handler.h"

#include <stdio.h>

/* Microseconds as milliseconds with two decimals, rounded ("12.35"). */
static void ms2(char *buf, size_t len, int64_t us)
{
    int64_t centi = (us + 5) / 10;
    snprintf(buf, len, "%lld.%02lld", (long long)(centi / 100), (long long)(centi % 100));
}

void hdl_log_start(char *buf, const char *request_id, const char *version)
{
    snprintf(buf, HDL_LOG_LINE_MAX, "START RequestId: %s Version: %s", request_id,
             version ? version : "$LATEST");
}

void hdl_log_end(char *buf, const char *request_id)
{
    snprintf(buf, HDL_LOG_LINE_MAX, "END RequestId: %s", request_id);
}

void hdl_log_report(char *buf, const char *request_id, int64_t duration_us, uint32_t memory_mb,
                    uint64_t max_memory_kb, int64_t init_us)
{
    char dur[32], init[64] = "";
    ms2(dur, sizeof dur, duration_us);
    if (init_us > 0) {
        char i[32];
        ms2(i, sizeof i, init_us);
        snprintf(init, sizeof init, "\tInit Duration: %s ms", i);
    }
    snprintf(buf, HDL_LOG_LINE_MAX, "REPORT RequestId: %s\tDuration: %s ms\tBilled Duration: "
             "%lld ms\tMemory Size: %u MB\tMax Memory Used: %llu MB%s", request_id, dur,
             (long long)((duration_us + 999) / 1000), memory_mb,
             (unsigned long long)((max_memory_kb + 1023) / 1024), init);
}
