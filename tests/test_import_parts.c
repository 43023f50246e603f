/*
 * test_import_parts.c - the pieces of esmsim import that are numbers and parsing
 * (issue 14 item 1): the lognormal fit to duration statistics, which Label
 * or Id names which metric, YAML as JSON with CloudFormation's short-form
 * tags, anchors and merge keys, and get-metric-data pages, gaps and periods.
 * The command as a whole is tests/import.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_cdf.h>

#include "check.h"
#include "import_yaml.h"
#include "import_metrics.h"
#include "metricdata.h"

#define CHECK_NEAR(a, b, rel) CHECK(fabs((a) - (double)(b)) <= (rel) * fabs((double)(b)))

/* The statistics of a lognormal: a percentile p (0..100), or the mean (p < 0). */
static double stat(double median, double sigma, double p)
{
    return p < 0 ? median * exp(sigma * sigma / 2) : median * exp(sigma * gsl_cdf_ugaussian_Pinv(p / 100));
}

/* Issue 14 item 4: the fit of a known lognormal recovers its parameters within 5 %. */
static void test_fit(void)
{
    double median, sigma, worst;
    size_t wi;
    /* p50, p90, p99 and the mean of median 40 ms, sigma 0.5: GSL's nonlinear least squares. */
    {
        double pct[] = { 50, 90, 99, -1 }, x[4];
        for (int i = 0; i < 4; i++)
            x[i] = stat(40, 0.5, pct[i]);
        CHECK_INT(imp_fit_lognormal(pct, x, 4, &median, &sigma, &worst, &wi), 0);
        CHECK_NEAR(median, 40, 0.05);
        CHECK_NEAR(sigma, 0.5, 0.05);
        CHECK_NEAR(median, 40, 1e-6);   /* exact data: the exact parameters */
        CHECK_NEAR(sigma, 0.5, 1e-6);
        CHECK(worst < 1e-6);
    }
    /* Percentiles alone (p90, p99): a straight line in ln x against z, exact. */
    {
        double pct[] = { 90, 99 }, x[] = { stat(120, 0.8, 90), stat(120, 0.8, 99) };
        CHECK_INT(imp_fit_lognormal(pct, x, 2, &median, &sigma, &worst, &wi), 0);
        CHECK_NEAR(median, 120, 1e-9);
        CHECK_NEAR(sigma, 0.8, 1e-9);
    }
    /* The median and the mean: the closed form, sigma = sqrt(2 ln(mean / median)). */
    {
        double pct[] = { -1, 50 }, x[] = { stat(7, 1.2, -1), 7 };
        CHECK_INT(imp_fit_lognormal(pct, x, 2, &median, &sigma, &worst, &wi), 0);
        CHECK_NEAR(median, 7, 1e-9);
        CHECK_NEAR(sigma, 1.2, 1e-9);
    }
    /* Noisy statistics (as CloudWatch's per-period figures are): still within 5 %,
     * and the largest error of a fitted statistic is said. */
    {
        double pct[] = { 50, 90, 99, -1 }, noise[] = { 1.02, 0.98, 1.03, 0.99 }, x[4];
        for (int i = 0; i < 4; i++)
            x[i] = stat(250, 0.35, pct[i]) * noise[i];
        CHECK_INT(imp_fit_lognormal(pct, x, 4, &median, &sigma, &worst, &wi), 0);
        CHECK_NEAR(median, 250, 0.05);
        CHECK_NEAR(sigma, 0.35, 0.05);
        CHECK(worst > 0.005 && worst < 0.05);
    }
    /* Nothing to fit a spread to: the mean alone, or one percentile twice. */
    {
        double pct[] = { -1 }, x[] = { 10 };
        CHECK_INT(imp_fit_lognormal(pct, x, 1, &median, &sigma, &worst, &wi), -1);
        double pct2[] = { 99, 99 }, x2[] = { 10, 11 };
        CHECK_INT(imp_fit_lognormal(pct2, x2, 2, &median, &sigma, &worst, &wi), -1);
        double pct3[] = { 50, 90 }, x3[] = { 10, 0 };
        CHECK_INT(imp_fit_lognormal(pct3, x3, 2, &median, &sigma, &worst, &wi), -1);
    }
}

/* Issue 14 item 1: a result's Label or Id names its metric and statistic. */
static void test_identify(void)
{
    static const struct {
        const char *text;
        bool known;
        enum mdata_metric metric;
        const char *stat;
    } cases[] = {
        { "Duration p99", true, MD_DURATION, "p99" },
        { "duration_p99.9", true, MD_DURATION, "p99.9" },
        { "IteratorAge Maximum", true, MD_ITERATOR_AGE, "Maximum" },
        { "iterator_age_max", true, MD_ITERATOR_AGE, "Maximum" },
        { "IncomingRecords", true, MD_INCOMING_RECORDS, "" },
        { "incoming-records (sum)", true, MD_INCOMING_RECORDS, "Sum" },
        { "ConcurrentExecutions avg", true, MD_CONCURRENT_EXECUTIONS, "Average" },
        { "Errors SampleCount", true, MD_ERRORS, "SampleCount" },
        { "Duration p100", false, 0, "" },            /* not a percentile: an unknown word */
        /* CloudWatch's form, its API's pattern p(\d{1,2}(\.\d{0,2})?|100), by the text: strtod
         * read p1e1 as p10, p0x1A as p26, and took more digits than CloudWatch gives */
        { "Duration p05", true, MD_DURATION, "p05" },
        { "Duration p99.", true, MD_DURATION, "p99." },
        { "Duration p99.99", true, MD_DURATION, "p99.99" },
        { "Duration p0.01", true, MD_DURATION, "p0.01" },
        { "Duration p1e1", false, 0, "" },
        { "Duration p0x1A", false, 0, "" },
        { "Duration p99.999", false, 0, "" },
        { "Duration p050", false, 0, "" },
        { "Duration p0.00", false, 0, "" },           /* p0: the Minimum */
        { "Duration p100.0000000000000001", false, 0, "" },
        { "Duration p.5", false, 0, "" },
        { "GetRecords.Success Sum", false, 0, "" },
        { "m1", false, 0, "" },
        { "", false, 0, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum mdata_metric m = MD_METRIC_COUNT;
        char stat[16] = "?";
        bool known = mdata_identify(cases[i].text, &m, stat);
        CHECK_INT(known, cases[i].known);
        if (known && cases[i].known) {
            CHECK_INT(m, cases[i].metric);
            CHECK_STR(stat, cases[i].stat);
        }
    }
}

static char *compact(const char *yaml)
{
    char err[512];
    cJSON *v = imp_yaml_parse("t.yaml", yaml, strlen(yaml), err, sizeof err);
    char *s = v ? cJSON_PrintUnformatted(v) : strdup(err);
    cJSON_Delete(v);
    return s;
}

#define CHECK_YAML(yaml, json) do { \
    char *got_ = compact(yaml); \
    CHECK_STR(got_, json); \
    free(got_); \
} while (0)

/* Issue 14 item 4: YAML's ugly parts (tags, anchors, aliases, merge keys, typing). */
static void test_yaml(void)
{
    CHECK_YAML("a: !Ref B\nb: !GetAtt S.Arn\nc: !GetAtt [S, Arn]\n",
               "{\"a\":{\"Ref\":\"B\"},\"b\":{\"Fn::GetAtt\":[\"S\",\"Arn\"]},"
               "\"c\":{\"Fn::GetAtt\":[\"S\",\"Arn\"]}}");
    CHECK_YAML("s: !Sub \"${A}-x\"\nj: !Join [\"-\", [a, !Ref B]]\nc: !Condition IsProd\n"
               "i: !If [C, 1, 2]\nn: !Base64 abc\n",
               "{\"s\":{\"Fn::Sub\":\"${A}-x\"},\"j\":{\"Fn::Join\":[\"-\",[\"a\",{\"Ref\":\"B\"}]]},"
               "\"c\":{\"Condition\":\"IsProd\"},\"i\":{\"Fn::If\":[\"C\",1,2]},\"n\":{\"Fn::Base64\":\"abc\"}}");
    /* a tag's scalar stays text: !Ref 123 names "123" */
    CHECK_YAML("r: !Ref 123\n", "{\"r\":{\"Ref\":\"123\"}}");
    CHECK_YAML("base: &b {x: 1, y: 2}\nuse: *b\nmerged:\n  <<: *b\n  y: 3\n",
               "{\"base\":{\"x\":1,\"y\":2},\"use\":{\"x\":1,\"y\":2},\"merged\":{\"y\":3,\"x\":1}}");
    CHECK_YAML("m:\n  <<: [*a, *b]\na0: &a {k: 1}\n", "t.yaml: invalid YAML at line 2, column 8: "
               "found undefined alias");
    CHECK_YAML("a: &a {k: 1}\nb: &b {k: 2, l: 2}\nm:\n  <<: [*a, *b]\n",
               "{\"a\":{\"k\":1},\"b\":{\"k\":2,\"l\":2},\"m\":{\"k\":1,\"l\":2}}");
    CHECK_YAML("[1, -2.5, 0x1F, 0o17, 1e3, true, False, null, ~, \"7\", '8', yes, 1_000, .5, 07]",
               "[1,-2.5,31,15,1000,true,false,null,null,\"7\",\"8\",\"yes\",\"1_000\",0.5,7]");
    CHECK_YAML("a: 1\na: 2\n", "t.yaml: invalid YAML at line 2, column 1: the key a is given twice");
    CHECK_YAML("a: [1, 2\n", "t.yaml: invalid YAML at line 2, column 1: did not find expected ',' or ']'"
               " while parsing a flow sequence");
    CHECK_YAML("", "t.yaml: an empty YAML document");
    CHECK_YAML("a: !GetAtt NoDot\n", "t.yaml: invalid YAML at line 1, column 4: !GetAtt takes "
               "Resource.Attribute");
    /* Nesting: 201 levels are read, deeper is refused; 1,000,000 '[' at once, before libyaml
     * loads them (its scanner looks at every open level at each token: 40,000 took 6 s; a pass
     * that grew so again would show as the test's timeout, no timed check) */
    size_t len = 3000000;
    char *deep = malloc(len + 1), *got;
    CHECK(deep != NULL);
    if (deep) {
        for (int levels = 200; levels <= 201; levels++) {
            size_t k = 0;
            for (int i = 0; i < levels; i++)
                k += (size_t)sprintf(deep + k, "[");
            k += (size_t)sprintf(deep + k, "1");
            for (int i = 0; i < levels; i++)
                k += (size_t)sprintf(deep + k, "]");
            got = compact(deep);
            CHECK_CONTAINS(got, levels == 200 ? "[[[[" : "t.yaml: invalid YAML at line 1, column 202: nested "
                           "more than 200 deep");
            free(got);
        }
        memset(deep, '[', len);
        deep[len] = '\0';
        got = compact(deep);
        CHECK_STR(got, "t.yaml: invalid YAML at line 1, column 202: nested more than 200 deep");
        free(got);
        free(deep);
    }
    /* 90,000 keys and one more given twice, the last: refused at once (each key was looked
     * up among those before it: 40,000 took 5 s) */
    size_t cap = 90001 * 16;
    char *many = malloc(cap);
    CHECK(many != NULL);
    if (many) {
        size_t k = 0;
        for (int i = 0; i < 90000; i++)
            k += (size_t)snprintf(many + k, cap - k, "k%d: 1\n", i);
        snprintf(many + k, cap - k, "k7: 2\n");
        got = compact(many);
        CHECK_STR(got, "t.yaml: invalid YAML at line 90001, column 1: the key k7 is given twice");
        free(got);
        free(many);
    }
    /* An alias bomb: nine levels of nine aliases are 387 million nodes; refused at the limit. */
    char bomb[2048];
    size_t n = (size_t)snprintf(bomb, sizeof bomb, "a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i <= 9; i++)
        n += (size_t)snprintf(bomb + n, sizeof bomb - n,
                              "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
                              i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    got = compact(bomb);
    CHECK_CONTAINS(got, "t.yaml: invalid YAML at line");
    CHECK_CONTAINS(got, "more than 200000 nodes once aliases are expanded");
    free(got);
}

static cJSON *metrics(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    CHECK(v != NULL);
    return v;
}

/* Issue 14 item 1: pages joined, gaps, periods, and what makes metric data bad. */
static void test_metricdata(void)
{
    char err[512];
    struct mdata_set set = { 0 };
    /* Two pages of one Id (newest first, as CloudWatch returns them), the first PartialData. */
    cJSON *a = metrics("{\"MetricDataResults\":["
        "{\"Id\":\"inv\",\"Label\":\"Invocations Sum\",\"Timestamps\":[\"2026-01-01T00:05:00+00:00\","
        "\"2026-01-01T00:04:00+00:00\"],\"Values\":[5,4],\"StatusCode\":\"PartialData\"},"
        "{\"Id\":\"duration_p99\",\"Timestamps\":[\"2026-01-01T00:00:00Z\",\"2026-01-01T00:03:00Z\"],"
        "\"Values\":[9,12],\"StatusCode\":\"Complete\"},"
        "{\"Id\":\"inv\",\"Label\":\"Invocations Sum\",\"Timestamps\":[\"2026-01-01T00:01:00+00:00\","
        "\"2026-01-01T00:00:00+00:00\",\"2026-01-01T00:04:00+00:00\"],\"Values\":[1,0,4],"
        "\"StatusCode\":\"Complete\"}]}");
    CHECK_INT(mdata_add(&set, "a.json", a, err, sizeof err), 0);
    CHECK_INT(mdata_finish(&set, err, sizeof err), 0);
    const struct mdata_series *inv = mdata_find(&set, MD_INVOCATIONS, "Sum");
    CHECK(inv != NULL);
    if (inv) {
        CHECK_INT(inv->n, 4);                 /* 00:04 was in both pages: once */
        CHECK_INT(inv->pages, 2);
        CHECK_INT(inv->partial, 0);           /* the last page is Complete */
        CHECK_INT(inv->period_ms, 60000);
        double v = -1;
        CHECK(mdata_at(inv, 1767225600000 + 120000, &v) && v == 0);   /* a Sum's gap is 0 */
        CHECK(mdata_at(inv, 1767225600000 + 300000, &v) && v == 5);
    }
    const struct mdata_series *p99 = mdata_find(&set, MD_DURATION, "p99");
    CHECK(p99 != NULL);
    if (p99) {
        double v = -1;
        CHECK_INT(p99->period_ms, 180000);    /* its own steps: one of 3 minutes */
        CHECK(!mdata_at(p99, 1767225600000 + 60000, &v));   /* not a Sum: unknown */
    }
    CHECK_INT(set.start_ms, 1767225600000);
    CHECK_INT(set.end_ms, 1767225600000 + 360000);
    mdata_free(&set);
    cJSON_Delete(a);

    static const struct { const char *json, *msg; } bad[] = {
        { "{\"MetricDataResults\":[{\"Label\":\"x\"}]}",
          "b.json: $.MetricDataResults[0].Id: expected the query's Id (a string), got nothing" },
        { "{\"MetricDataResults\":[{\"Id\":\"e\",\"Timestamps\":[\"2026-01-01T00:00:00Z\"],\"Values\":[]}]}",
          "b.json: $.MetricDataResults[0]: 1 Timestamps and 0 Values" },
        { "{\"MetricDataResults\":[{\"Id\":\"errors\",\"Timestamps\":[\"2026-01-01T00:00:00Z\"],"
          "\"Values\":[\"3\"]}]}", "b.json: $.MetricDataResults[0].Values[0]: expected a number, got a string" },
        { "{\"MetricDataResults\":[{\"Id\":\"errors\",\"Timestamps\":[\"yesterday\"],\"Values\":[3]}]}",
          "b.json: $.MetricDataResults[0].Timestamps[0]: expected an ISO-8601 time" },
        /* docs/scenario.md, time: the instants the loader reads, for a number as for a string (a
         * number was read to 1e13 s, year 318857, and compare printed "33658-09-27T...") */
        { "{\"MetricDataResults\":[{\"Id\":\"errors\",\"Timestamps\":[1e12],\"Values\":[3]}]}",
          "b.json: $.MetricDataResults[0].Timestamps[0]: expected an ISO-8601 time such as "
          "\"2026-11-20T00:00:00+00:00\" or epoch seconds, from 1970-01-01T00:00:00Z to "
          "9999-12-31T23:59:59.999999Z, got 1e+12" },
        { "{\"MetricDataResults\":[{\"Id\":\"errors\",\"Timestamps\":[\"9999-12-31T23:00:00-01:00\"],"
          "\"Values\":[3]}]}", "b.json: $.MetricDataResults[0].Timestamps[0]: expected an ISO-8601 time such "
          "as \"2026-11-20T00:00:00+00:00\" or epoch seconds, from 1970-01-01T00:00:00Z to "
          "9999-12-31T23:59:59.999999Z, got \"9999-12-31T23:00:00-01:00\"" },
        { "{\"MetricDataResults\":[{\"Id\":\"errors\",\"StatusCode\":\"Forbidden\"}]}",
          "b.json: $.MetricDataResults[0].StatusCode: Forbidden: CloudWatch returned no data" },
        { "{\"MetricDataResults\":[{\"Id\":\"a\",\"Label\":\"Errors Sum\"},{\"Id\":\"b\",\"Label\":\"Errors\"}]}",
          "b.json: $.MetricDataResults[1]: Id b is Errors Sum again, which b.json $.MetricDataResults[0] already holds" },
        { "{\"MetricDataResults\":{}}", "b.json: $.MetricDataResults: expected an array" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mdata_set s = { 0 };
        cJSON *b = metrics(bad[i].json);
        err[0] = '\0';
        CHECK_INT(mdata_add(&s, "b.json", b, err, sizeof err), -1);
        CHECK_CONTAINS(err, bad[i].msg);
        mdata_free(&s);
        cJSON_Delete(b);
    }
    static const struct { const char *json, *msg; } bad_finish[] = {
        { "{\"MetricDataResults\":[{\"Id\":\"errors\",\"Timestamps\":[\"2026-01-01T00:00:00Z\","
          "\"2026-01-01T00:00:00Z\"],\"Values\":[1,2]}]}",
          "b.json: $.MetricDataResults[0] (Errors Sum, Id errors): 2026-01-01T00:00:00.000Z has two values, 1 and 2" },
        { "{\"MetricDataResults\":[{\"Id\":\"errors\",\"Timestamps\":[\"2026-01-01T00:00:00Z\","
          "\"2026-01-01T00:02:00Z\",\"2026-01-01T00:05:00Z\"],\"Values\":[1,2,3]}]}",
          "b.json: $.MetricDataResults[0] (Errors Sum): the timestamps are not on one period: steps of 120 s and of 60 s" },
        { "{\"MetricDataResults\":[{\"Id\":\"errors\",\"Timestamps\":[\"2026-01-01T00:00:00Z\"],\"Values\":[1]}]}",
          "b.json: $.MetricDataResults[0] (Errors Sum): one datapoint, and no other series to tell the period from" },
    };
    for (size_t i = 0; i < sizeof bad_finish / sizeof bad_finish[0]; i++) {
        struct mdata_set s = { 0 };
        cJSON *b = metrics(bad_finish[i].json);
        err[0] = '\0';
        CHECK_INT(mdata_add(&s, "b.json", b, err, sizeof err), 0);
        CHECK_INT(mdata_finish(&s, err, sizeof err), -1);
        CHECK_CONTAINS(err, bad_finish[i].msg);
        mdata_free(&s);
        cJSON_Delete(b);
    }
}

int main(void)
{
    test_fit();
    test_identify();
    test_yaml();
    test_metricdata();
    return check_done();
}
