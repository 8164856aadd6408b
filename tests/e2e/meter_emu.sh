#!/usr/bin/env bash
# End to end: `ami read` against the `ami meter` EMULATOR (load model ->
# waveforms -> metrology -> meter application), as a head-end would use it.
# Asserts behaviour, with expected values from the configuration written
# here or from the meter's own truth registers, never from earlier output:
#  - registers per tariff: the day/night calendar switches at 07:00 local,
#    both rates accumulate and add up to the total;
#  - the registers agree with the metrology truth (the energy the load
#    model drew, 0-128:96.128.1) within the metrology's accuracy;
#  - the load profile and the event logs are readable;
#  - disconnect / reconnect, a limiter change that trips the supply, a
#    credit top-up with a genuine token (a forged one is refused), a signed
#    firmware update (activated) and unsigned / foreign-key images
#    (refused);
#  - a supply failure sends a last-gasp push to the configured destination
#    and logs power down / up.
set -uo pipefail
ami=${1:?path to ami}
EK=000102030405060708090A0B0C0D0E0F
AK=D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF
TOKEN_KEY=101112131415161718191A1B1C1D1E1F
TITLE=4F414D0000000001
# RFC 6979 A.2.5: a published P-256 key pair, used here as the vendor's
# firmware signing key.
RFC_X=C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
RFC_PUB=0460FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB67903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299
passes=0 fails=0
check() { if grep -qF -- "$2" <<<"$3"; then passes=$((passes+1)); else
  echo "FAIL: $1: expected '$2' in:"; head -c 3000 <<<"$3"; echo; fails=$((fails+1)); fi; }
absent() { if grep -qF -- "$2" <<<"$3"; then
  echo "FAIL: $1: did not expect '$2' in:"; head -c 2000 <<<"$3"; echo; fails=$((fails+1)); else passes=$((passes+1)); fi; }
status() { if [ "$2" = "$3" ]; then passes=$((passes+1)); else
  echo "FAIL: $1: exit $3, expected $2"; fails=$((fails+1)); fi; }
checkre() { if grep -qE -- "$2" <<<"$3"; then passes=$((passes+1)); else
  echo "FAIL: $1: expected /$2/ in:"; head -c 3000 <<<"$3"; echo; fails=$((fails+1)); fi; }
# Run a read until its output matches /re/ (the emulator may run slower
# than asked on a loaded machine or under sanitizers): wait_for name re cmd...
wait_for() { local name=$1 re=$2; shift 2; local out
  for _ in $(seq 120); do out=$("$@" 2>&1); grep -qE -- "$re" <<<"$out" && { passes=$((passes+1)); return 0; }; sleep 0.5; done
  echo "FAIL: $name: never matched /$re/; last:"; head -c 2000 <<<"$out"; echo; fails=$((fails+1)); return 1; }
ok() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1: $2"; fails=$((fails+1)); fi; }
# The integer value of the first "double-long-unsigned N" / "long64-unsigned N"
value() { grep -oE '(double-long-unsigned|long64-unsigned|long-unsigned|double-long) -?[0-9]+' <<<"$1" | head -n "${2:-1}" | tail -n 1 | awk '{print $2}'; }

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
port=$((20000 + RANDOM % 12000)); pport=$((port + 1))

cat >"$tmp/meter.json" <<EOF
{
  "identity": { "system_title": "$TITLE" },
  "network": { "listen": "127.0.0.1:$port" },
  "security": { "ek": "$EK", "ak": "$AK" },
  "clock": { "tz_offset_min": 60, "dst": true },
  "tariff": {
    "name": "DAYNIGHT",
    "days": [ { "id": 1, "switches": [ { "at": "00:00", "rate": 1 },
                                       { "at": "07:00", "rate": 2 },
                                       { "at": "23:00", "rate": 1 } ] } ],
    "weeks": [ { "name": "W", "days": [1, 1, 1, 1, 1, 1, 1] } ],
    "seasons": [ { "name": "S", "start": "01-01", "week": "W" } ]
  },
  "recording": { "lp1_period_s": 300 },
  "metrology": { "phases": 1, "imax_a": 60, "sample_rate_hz": 4000 },
  "simulation": { "start": "2026-03-26T05:52:00Z", "speed": 120, "seed": 7,
                  "load": { "model": "constant", "watts": 3000 } },
  "firmware": { "public_key": "$RFC_PUB", "target": "OPENAMI-METER-1",
                "identifier": "OAM-FW-1.0.0" },
  "control": { "disconnect_mode": 2, "limiter_threshold_w": 13800,
               "credit_cents": 2000, "price_micro_per_kwh": 300000,
               "token_key": "$TOKEN_KEY",
               "push_destination": "127.0.0.1:$pport" }
}
EOF
start() { # log, command...: start, wait for its "listening" line
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do grep -q listening "$log" 2>/dev/null && return 0; sleep 0.05; done
  echo "FAIL: did not start: $* : $(cat "$log")"; fails=$((fails+1))
}
start "$tmp/push.log" "$ami" push-listen --listen "127.0.0.1:$pport" --ek "$EK" --ak "$AK"
start "$tmp/meter.log" "$ami" meter --config "$tmp/meter.json" --verbose
meter_pid=${pids[1]}

pub=("$ami" read --connect "127.0.0.1:$port" --timeout 5000)
mgmt=("${pub[@]}" --client 1 --auth hls --ek "$EK" --ak "$AK")

# 06:52 local at start, 120x: 07:00 (the switch to rate 2) comes after
# about 4 s; then let rate 2 count for a while.
wait_for "tariff switched to rate 2 at 07:00" "long-unsigned 2$" "${pub[@]}" get 1 0-0:96.14.0 2
wait_for "07:03 local reached" "T07:0[3-9]|T07:[1-5]" "${pub[@]}" get 8 0-0:1.0.0 2
# The emulator keeps running while the registers are read one GET after
# another (many simulated seconds apart when the reads are slow, e.g. under
# ASan), so the total is read before AND after the others and each check
# is a sandwich: monotone registers make it exact, whatever the timing.
out=$("${pub[@]}" get 3 1-0:1.8.0 2 get 3 1-0:1.8.1 2 get 3 1-0:1.8.2 2 \
      get 3 0-128:96.128.1 2 get 3 1-0:1.8.0 2 get 1 0-0:96.14.0 2 2>&1); status "read registers" 0 $?
total=$(value "$out" 1); r1=$(value "$out" 2); r2=$(value "$out" 3); truth=$(value "$out" 4)
total2=$(value "$out" 5)
echo "registers: total $total..$total2 Wh, rate 1 $r1 Wh, rate 2 $r2 Wh, truth $truth Wh"
ok "rate 1 (night) counted" "[ ${r1:-0} -gt 10 ]"
ok "rate 2 (day) counted" "[ ${r2:-0} -gt 10 ]"
# total(before) - 2 <= rate 1 + rate 2 (read between) <= total(after):
# the rates add up to the total up to 2 Wh of truncation.
ok "rates add up to the total (+-2 Wh of truncation)" \
   "[ \$(( ${r1:-0} + ${r2:-0} )) -ge \$(( ${total:-0} - 2 )) ] && [ \$(( ${r1:-0} + ${r2:-0} )) -le ${total2:-0} ]"
check "active rate is day" "long-unsigned 2" "$(grep -A0 '96.14.0' <<<"$out")"
# The truth (read between the two totals) agrees with the register within
# the energy of one simulated second (3000 W -> 0.83 Wh) plus truncation.
ok "registers agree with the metrology truth" \
   "[ ${truth:-0} -ge \$(( ${total:-0} - 2 )) ] && [ ${truth:-0} -le \$(( ${total2:-0} + 2 )) ]"

# The legally relevant part identifies itself apart from the firmware.
out=$("${pub[@]}" get 1 1-1:0.2.0 2 get 1 1-1:0.2.8 2 2>&1); status "metrology id" 0 $?
check "metrology software id" "[text OpenAMI metrology " "$out"
checkre "metrology checksum" "1-1:0.2.8.* 2: double-long-unsigned [0-9]+" "$out"

out=$("${pub[@]}" profile 1-0:99.1.0 2>&1); status "load profile" 0 $?
check "load profile rows" "[datetime 2026-03-26T07:" "$out"

# Disconnect / reconnect (class 70 mode 2: remote reconnect connects).
out=$("${mgmt[@]}" disconnect get 70 0-0:96.3.10 2 get 70 0-0:96.3.10 3 2>&1)
status "disconnect" 0 $?
check "output_state off" "boolean false" "$out"
check "control_state disconnected" "enum 0" "$out"
out=$("${mgmt[@]}" reconnect get 70 0-0:96.3.10 2 get 70 0-0:96.3.10 3 2>&1)
status "reconnect" 0 $?
check "output_state on" "boolean true" "$out"
out=$("${pub[@]}" profile 0-0:99.98.2 2>&1)
checkre "disconnector log: remote disconnect (62)" "unsigned 62$" "$out"
checkre "disconnector log: remote reconnect (63)" "unsigned 63$" "$out"
out=$("${pub[@]}" action 70 0-0:96.3.10 1 0F00 2>&1); status "public may not disconnect" 1 $?

# Limiter: lower threshold_normal (attribute 4) below the 3 kW load; the
# supply trips after min_over_threshold_duration (default 0 s here).
out=$("${mgmt[@]}" set 71 0-0:17.0.0 4 0600000BB8 get 71 0-0:17.0.0 4 2>&1)
status "limiter set" 0 $?
check "threshold read back" "double-long-unsigned 3000" "$out"
out=$("${mgmt[@]}" set 71 0-0:17.0.0 4 06000003E8 2>&1); status "limiter 1 kW" 0 $?
wait_for "limiter tripped the supply" "boolean false" "${pub[@]}" get 70 0-0:96.3.10 2
out=$("${pub[@]}" profile 0-0:99.98.2 2>&1)
checkre "disconnector log: limiter exceeded (65)" "unsigned 65$" "$out"
# Raised again: the limiter sees the load under its threshold and clears
# its trip. The local disconnection left the disconnector "ready for
# reconnection" (transition g); in mode 2 a head-end brings the supply back
# with remote_disconnect (c: ready -> disconnected) then remote_reconnect
# (a: disconnected -> connected); the customer's button (e) would also do.
out=$("${mgmt[@]}" set 71 0-0:17.0.0 4 06000035E8 get 70 0-0:96.3.10 3 2>&1)
status "limiter raised" 0 $?
check "ready for reconnection after the trip" "enum 2" "$out"
sleep 2
out=$("${mgmt[@]}" disconnect reconnect get 70 0-0:96.3.10 2 2>&1)
check "reconnected after the limiter cleared" "boolean true" "$out"

# Prepayment: a genuine token adds its amount; a forged one is refused.
before=$(value "$("${pub[@]}" get 112 0-0:19.10.0 2 2>&1)")
tok=$("$ami" token --key "$TOKEN_KEY" --meter "$TITLE" --seq 1 --amount 2500 --data)
out=$("${mgmt[@]}" action 115 0-0:19.40.0 1 "$tok" 2>&1); status "token accepted" 0 $?
after=$(value "$("${pub[@]}" get 112 0-0:19.10.0 2 2>&1)")
echo "credit: $before -> $after"
ok "credit topped up by 2500 (less what was charged meanwhile)" \
   "[ \$(( ${after:-0} - ${before:-0} )) -le 2500 ] && [ \$(( ${after:-0} - ${before:-0} )) -ge 2400 ]"
bad=$("$ami" token --key 000102030405060708090A0B0C0D0E0F --meter "$TITLE" --seq 2 --amount 99999 --data)
out=$("${mgmt[@]}" action 115 0-0:19.40.0 1 "$bad" 2>&1); status "forged token refused" 1 $?
out=$("${mgmt[@]}" action 115 0-0:19.40.0 1 "$tok" 2>&1); status "replayed token refused" 1 $?

# Firmware: a signed image is activated; unsigned and foreign-key images are not.
head -c 3000 /dev/urandom >"$tmp/payload"
echo "$RFC_X" >"$tmp/vendor.hex"
"$ami" fw-sign --key "$tmp/vendor.hex" --in "$tmp/payload" --out "$tmp/good.img" \
  --target OPENAMI-METER-1 --id OAM-FW-2.0.0 >/dev/null; status "fw-sign" 0 $?
out=$("${mgmt[@]}" fw-update "$tmp/good.img" get 1 1-0:0.2.0 2 2>&1); status "fw-update signed" 0 $?
check "image activated" "image 'OAM-FW-2.0.0' activated" "$out"
check "active firmware id (read after the update)" "[text OAM-FW-2.0.0]" "$(grep '1-0:0.2.0' <<<"$out")"
cp "$tmp/payload" "$tmp/unsigned.img"
out=$("${mgmt[@]}" fw-update "$tmp/unsigned.img" 2>&1); status "fw-update unsigned" 1 $?
check "unsigned refused" "error" "$out"
"$ami" fw-keygen --out "$tmp/other.pem" >/dev/null
"$ami" fw-sign --key "$tmp/other.pem" --in "$tmp/payload" --out "$tmp/foreign.img" \
  --target OPENAMI-METER-1 --id OAM-FW-6.6.6 >/dev/null
out=$("${mgmt[@]}" fw-update "$tmp/foreign.img" get 1 1-0:0.2.0 2 2>&1); status "fw-update foreign key" 1 $?
check "foreign key refused" "did not verify" "$out"
out=$("${pub[@]}" get 1 1-0:0.2.0 2 2>&1)
check "firmware unchanged" "[text OAM-FW-2.0.0]" "$out"

# Supply failure: the last gasp reaches the push destination; power down
# and power up land in the standard event log.
kill -USR1 "$meter_pid"
for _ in $(seq 100); do grep -q "data-notification" "$tmp/push.log" && break; sleep 0.1; done
check "last gasp pushed" "data-notification" "$(cat "$tmp/push.log")"
wait_for "event log: power down (1)" "unsigned 1$" "${pub[@]}" profile 0-0:99.98.0
kill -USR1 "$meter_pid"
wait_for "event log: power up (2)" "unsigned 2$" "${pub[@]}" profile 0-0:99.98.0

echo "meter_emu: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
