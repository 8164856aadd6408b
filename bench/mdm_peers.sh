#!/usr/bin/env bash
# mdm_peers.sh -- external peers of the MDM store benchmark (bench_mdm_store.c
# runs it): pandas (in-memory DataFrame, pickled to disk) and ClickHouse
# (MergeTree over HTTP), on the SAME readings CSV the C benchmark wrote.
#
#   mdm_peers.sh READINGS.csv WORKDIR N_READINGS
#
# Each peer prints table rows like the C benchmark, or one line saying why it
# was skipped. Peers are optional: nothing here fails the benchmark.
# Measured: ingest (load of the whole CSV, like the 30 day batches of the C
# run), bytes per reading on disk, and one meter-year read (10 meters x 365
# days x 96 generated inside each peer, the same shape as the C run).
set -u
csv=$1 work=$2 n=$3
row() { printf '| %-44s | %16s | %22s | %10s |\n' "$1" "" "$2" ""; }

# --- pandas (Debian's python3; the pyenv one may lack it) -------------------
py=/usr/bin/python3
if $py -c 'import pandas' 2>/dev/null; then
  $py - "$csv" "$work" "$n" <<'EOF'
import os, sys, time
import numpy as np, pandas as pd
csv, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def row(what, peer):
    print('| %-44s | %16s | %22s | %10s |' % (what, '', peer, ''))
t0 = time.perf_counter()
df = pd.read_csv(csv, names=['channel_id', 'ts', 'value', 'quality'],
                 dtype={'channel_id': 'uint64', 'ts': 'int64',
                        'value': 'int64', 'quality': 'uint8'})
t1 = time.perf_counter()
df = df.set_index(['channel_id', 'ts']).sort_index()
t2 = time.perf_counter()
row('pandas: CSV parse, readings/s', '%.2f M/s' % (n / (t1 - t0) / 1e6))
row('pandas: index + sort (in memory), readings/s',
    '%.2f M/s' % (n / (t2 - t1) / 1e6))
row('pandas: in memory per reading', '%.2f B' %
    (df.memory_usage(index=True, deep=True).sum() / n))
p = os.path.join(work, 'df.pkl')
t3 = time.perf_counter()
df.to_pickle(p)
t4 = time.perf_counter()
row('pandas: to_pickle, readings/s (no fsync)', '%.2f M/s' % (n / (t4 - t3) / 1e6))
row('pandas: pickle on disk per reading', '%.2f B' % (os.path.getsize(p) / n))
os.unlink(p)
# one meter-year out of 10 meter-years
year = 365 * 96
ch = np.repeat(np.arange(1, 11, dtype='uint64'), year)
ts = np.tile(1356998400 + 900 * np.arange(1, year + 1, dtype='int64'), 10)
val = np.random.default_rng(1).integers(0, 200, 10 * year) * 1000
y = pd.DataFrame({'channel_id': ch, 'ts': ts, 'value': val,
                  'quality': np.zeros(10 * year, 'uint8')})
y = y.set_index(['channel_id', 'ts']).sort_index()
best = 1e9
for _ in range(20):
    a = time.perf_counter()
    v = y.loc[1]['value'].to_numpy()
    best = min(best, time.perf_counter() - a)
assert len(v) == year
row('pandas: one meter-year read (.loc)', '%.3f ms' % (best * 1e3))
EOF
else
  echo "  (pandas peer skipped: /usr/bin/python3 has no pandas)"
fi

# --- ClickHouse (Debian clickhouse-server, HTTP interface) -------------------
ch=/usr/sbin/clickhouse-server
if [ ! -x $ch ] || ! command -v curl >/dev/null; then
  echo "  (ClickHouse peer skipped: clickhouse-server or curl not installed)"
  exit 0
fi
d=$work/clickhouse
mkdir -p $d
port=$((20000 + RANDOM % 20000))
cat > $d/config.xml <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/err.log</errorlog></logger>
  <http_port>$port</http_port>
  <tcp_port>$((port + 1))</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <users_config>/etc/clickhouse-server/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>536870912</mark_cache_size>
  <timezone>UTC</timezone>
</yandex>
EOF
$ch --config-file=$d/config.xml > $d/stdout 2>&1 &
pid=$!
url="http://127.0.0.1:$port/"
q() { curl -sS --fail "$url" --data-binary "$1"; }
for _ in $(seq 1 40); do
  q 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.25
done
if ! q 'SELECT 1' >/dev/null 2>&1; then
  echo "  (ClickHouse peer skipped: the server did not start within 10 s)"
  kill $pid 2>/dev/null
  wait $pid 2>/dev/null
  rm -rf $d
  exit 0
fi
ver=$(q 'SELECT version()')
q 'CREATE TABLE reading (channel_id UInt64, ts Int64, value Int64, quality UInt8) ENGINE = MergeTree ORDER BY (channel_id, ts)'
t0=$(date +%s.%N)
curl -sS --fail "${url}?query=INSERT%20INTO%20reading%20FORMAT%20CSV" --data-binary @"$csv"
t1=$(date +%s.%N)
q 'OPTIMIZE TABLE reading FINAL'
bytes=$(q "SELECT sum(bytes) FROM system.parts WHERE table = 'reading' AND active")
rows=$(q 'SELECT count() FROM reading')
echo "  (ClickHouse $ver: MergeTree ORDER BY (channel_id, ts), one INSERT of the whole CSV, durability settings at their defaults)"
row "ClickHouse: ingest CSV via HTTP, readings/s" \
  "$(echo "$n $t0 $t1" | awk '{printf "%.2f M/s", $1 / ($3 - $2) / 1e6}')"
row "ClickHouse: parts on disk per reading" \
  "$(echo "$bytes $rows" | awk '{printf "%.2f B", $1 / $2}')"
q 'CREATE TABLE year (channel_id UInt64, ts Int64, value Int64, quality UInt8) ENGINE = MergeTree ORDER BY (channel_id, ts)'
q "INSERT INTO year SELECT intDiv(number, 35040) + 1, 1356998400 + 900 * (number % 35040 + 1), (cityHash64(number) % 200) * 1000, 0 FROM numbers(350400)"
q 'OPTIMIZE TABLE year FINAL'
# 20 GETs on one kept-alive connection; curl's own per-transfer time (no
# process start), best of 20: the server's work plus one local HTTP exchange.
sel=$(printf '%s' 'SELECT ts, value, quality FROM year WHERE channel_id = 1 ORDER BY ts FORMAT RowBinary' | sed 's/ /%20/g')
urls=()
for _ in $(seq 1 20); do urls+=("${url}?query=$sel" -o /dev/null); done
best=$(curl -sS --fail -w '%{time_total}\n' "${urls[@]}" | sort -g | head -1)
row "ClickHouse: one meter-year read (HTTP incl.)" \
  "$(awk -v s=$best 'BEGIN {printf "%.3f ms", s * 1000}')"
kill $pid 2>/dev/null
wait $pid 2>/dev/null
rm -rf $d
exit 0
