#!/usr/bin/env bash
# Benchmark: host records stored per second into PostgreSQL, through the backend's writer
# against row-by-row INSERTs of the same rows in transactions of the same size. The writer
# takes up to two batches of 2048 hosts at a time and writes them side by side on its two
# connections, one transaction each: binary COPY straight into hosts under a savepoint,
# then binary COPY of their findings straight into findings (every constraint, the
# foreign keys and the indexes checked). Only a batch holding a host stored before falls
# back to COPY into a staging table and INSERT ... ON CONFLICT; this benchmark's hosts
# are all new, so it measures the direct path.
#
#   benches/pgstore.sh [HOSTS]        # default 100000 host records (and about as many findings)
#
# The test starts a throwaway cluster itself (Debian's postgresql package; initdb + pg_ctl
# in a temp dir, as nobody under root, fsync on, listening on a Unix socket and 127.0.0.1
# only) and stops it afterwards; all traffic is over that socket. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
export SMBAUDIT_BENCH_HOSTS=${1:-100000}
exec cargo test --release -q -p smbaudit-store-postgres --test postgres_bench -- \
    --ignored --nocapture hosts_per_second_copy_vs_row_by_row_insert
