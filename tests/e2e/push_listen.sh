#!/usr/bin/env bash
# End to end: `ami push-listen` receives a push on a connection the METER
# opens (the separate-connection case of IEC 62056-6-2 Push Setup). The push
# is the real Kaifa MA309 DataNotification of VECTORS.md §5 (encryption
# only, suite id 1 in its security control byte), sent in a TCP wrapper
# frame (IEC 62056-47) in two writes. Expected values are the ones
# VECTORS.md states: 1-0:32.7.0 = 230.8 V, 1-0:1.8.0 = 9108 Wh.
set -uo pipefail
ami=${1:?path to ami}
shared=${AMI_SHARED_DIR:-$(dirname "$0")/../../../shared}
EK=101112131415161718191A1B1C1D1E1F
passes=0 fails=0
check() { if grep -qF -- "$2" <<<"$3"; then passes=$((passes+1)); else
  echo "FAIL: $1: expected '$2' in:"; head -c 2000 <<<"$3"; echo; fails=$((fails+1)); fi; }
absent() { if grep -qF -- "$2" <<<"$3"; then
  echo "FAIL: $1: did not expect '$2'"; fails=$((fails+1)); else passes=$((passes+1)); fi; }

push=$(sed -n '/^DB084B/,/^```/p' "$shared/vectors/dlms/VECTORS.md" 2>/dev/null | grep -v '```' | tr -d '\n')
if [ -z "$push" ]; then echo "SKIP: VECTORS.md not found under $shared"; exit 0; fi
len=$(( ${#push} / 2 ))
frame=$(printf '000100010066%04X%s' "$len" "$push")
esc=$(sed 's/../\\x&/g' <<<"$frame")

logdir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$logdir"; }
trap cleanup EXIT
port=$((20000 + RANDOM % 12000))

listen() { # log, args...: start a listener, wait for its "listening" line
  local log=$1; shift
  "$ami" push-listen --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q listening "$log" 2>/dev/null && return 0; sleep 0.05; done
  echo "FAIL: push-listen did not start: $(cat "$log")"; fails=$((fails+1))
}
send() { # the frame in two writes, like a meter's modem might
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf "${esc:0:120}" >&3; sleep 0.05; printf "${esc:120}" >&3; sleep 0.2
  exec 3>&-
}

listen "$logdir/a.log" --ek "$EK" --lax-suite --count 1
send
for _ in $(seq 60); do grep -q "9108 Wh" "$logdir/a.log" && break; sleep 0.05; done
out=$(cat "$logdir/a.log")
check "push kind" "data-notification" "$out"
check "push voltage" "230.8 V" "$out"
check "push energy" "9108 Wh" "$out"
check "push obis" "1-0:1.8.0*255" "$out"
kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; pids=()

# JSON, one object per line.
port=$((port + 1))
listen "$logdir/j.log" --ek "$EK" --lax-suite --count 1 --json
send
for _ in $(seq 60); do grep -q "9108 Wh" "$logdir/j.log" && break; sleep 0.05; done
out=$(cat "$logdir/j.log")
check "json kind" '"kind":"data-notification"' "$out"
kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; pids=()

# A wrong key: nothing is delivered, the error is said.
port=$((port + 1))
listen "$logdir/w.log" --ek 00000000000000000000000000000000 --lax-suite --count 1
send
sleep 0.3
out=$(cat "$logdir/w.log")
absent "wrong key no values" "9108 Wh" "$out"
# Without --lax-suite the suite-1 control byte is refused.
port=$((port + 1))
listen "$logdir/s.log" --ek "$EK" --count 1
send
sleep 0.3
out=$(cat "$logdir/s.log")
absent "strict suite no values" "9108 Wh" "$out"
check "strict suite says why" "push-listen: 127.0.0.1" "$out"

echo "push_listen: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
