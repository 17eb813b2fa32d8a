"""The article's three servers of Flask's hello world, for BenchmarkHello
(gevent_bench_test.go) to measure beside the Go servers with the same load
driver:

    python3 testdata/python/servers.py run        # app.run(): one request at a time
    python3 testdata/python/servers.py threaded   # app.run(threaded=True): a thread per request
    python3 testdata/python/servers.py gevent     # gevent.pywsgi.WSGIServer((host, port), app)

Each binds 127.0.0.1 on a free port, prints the port alone on its first
line of standard output, and serves until it is killed.

app.run(threaded=...) is Werkzeug's run_simple, which serves
make_server(host, port, app, threaded=...) forever, with the debugger and
the reloader off; this script calls make_server itself so that it can bind
port 0 and say which port it got. It passes threaded=False for app.run():
the article's Flask served one request at a time by default, Flask 1.0
and later serve a thread per request unless told not to. Both keep
Werkzeug's listen backlog of 128 and its log line per request on standard
error, as the article's servers did; the gevent server too logs every
request, as gevent's WSGIServer does by default.
"""

import sys

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "hello world"


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "gevent":
        from gevent.pywsgi import WSGIServer

        http = WSGIServer(("127.0.0.1", 0), app)
        http.start()
        print(http.server_port, flush=True)
        http.serve_forever()
    elif mode in ("run", "threaded"):
        from werkzeug.serving import make_server

        srv = make_server("127.0.0.1", 0, app, threaded=(mode == "threaded"))
        print(srv.server_port, flush=True)
        srv.serve_forever()
    else:
        sys.exit("usage: servers.py run|threaded|gevent")


if __name__ == "__main__":
    main()
