/*
 * hist.h - percentiles of a stream of non-negative values (IteratorAge in
 * ms, R14) in constant memory: a GSL histogram with bins that grow by 2%,
 * so a percentile is within 2% of the exact value; the maximum is exact.
 */
#ifndef ESMSIM_HIST_H
#define ESMSIM_HIST_H

#include <stdint.h>

struct hist;

struct hist *hist_create(void);
void hist_destroy(struct hist *h);
void hist_add(struct hist *h, double value);
uint64_t hist_count(const struct hist *h);
double hist_max(const struct hist *h);
/* The q-quantile (0 < q <= 1): the upper edge of the bin that holds it,
 * never above the maximum seen; 0 when empty.  Not const: the values
 * hist_add holds back are counted first. */
double hist_quantile(struct hist *h, double q);

#endif
