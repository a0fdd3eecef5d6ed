# A throwaway PostgreSQL server for bench/run.sh jdbc, on 127.0.0.1 and a free port, with the distribution's binaries
# (apt-get install postgresql). PostgreSQL refuses to run as root: as root it runs as the postgres user.
# Sets BENCH_JDBC_URL, BENCH_JDBC_USER, BENCH_JDBC_PASSWORD; stop_bench_postgres stops it and removes its folder.

start_bench_postgres() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -x "$bin/initdb" ]] || { echo "PostgreSQL binaries missing: apt-get install postgresql" >&2; return 1; }
  BENCH_PG_DIR="$(mktemp -d /tmp/pisp-bench-pg.XXXXXX)"
  BENCH_PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  BENCH_JDBC_USER=pisp_bench
  BENCH_JDBC_PASSWORD="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf '%s\n' "$BENCH_JDBC_PASSWORD" > "$BENCH_PG_DIR/pw"
  local as=()
  if [[ "$(id -u)" == 0 ]]; then
    chown -R postgres "$BENCH_PG_DIR"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$BENCH_PG_DIR/data" -U "$BENCH_JDBC_USER" --auth=scram-sha-256 \
    --pwfile="$BENCH_PG_DIR/pw" -E UTF8 --no-locale >"$BENCH_PG_DIR/initdb.log" 2>&1
  "${as[@]}" "$bin/pg_ctl" -D "$BENCH_PG_DIR/data" -l "$BENCH_PG_DIR/server.log" -w -t 60 \
    -o "-p $BENCH_PG_PORT -c listen_addresses=127.0.0.1 -k $BENCH_PG_DIR -c max_connections=100" start >/dev/null
  PGPASSWORD="$BENCH_JDBC_PASSWORD" "$bin/psql" -h 127.0.0.1 -p "$BENCH_PG_PORT" -U "$BENCH_JDBC_USER" -d postgres \
    -qc "CREATE DATABASE pisp_bench" >/dev/null
  BENCH_PG_BIN="$bin"
  BENCH_JDBC_URL="jdbc:postgresql://127.0.0.1:$BENCH_PG_PORT/pisp_bench"
  export BENCH_JDBC_URL BENCH_JDBC_USER BENCH_JDBC_PASSWORD
  echo "bench: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$BENCH_PG_PORT (fsync on)" >&2
}

stop_bench_postgres() {
  local as=()
  [[ "$(id -u)" == 0 ]] && as=(runuser -u postgres --)
  "${as[@]}" "$BENCH_PG_BIN/pg_ctl" -D "$BENCH_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$BENCH_PG_DIR"
}
