#!/usr/bin/env bash
# with-postgres.sh COMMAND...
#
# Runs COMMAND with a throw-away PostgreSQL 15 (scripts/postgres-test-server.sh) on a free loopback port,
# its URL in CLEARSKY_TEST_DATABASE_URL, and stops and removes the server when COMMAND ends, however it ends.
# The tests that need PostgreSQL use that server (each in a schema or database of its own); run without
# this wrapper, they fail and say how to run them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# A short folder: the server's socket path must fit in 107 bytes.
dir=$(mktemp -d /tmp/clearsky-pg.XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop() {
    "$here/postgres-test-server.sh" stop "$dir" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT
CLEARSKY_TEST_DATABASE_URL=$("$here/postgres-test-server.sh" start "$dir" "$port")
export CLEARSKY_TEST_DATABASE_URL
"$@"
