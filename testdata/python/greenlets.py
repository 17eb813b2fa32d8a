"""The article's sleep, spawned a million times: N greenlets that each sleep
one second, spawned with gevent.spawn and joined with gevent.joinall.

    python3 testdata/python/greenlets.py 1000000

Prints one line of JSON: the tasks, the wall time from the first spawn to
the end of joinall (the span the article timed), and the process's peak
resident memory (ru_maxrss, which Linux gives in KiB). BenchmarkFanout
(gevent_bench_test.go) runs it, beside a million goroutines.
"""

import json
import resource
import sys
import time

import gevent


def daemon():
    # The article's daemon sleeps a second and prints "done"; a million
    # lines of "done" would measure the terminal, so this one only sleeps.
    gevent.sleep(1)


def main():
    tasks = int(sys.argv[1])
    start = time.perf_counter()
    gevent.joinall([gevent.spawn(daemon) for _ in range(tasks)])
    wall = time.perf_counter() - start
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"tasks": tasks, "wall_s": wall, "max_rss_kib": rss_kib}), flush=True)


if __name__ == "__main__":
    main()
