#!/usr/bin/env python3
"""examples/production/make-metrics.py - the day of CloudWatch metric data of the
worked example (metrics.json), made up, in the exact format of

    aws cloudwatch get-metric-data --metric-data-queries file://queries.json \
        --start-time 2026-11-17T00:00:00Z --end-time 2026-11-18T00:00:00Z --page-size 2000

for the queries of queries.json (5-minute periods). It is not esmsim's output: a
small model of the production system of template.yaml, so that `esmsim compare`
holds the simulation against something it did not make.

The day: traffic follows office hours (a morning bump, a peak after lunch), with a
flash sale at 18:00-18:20 (2.6 times the traffic); 14:10-14:25 the index's database
is down and every invocation fails; durations grow a little with the batch (which
the imported scenario, a lognormal per invocation, does not know); a few transient
errors; CloudWatch's gaps (IteratorAge 03:35-03:45, a Duration p99 datapoint, and
Errors has no datapoint where there were none). The CLI pages by itself: the
MetricDataResults of both pages are concatenated, the Ids the first page cut coming
again, PartialData then Complete. Deterministic: run it again, get the same file.
"""
import datetime
import json
import math
import random

random.seed(14)
START = datetime.datetime(2026, 11, 17, tzinfo=datetime.timezone.utc)
PERIOD = 300
N = 288                      # a day of 5-minute periods
LANES = 8                    # 4 shards x ParallelizationFactor 2
CYCLE = 1.0 + 0.13 + 0.02    # a lane's batching window, its invocation, the next read (s)
OUTAGE = range(14 * 12 + 2, 14 * 12 + 5)     # 14:10, 14:15, 14:20
SALE = range(18 * 12, 18 * 12 + 4)           # 18:00 - 18:20
PAGE = 2000                  # datapoints a page (the CLI's --page-size)


def rate(k):
    """records per second written to the stream in period k"""
    h = (k + 0.5) * PERIOD / 3600
    r = 120 + 900 * math.exp(-((h - 13) / 3.2) ** 2) + 300 * math.exp(-((h - 9) / 1.5) ** 2)
    if k in SALE:
        r *= 2.6
    return r * (1 + random.gauss(0, 0.03))


def series():
    s = {q: [] for q in ("incoming_records", "incoming_bytes", "write_throttled", "invocations",
                         "errors", "throttles", "duration_avg", "duration_p50", "duration_p90",
                         "duration_p99", "duration_max", "iterator_age", "concurrency")}
    age_at_end = 0.0
    for k in range(N):
        r = rate(k)
        records = round(r * PERIOD)
        s["incoming_records"].append(records)
        s["incoming_bytes"].append(round(records * 620 * (1 + random.gauss(0, 0.02))))
        s["write_throttled"].append(0)
        calls = round(LANES * PERIOD / CYCLE * (1 + random.gauss(0, 0.01)))
        s["invocations"].append(calls)
        s["throttles"].append(0)
        if k in OUTAGE:
            s["errors"].append(calls)
        else:   # transient errors: a period without any has no datapoint
            e = sum(1 for _ in range(calls) if random.random() < 0.0015)
            s["errors"].append(e if e else None)
        batch = r * CYCLE / LANES
        median = 90 + 0.12 * batch          # ms: a little longer for bigger batches
        sigma = 0.42
        s["duration_p50"].append(round(median * (1 + random.gauss(0, 0.02)), 2))
        s["duration_avg"].append(round(median * math.exp(sigma ** 2 / 2) * (1 + random.gauss(0, 0.015)), 2))
        s["duration_p90"].append(round(median * math.exp(1.2816 * sigma) * (1 + random.gauss(0, 0.03)), 2))
        p99 = median * math.exp(2.3263 * sigma) * (1 + random.gauss(0, 0.05))
        s["duration_p99"].append(None if k == 4 * 12 + 10 else round(p99, 2))
        s["duration_max"].append(round(p99 * (1.5 + random.random()), 2))
        # IteratorAge (ms): a batch's last record waits the window and the invocation;
        # while the database is down no batch gets through and the age grows with the
        # clock, then the backlog drains within a period.
        if k in OUTAGE:
            age_at_end += PERIOD
            age = age_at_end * 1000
        elif age_at_end:
            age = (age_at_end + 40) * 1000
            age_at_end = 0
        else:
            age = (1.0 + 0.45 + random.uniform(0.1, 0.6)) * 1000
        s["iterator_age"].append(None if k in (3 * 12 + 7, 3 * 12 + 8) else round(age))
        busy = 0.13 / CYCLE
        top = max(sum(random.random() < busy for _ in range(LANES)) for _ in range(60))
        s["concurrency"].append(top)
    return s


def stamp(k):
    return (START + datetime.timedelta(seconds=k * PERIOD)).isoformat()


def main():
    queries = json.load(open(__file__.rsplit("/", 1)[0] + "/queries.json"))
    values = series()
    pages = [[], []]
    budget = PAGE
    for q in queries:
        points = [(stamp(k), v) for k, v in enumerate(values[q["Id"]]) if v is not None]
        points.reverse()      # newest first, as CloudWatch returns them
        first, rest = points[:budget], points[budget:]
        budget -= len(first)
        pages[0].append({"Id": q["Id"], "Label": q["Label"],
                         "Timestamps": [t for t, _ in first], "Values": [v for _, v in first],
                         "StatusCode": "PartialData" if rest else "Complete"})
        if rest:
            pages[1].append({"Id": q["Id"], "Label": q["Label"],
                             "Timestamps": [t for t, _ in rest], "Values": [v for _, v in rest],
                             "StatusCode": "Complete"})
    print(json.dumps({"MetricDataResults": pages[0] + pages[1], "Messages": []}, indent=4))


main()
