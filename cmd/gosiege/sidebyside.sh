#!/usr/bin/env bash
# gosiege beside wrk and siege on this machine, two comparisons, each
# against the goroutine server of cmd/joinall-serve on loopback:
#
#   1. hello, 50 kept-alive connections: gosiege -keepalive, then wrk.
#      gosiege should reach at least 0.8x wrk's rate.
#   2. io (a 10 ms wait), a new connection per transaction: gosiege, then
#      siege -b. They should agree on the rate within 25 %, and on
#      availability exactly when nothing fails.
#
#   cmd/gosiege/sidebyside.sh        # 10 s a run
#   cmd/gosiege/sidebyside.sh 3      # 3 s a run, to see that it works
#
# Needs wrk and siege (Debian: apt-get install -y wrk siege). Run it on a
# quiet machine: the load tool and the server share its cores. Debian's
# siege prints its report as JSON (json_output = true in ~/.siege/siege.conf);
# gosiege prints the same fields in siege's text layout.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${1:-10}
users=50
for tool in wrk siege; do
  command -v "$tool" >/dev/null || { echo "sidebyside.sh: needs $tool (apt-get install -y wrk siege)" >&2; exit 2; }
done

dir=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -INT "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
go build -o "$dir/" ./cmd/gosiege ./cmd/joinall-serve

# serve WORK starts the goroutine server with WORK and sets url.
serve() {
  "$dir/joinall-serve" -server goroutine -work "$1" >"$dir/url" &
  server_pid=$!
  for _ in $(seq 100); do
    [ -s "$dir/url" ] && break
    sleep 0.1
  done
  url=$(head -n 1 "$dir/url")
  [ -n "$url" ] || { echo "sidebyside.sh: joinall-serve did not start" >&2; exit 1; }
}

# stop stops the server that serve started.
stop() {
  kill -INT "$server_pid"
  wait "$server_pid"
  server_pid=
}

header() { printf '\n== %s\n' "$*"; }

header "machine"
echo "$(grep -m 1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "$(go version), kernel $(uname -r), net.core.somaxconn $(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo '?')"
echo "$(wrk -v 2>&1 | head -n 1 || true)"
echo "$(siege --version 2>&1 | head -n 1)"
date -u '+%Y-%m-%d %H:%M UTC'

serve hello
header "hello, $users kept-alive connections, ${secs} s: gosiege -c $users -t ${secs}s -keepalive $url"
"$dir/gosiege" -c "$users" -t "${secs}s" -keepalive "$url"
header "hello, $users kept-alive connections, ${secs} s: wrk -c $users -d ${secs}s $url"
wrk -c "$users" -d "${secs}s" "$url"
stop

serve io
header "io, a new connection per transaction, ${secs} s: gosiege -c $users -t ${secs}S $url"
"$dir/gosiege" -c "$users" -t "${secs}S" "$url"
header "io, a new connection per transaction, ${secs} s: siege -b -c $users -t ${secs}S $url"
siege -b -c "$users" -t "${secs}S" "$url"
stop
