#!/usr/bin/env bash
# Benchmark: host records stored per second into PostgreSQL, through the backend's writer
# (binary COPY into a staging table, then INSERT ... ON CONFLICT) against row-by-row
# INSERTs of the same rows in transactions of the same size.
#
#   benches/pgstore.sh [HOSTS]        # default 100000 host records (and about as many findings)
#
# The test starts a throwaway cluster itself (Debian's postgresql package; initdb + pg_ctl
# in a temp dir, as nobody under root, fsync on, listening on a Unix socket and 127.0.0.1
# only) and stops it afterwards; all traffic is over that socket. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
export SMBAUDIT_BENCH_HOSTS=${1:-100000}
exec cargo test --release -q -p smbaudit-store --test postgres_bench -- \
    --ignored --nocapture hosts_per_second_copy_vs_row_by_row_insert
