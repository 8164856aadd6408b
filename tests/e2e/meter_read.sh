#!/usr/bin/env bash
# End to end: `ami read` (client engine) against `ami meter` (server engine +
# object model) over loopback TCP, for each framing and security mode.
# Asserts protocol behaviour (association outcomes and diagnostics, object
# presence, selective access, block transfer), not values from our output.
set -uo pipefail
ami=${1:?path to ami}
EK=000102030405060708090A0B0C0D0E0F
AK=D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF
passes=0 fails=0
check() { if grep -qF -- "$2" <<<"$3"; then passes=$((passes+1)); else
  echo "FAIL: $1: expected '$2' in:"; head -c 2000 <<<"$3"; echo; fails=$((fails+1)); fi; }
status() { if [ "$2" = "$3" ]; then passes=$((passes+1)); else
  echo "FAIL: $1: exit $3, expected $2"; fails=$((fails+1)); fi; }

base=$((20000 + RANDOM % 12000))  # below the ephemeral range (32768+)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$logdir"; }
trap cleanup EXIT

logdir=$(mktemp -d)
start_meter() { # port, extra args: wait for the meter's own "listening" line
  local log="$logdir/meter.$1.log"
  "$ami" meter --listen "127.0.0.1:$1" --speed 3600 --start 2026-11-22T00:00:00Z \
    "${@:2}" >"$log" 2>&1 &
  local pid=$!
  pids+=($pid)
  for _ in $(seq 100); do
    grep -q listening "$log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAIL: meter on port $1 did not start: $(cat "$log")"; fails=$((fails+1))
}

for framing in wrapper hdlc; do
  port=$base; base=$((base+1))
  flag=(); [ $framing = hdlc ] && flag=(--hdlc)
  start_meter $port "${flag[@]}"
  r=("$ami" read "${flag[@]}" --connect "127.0.0.1:$port" --timeout 3000)

  out=$("${r[@]}" get 8 0-0:1.0.0 2 get 3 1-0:1.8.0 3 2>&1); status "$framing public" 0 $?
  check "$framing public clock" "[datetime 20" "$out"
  check "$framing public scaler_unit" "enum 30" "$out"
  out=$("${r[@]}" get 3 1-0:32.7.0 2 2>&1); status "$framing scaled" 0 $?
  check "$framing scaled unit" " V]" "$out"

  # The association view is longer than one APDU: block transfer.
  out=$("${r[@]}" objects 2>&1); status "$framing objects" 0 $?
  check "$framing objects clock" "0-0:1.0.0*255" "$out"
  check "$framing objects profile" "1-0:99.1.0*255" "$out"

  # The public client may not write.
  out=$("${r[@]}" set 1 0-0:42.0.0 2 0903414243 2>&1); status "$framing public set" 1 $?
  check "$framing public set denied" "read-write-denied" "$out"

  out=$("${r[@]}" --client 2 --auth lls --password 12345678 get 3 1-0:2.8.0 2 2>&1)
  status "$framing lls" 0 $?
  out=$("${r[@]}" --client 2 --auth lls --password wrong get 3 1-0:2.8.0 2 2>&1)
  status "$framing lls wrong" 1 $?
  check "$framing lls wrong diag" "authentication-failure" "$out"

  out=$("${r[@]}" --client 1 --auth hls --ek $EK --ak $AK get 8 0-0:1.0.0 2 objects 2>&1)
  status "$framing hls" 0 $?
  check "$framing hls clock" "[datetime 20" "$out"
  out=$("${r[@]}" --client 1 --auth hls --ek $EK --ak ${AK%??}00 get 8 0-0:1.0.0 2 2>&1)
  status "$framing hls wrong key" 1 $?
  check "$framing hls wrong key msg" "association rejected" "$out"

  # Profile by entry (3 rows) and by time, as CSV.
  # The emulator runs an hour of simulated time per second (see
  # start_meter): its 15-minute load profile soon has three rows.
  for _ in $(seq 60); do
    out=$("${r[@]}" --csv profile 1-0:99.1.0 '#1-#3' 2>&1)
    rows=$(grep -c '^20..-..-..T' <<<"$out"); [ "$rows" = 3 ] && break; sleep 0.25
  done
  status "$framing profile entries" 0 $?
  status "$framing profile 3 rows" 3 "$rows"
done

# Nobody listening: a clear error, not a hang.
out=$("$ami" read --connect 127.0.0.1:1 --timeout 1000 get 8 0-0:1.0.0 2 2>&1); status refused 1 $?

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
