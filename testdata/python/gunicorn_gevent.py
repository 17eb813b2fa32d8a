"""The article's Flask app (servers.py's flask_app) as gevent is deployed:
under gunicorn, with one gevent worker process per core, for BenchmarkArticle
and BenchmarkIdle to measure beside gevent's WSGIServer on one core:

    python3 testdata/python/gunicorn_gevent.py WORKERS [hello|io]

which is `gunicorn -k gevent -w 2 'servers:flask_app("hello")'` with the
settings below. gunicorn's gevent worker patches the standard library
(monkey.patch_all()) before it loads the app, so io's time.sleep yields
to the worker's other greenlets. The master binds 127.0.0.1 on a free port
(port 0) before it starts the workers, and prints the port alone on its
first line of standard output when it is ready, as servers.py does; the
workers share its listening socket.

Settings that differ from gunicorn's defaults, and why:
- worker_connections 10000 (default 1000): a worker's greenlets are
  bounded by it, and BenchmarkIdle holds 10,000 connections, which the
  kernel may give to one worker.
- keepalive 300 s (default 2 s): an idle kept-alive connection is closed
  after it; BenchmarkIdle holds them longer than 2 s. A new connection
  per transaction, as BenchmarkArticle makes, never waits for it.
- graceful_timeout 3 s (default 30 s): how long a worker finishes its
  requests when it is told to stop, kept under the 5 s the benchmarks wait.
gunicorn keeps its default backlog of 2048 and writes no access log.
"""

import sys

from gunicorn.app.base import BaseApplication

import servers


def when_ready(arbiter):
    print(arbiter.LISTENERS[0].sock.getsockname()[1], flush=True)


class Gunicorn(BaseApplication):
    def __init__(self, work, options):
        self.work = work
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # In each worker, after the gevent worker has patched the library.
        return servers.flask_app(self.work)


def main():
    workers = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0
    work = sys.argv[2] if len(sys.argv) > 2 else "hello"
    if workers < 1 or work not in servers.WORKS:
        sys.exit("usage: gunicorn_gevent.py WORKERS [hello|io]")
    Gunicorn(
        work,
        {
            "bind": "127.0.0.1:0",
            "worker_class": "gevent",
            "workers": workers,
            "worker_connections": 10000,
            "keepalive": 300,
            "graceful_timeout": 3,
            "when_ready": when_ready,
        },
    ).run()


if __name__ == "__main__":
    main()
