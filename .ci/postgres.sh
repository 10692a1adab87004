#!/usr/bin/env bash
# Makes sure a PostgreSQL answers on 127.0.0.1:5432 with trust auth and a
# `test` database, for the Postgres store's tests. Does nothing when one
# answers already; otherwise installs postgresql (Debian/Ubuntu), lets every
# local connection in without a password, starts the cluster and makes the
# database. Safe to run again.
set -euo pipefail

answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

if answers; then
  echo "postgres: 127.0.0.1:5432 answers"
  exit 0
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
# Installing the package makes the cluster `main`; make it when a previous attempt did not.
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  as_root pg_createcluster "$version" main
fi
conf="/etc/postgresql/$version/main"
# Trust every local and loopback connection: the tests connect as postgres (or root) without a password.
as_root tee "$conf/pg_hba.conf" >/dev/null <<'HBA'
local all all                trust
host  all all 127.0.0.1/32   trust
host  all all ::1/128        trust
HBA
as_root sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/; s/^#\?port = .*/port = 5432/" "$conf/postgresql.conf"
as_root pg_ctlcluster "$version" main restart || as_root pg_ctlcluster "$version" main start

for _ in $(seq 1 50); do answers && break; sleep 0.2; done
answers || { echo "postgres: the cluster did not start on 127.0.0.1:5432" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 || psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE test'
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'root'" | grep -q 1 || psql -h 127.0.0.1 -U postgres -c 'CREATE ROLE root SUPERUSER LOGIN'
echo "postgres: started $version main on 127.0.0.1:5432 with a test database"
