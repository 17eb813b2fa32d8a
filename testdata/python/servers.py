"""The article's three servers of Flask's hello world, for BenchmarkArticle
(gevent_bench_test.go) to measure beside the Go servers with the same load
driver:

    python3 testdata/python/servers.py run [hello|io]        # app.run(): one request at a time
    python3 testdata/python/servers.py threaded [hello|io]   # app.run(threaded=True): a thread per connection
    python3 testdata/python/servers.py gevent [hello|io]     # gevent.pywsgi.WSGIServer((host, port), app)

hello answers "hello world" at once, as the article's app did; io first
waits 10 ms, as a view waits for its database, with time.sleep. Each binds
127.0.0.1 on a free port, prints the port alone on its first line of
standard output, and serves until it is killed. gunicorn_gevent.py serves
the same app (flask_app) under gunicorn.

app.run(threaded=...) is Werkzeug's run_simple, which serves
make_server(host, port, app, threaded=...) forever, with the debugger and
the reloader off; this script calls make_server itself so that it can bind
port 0 and say which port it got. It passes threaded=False for app.run():
the article's Flask served one request at a time by default, Flask 1.0
and later serve a thread per connection unless told not to. Both keep
Werkzeug's listen backlog of 128 (Werkzeug's since 2011) and its log line
per request on standard error, as the article's servers did; the gevent
server too logs every request, as gevent's WSGIServer does by default.

For io, the gevent server patches the standard library first
(monkey.patch_all()), so that time.sleep yields to the other greenlets, as
a database driver's socket would once patched: without it, the sleep would
hold the one thread, and gevent would serve one request at a time like
app.run(). For hello it does not, as the article's serving code does not.
"""

import sys

MODES = ("run", "threaded", "gevent")
WORKS = {"hello": 0, "io": 0.010}  # seconds each request waits


def flask_app(work):
    """The article's app; for io, its view first waits 10 ms."""
    import time

    from flask import Flask

    app = Flask(__name__)
    wait = WORKS[work]

    @app.route("/")
    def index():
        if wait:
            time.sleep(wait)
        return "hello world"

    return app


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    work = sys.argv[2] if len(sys.argv) > 2 else "hello"
    if mode not in MODES or work not in WORKS:
        sys.exit("usage: servers.py run|threaded|gevent [hello|io]")
    if mode == "gevent" and work == "io":
        # Before Flask is imported, so that everything it uses is patched.
        from gevent import monkey

        monkey.patch_all()

    app = flask_app(work)
    if mode == "gevent":
        from gevent.pywsgi import WSGIServer

        http = WSGIServer(("127.0.0.1", 0), app)
        http.start()
        print(http.server_port, flush=True)
        http.serve_forever()
    else:
        from werkzeug.serving import make_server

        srv = make_server("127.0.0.1", 0, app, threaded=(mode == "threaded"))
        print(srv.server_port, flush=True)
        srv.serve_forever()


if __name__ == "__main__":
    main()
