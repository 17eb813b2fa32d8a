# coding=utf-8
"""The article's first program, in Python 3: three daemons that each sleep a
second, in order, then spawned with gevent.spawn and joined with
gevent.joinall. The article's is Python 2; only print, xrange and the
timer's print change. Nothing in this module runs it:

    /usr/bin/python3 testdata/python/sleep.py

example_test.go's ExampleSequential and ExampleGoroutines are its Go side.
"""

import time
import gevent
from gevent import monkey

monkey.patch_all()


def spend_time(func):
    def wrapper(*args, **kwargs):
        start_time = time.time()
        rv = func(*args, **kwargs)
        end_time = time.time()
        print(end_time - start_time)
        return rv
    return wrapper


def daemon():
    time.sleep(1)
    print('done')


@spend_time
def in_order():
    for i in range(3):
        daemon()


@spend_time
def in_concur():
    spawns = []
    for i in range(3):
        spawns.append(gevent.spawn(daemon))
    gevent.joinall(spawns)


def main():
    in_order()
    in_concur()


if __name__ == '__main__':
    main()
