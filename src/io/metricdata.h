/*
 * metricdata.h - CloudWatch metric data as `aws cloudwatch get-metric-data`
 * prints it (issue 14): what `esmsim import` turns into traffic, durations
 * and failures, and what `esmsim compare` holds a run against.
 *
 * A file is the CLI's JSON: {"MetricDataResults": [{"Id", "Label",
 * "Timestamps", "Values", "StatusCode"}, ...], "Messages": [...]}.  The CLI
 * pages through the results by itself and concatenates the pages, so one Id
 * may come several times (every page but the last PartialData): its pages
 * are joined.  A result says which metric it holds by its Label or its Id,
 * written freely ("Duration p99", "duration_p99", "IteratorAge Maximum"):
 * the metric's name and then, optionally, the statistic (mdata_identify).
 *
 * Gaps: CloudWatch returns no datapoint for a period without data.  For a
 * count (a Sum) that is a period without any (0); for any other statistic
 * the value is unknown (mdata_at).
 */
#ifndef ESMSIM_METRICDATA_H
#define ESMSIM_METRICDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* The metrics esmsim knows, by their CloudWatch names. */
enum mdata_metric {
    MD_INCOMING_RECORDS,       /* AWS/Kinesis IncomingRecords */
    MD_INCOMING_BYTES,         /* AWS/Kinesis IncomingBytes */
    MD_DURATION,               /* AWS/Lambda Duration, ms */
    MD_ERRORS,                 /* AWS/Lambda Errors */
    MD_INVOCATIONS,            /* AWS/Lambda Invocations */
    MD_THROTTLES,              /* AWS/Lambda Throttles */
    MD_ITERATOR_AGE,           /* AWS/Lambda IteratorAge, ms */
    MD_CONCURRENT_EXECUTIONS,  /* AWS/Lambda ConcurrentExecutions */
    MD_METRIC_COUNT
};

/* The metric's CloudWatch name ("IteratorAge"). */
const char *mdata_metric_name(enum mdata_metric m);

/* One metric and statistic over time, every page joined. */
struct mdata_series {
    enum mdata_metric metric;
    char stat[16];          /* "Sum", "Average", "Maximum", "Minimum", "SampleCount", "p99", "p99.9" */
    double pct;             /* the percentile of a "pNN" statistic, else -1 */
    char *id;               /* the result's Id (malloc'd; fmt_text-safe to print) */
    char *file;             /* the file of its first page (malloc'd) */
    char *where;            /* "$.MetricDataResults[3]" there (malloc'd) */
    int64_t period_ms;      /* the period, from the timestamps (mdata_finish) */
    size_t n;               /* datapoints */
    int64_t *t_ms;          /* their times, epoch ms, ascending, each once (malloc'd) */
    double *v;              /* their values (malloc'd) */
    bool partial;           /* its last page was PartialData: the next page is missing */
    size_t pages;           /* results joined */
};

/* A result esmsim cannot place: its metric is not one of the above. */
struct mdata_unknown {
    char *file, *where, *id, *label;   /* malloc'd */
    int metric;             /* the metric its Label or Id names with a statistic that is not
                             * read (an enum mdata_metric), else -1 */
    char stat[16];          /* that statistic as written, lower case ("p100", "tm99") */
};

struct mdata_set {
    struct mdata_series *s;
    size_t n, cap;
    struct mdata_unknown *unknown;
    size_t n_unknown, cap_unknown;
    char **messages;        /* the Messages CloudWatch returned, "FILE: Code: Value" (malloc'd) */
    size_t n_messages, cap_messages;
    int64_t start_ms, end_ms;   /* the first datapoint, the end of the last one's period */
};

/* True when root looks like get-metric-data output (it has MetricDataResults). */
bool mdata_is(const struct cJSON *root);

/*
 * Add the results of one file (root, parsed from file) to set.  Returns 0,
 * or -1 with "FILE: $.MetricDataResults[2].Values[7]: expected a number,
 * got ..." in err: a result without an Id, timestamps that are not ISO-8601
 * times, Values and Timestamps of different lengths, a StatusCode of
 * InternalError or Forbidden (no data), one metric and statistic under two
 * Ids, a time given twice with two values.
 */
int mdata_add(struct mdata_set *set, const char *file, const struct cJSON *root,
              char *err, size_t errlen);

/*
 * After the last mdata_add: every series sorted, its period found (the
 * smallest step between its datapoints, a whole number of seconds; every
 * step a multiple of it; a series of one datapoint takes the period of the
 * others), and set->start_ms, end_ms.  Returns 0, or -1 with a message
 * naming the file and the result.
 */
int mdata_finish(struct mdata_set *set, char *err, size_t errlen);

void mdata_free(struct mdata_set *set);

/* The series of metric with statistic stat ("Sum", "p99"), or NULL. */
const struct mdata_series *mdata_find(const struct mdata_set *set, enum mdata_metric metric,
                                      const char *stat);

/*
 * The value of s for the period starting at t_ms: true and *v when it has
 * a datapoint there; a Sum without one is 0 (a period without any); false
 * for another statistic without one (unknown).
 */
bool mdata_at(const struct mdata_series *s, int64_t t_ms, double *v);

/*
 * Which metric and statistic a Label or Id names: its letters and digits
 * (and the dot of "p99.9"), case ignored, are a metric's name followed by
 * nothing or a statistic ("sum", "average"/"avg", "maximum"/"max",
 * "minimum"/"min", "samplecount", "pNN").  Returns true with *metric and
 * stat ("" when none is named).
 */
bool mdata_identify(const char *text, enum mdata_metric *metric, char stat[16]);

#define MDATA_WHY_LEN 256
/* Why u is not read when its Label or Id names a metric with a statistic that
 * is not read ("not a statistic esmsim reads: Duration p100; it reads ..."),
 * in buf; NULL when it names no metric. */
const char *mdata_unread_stat(const struct mdata_unknown *u, char buf[MDATA_WHY_LEN]);

/*
 * get-metric-data output for n series: {"MetricDataResults": [{"Id",
 * "Label" ("<Metric> <stat>"), "Timestamps" (ISO-8601, newest first, as
 * CloudWatch returns them by default), "Values", "StatusCode": "Complete"}],
 * "Messages": []}, the id and the metric, stat, times and values of each
 * series from s (file, where, period unused).  malloc'd; NULL when out of
 * memory.
 */
char *mdata_export(const struct mdata_series *s, size_t n);

#endif
