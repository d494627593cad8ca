#!/usr/bin/env bash
# Make sure the PostgreSQL server the tests use answers. Under CI=true it must; elsewhere the
# PostgreSQL tests skip with a reason when it does not. As root, a missing server is installed and
# started from Debian's packages; a stopped one is started.
set -u
url="${ARREARS_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
host_port="${url#*@}"; host_port="${host_port%%/*}"
host="${host_port%%:*}"; port="${host_port##*:}"

answers() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

if answers; then exit 0; fi
if [ "$(id -u)" = 0 ] && [ "$host" = 127.0.0.1 ]; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "PostgreSQL is not installed: installing it from Debian's packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 || true
  fi
  for version in $(ls /etc/postgresql 2>/dev/null); do
    conf="/etc/postgresql/$version/main"
    grep -q "^host all all 127.0.0.1/32 trust" "$conf/pg_hba.conf" 2>/dev/null ||
      sed -i '1i host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null ||
      pg_ctlcluster "$version" main start 2>/dev/null || true
  done
  for _ in $(seq 1 30); do answers && break; sleep 1; done
  if answers; then
    su postgres -c "psql -tAc \"select 1 from pg_database where datname='test'\"" | grep -q 1 ||
      su postgres -c "createdb test" || true
    exit 0
  fi
fi
if [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL does not answer on $host:$port and CI=true: the PostgreSQL tests must run" >&2
  exit 1
fi
echo "PostgreSQL does not answer on $host:$port: its tests will be skipped" >&2
exit 0
