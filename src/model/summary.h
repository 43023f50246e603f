/*
 * summary.h - the figures of a run's summary (sim.h) by name, one definition
 * for every reader: an `expect` block's bounds (SPEC 2, expect.h), the
 * runs.summary_json column (SPEC 3) and the sweep that reads it back.
 */
#ifndef ESMSIM_SUMMARY_H
#define ESMSIM_SUMMARY_H

#include <stdbool.h>

#include "sim.h"

/* The figure names, NULL-terminated (static): "messages", "messages_lost",
 * "invocations_error", "redelivered_records", "iterator_age_max_ms" ... */
const char *const *summary_names(void);

/* Whether a figure is a count (an integer); the others, in ms ("_ms"), are
 * measures that may have a fraction. */
bool summary_is_count(const char *name);

/* The value of figure name (one of summary_names(); 0 for another) in sum. */
double summary_value(const char *name, const struct sim_summary *sum);

#endif
