"""Today's asyncio server: uvicorn with uvloop, serving the article's two
handlers written as async views of a Starlette app, for BenchmarkArticle and
BenchmarkIdle to measure beside gevent:

    python3 testdata/python/asgi.py [hello|io]

which is `uvicorn --loop uvloop asgi:hello` with the settings below: one
process, one event loop. hello answers "hello world" at once; io first awaits
asyncio.sleep(0.010), where gevent's view calls a patched time.sleep. The
script binds 127.0.0.1 on a free port itself, prints the port alone on its
first line of standard output, and hands the socket to uvicorn, as
gunicorn hands its socket to uvicorn's workers.

uvicorn picks its HTTP parser: httptools, in C, when it can import it
(pip's uvicorn[standard] brings it), else h11, in pure Python; the
benchmarks' header line uvicorn-http says which it was. It keeps its
default backlog of 2048 and its access log, a line per request on
standard output, as Werkzeug and gevent log theirs. One setting differs
from its defaults: timeout_keep_alive 300 s (default 5 s), after which it
closes an idle kept-alive connection; BenchmarkIdle holds them longer.
"""

import asyncio
import socket
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

WORKS = {"hello": 0, "io": 0.010}  # seconds each request waits


def app(wait):
    async def index(request):
        if wait:
            await asyncio.sleep(wait)
        return PlainTextResponse("hello world")

    return Starlette(routes=[Route("/", index)])


# By name, as uvicorn imports an app.
hello = app(WORKS["hello"])
io = app(WORKS["io"])


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else "hello"
    if work not in WORKS:
        sys.exit("usage: asgi.py [hello|io]")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        "asgi:" + work,
        loop="uvloop",
        timeout_keep_alive=300,
    )
    sock.listen(config.backlog)
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
