#!/usr/bin/env python3
"""bench/twin_simpy.py - a SimPy twin of bench/bench-16x1000.json (issue 15 item 3).

The skeleton of the bench scenario and nothing else: one producer at 16,000
records/s (Poisson arrivals, 100,000 uniform keys), PutRecords requests of up
to 500 records or 100 ms of linger, each record routed to one of 16 shards by
the MD5 of its key (hash-key ranges split evenly), and per shard a poller
that takes up to 1,000 records, "invokes" the function for 10 ms + 50 us a
record, and polls again at once, or after 1 s when the shard was empty.  None
of esmsim's features: no limits, throttles, retries, fates, event sizes or
log.  It is the floor of what a user would write in Python instead; an MD5
is computed once per key (a dict), as anyone would.

    bench/twin_simpy.py [SIMULATED_SECONDS]     (default 300)

Prints one line: simulated seconds, records produced, records processed, wall
seconds and records per wall second.  Works with SimPy 3 and 4 (`import
simpy`, pip install simpy) and with the classic SimPy 2 API that Debian 12
ships (apt-get install python3-simpy: 2.3.1, module SimPy.Simulation).
"""
import collections
import hashlib
import random
import sys
import time

SHARDS = 16
RATE = 16000.0          # records per second
KEYS = 100000
MAX_RECORDS = 500       # a PutRecords request
LINGER = 0.100          # seconds the first record of a request may wait
BATCH = 1000            # BatchSize
PER_INVOKE = 0.010      # seconds
PER_RECORD = 0.000050
POLL_IDLE = 1.0         # an empty shard is polled again after this

HASH_SPAN = 1 << 128


class Model:
    """The state both SimPy APIs drive: shards, counts, the key cache."""

    def __init__(self, seed=1):
        self.rng = random.Random(seed)
        self.shards = [collections.deque() for _ in range(SHARDS)]
        self.route = {}           # key index -> shard
        self.produced = 0
        self.processed = 0
        self.next_at = self.rng.expovariate(RATE)   # the next arrival

    def shard_of(self, k):
        s = self.route.get(k)
        if s is None:
            h = int.from_bytes(hashlib.md5(b"k-%d" % k).digest(), "big")
            s = self.route[k] = h * SHARDS // HASH_SPAN
        return s

    def next_request(self):
        """The arrival times of the next request's records, and when it is
        sent: at its last arrival when full, else its first + linger."""
        times = [self.next_at]
        while True:
            t = times[-1] + self.rng.expovariate(RATE)
            if len(times) == MAX_RECORDS or t > times[0] + LINGER:
                self.next_at = t
                return times, (times[-1] if len(times) == MAX_RECORDS else times[0] + LINGER)
            times.append(t)

    def put(self, times):
        for at in times:
            self.shards[self.shard_of(self.rng.randrange(KEYS))].append(at)
        self.produced += len(times)

    def take(self, shard):
        q = self.shards[shard]
        n = min(len(q), BATCH)
        for _ in range(n):
            q.popleft()
        self.processed += n
        return n


def run_simpy3(simpy, model, until):
    env = simpy.Environment()

    def producer():
        while True:
            times, sent = model.next_request()
            yield env.timeout(sent - env.now)
            model.put(times)

    def poller(shard):
        while True:
            n = model.take(shard)
            yield env.timeout(PER_INVOKE + PER_RECORD * n if n else POLL_IDLE)

    env.process(producer())
    for s in range(SHARDS):
        env.process(poller(s))
    env.run(until=until)


def run_simpy2(sim, model, until):
    class Producer(sim.Process):
        def run(self):
            while True:
                times, sent = model.next_request()
                yield sim.hold, self, sent - sim.now()
                model.put(times)

    class Poller(sim.Process):
        def run(self, shard):
            while True:
                n = model.take(shard)
                yield sim.hold, self, (PER_INVOKE + PER_RECORD * n if n else POLL_IDLE)

    sim.initialize()
    p = Producer()
    sim.activate(p, p.run())
    for s in range(SHARDS):
        q = Poller()
        sim.activate(q, q.run(s))
    sim.simulate(until=until)


def main():
    until = float(sys.argv[1]) if len(sys.argv) > 1 else 300.0
    model = Model()
    started = time.perf_counter()
    try:
        import simpy
        api = "simpy " + getattr(simpy, "__version__", "3+")
        run_simpy3(simpy, model, until)
    except ImportError:
        import SimPy
        import SimPy.Simulation as sim
        api = "SimPy " + getattr(SimPy, "__version__", "2")
        run_simpy2(sim, model, until)
    wall = time.perf_counter() - started
    print("%s: %gs simulated, %d records produced, %d processed, %.2f s wall, %.3f M records/s"
          % (api, until, model.produced, model.processed, wall, model.produced / wall / 1e6))


if __name__ == "__main__":
    main()
