# coding=utf-8
"""The article's second program, in Python 3: three pages fetched in order,
then spawned with gevent.spawn and joined with gevent.joinall. The
article's is Python 2; urllib2.urlopen is urllib.request.urlopen here. It
fetches the article's three sites, as the article did, unless given URLs
of its own; nothing in this module runs it:

    /usr/bin/python3 testdata/python/fetch.py [URL...]

example_test.go's ExampleFetcher_FetchAll and
ExampleFetcher_FetchAll_goroutines are its Go side.
"""

import sys
import time
from gevent import monkey
import gevent
import urllib.request


monkey.patch_all()


def spend_time(func):
    def wrapper(*args, **kwargs):
        start_time = time.time()
        rv = func(*args, **kwargs)
        end_time = time.time()
        print(end_time - start_time)
        return rv
    return wrapper


def request(url):
    print('GET: %s' % url)
    resp = urllib.request.urlopen(url)
    data = resp.read()
    print('%d bytes received from %s.' % (len(data), url))


@spend_time
def in_order(urls):
    for url in urls:
        request(url)


@spend_time
def in_concur(urls):
    spawns = []
    for url in urls:
        spawns.append(gevent.spawn(request, url))

    gevent.joinall(spawns)


def main():
    urls = sys.argv[1:] or ['https://baidu.com', 'https://zhihu.com', 'https://ele.me']
    in_order(urls)
    in_concur(urls)


if __name__ == '__main__':
    main()
