#!/usr/bin/env bash
# `make run`: the most complete thing OpenAMI does today, end to end:
#  1. `ami decode` deframes, decrypts and explains every recorded DLMS session
#     in ../shared/vectors/dlms/gurux-sessions and a real Austrian meter's
#     encrypted push (full decodes in build/run/);
#  2. an emulated meter (`ami meter`) read and commanded by `ami read`, its
#     last gasp received by `ami push-listen`;
#  3. meter data management (`ami mdm`): import, VEE, a bill, analytics, a
#     Green Button export.
set -euo pipefail
ami=${1:-build/release/ami}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${AMI_SHARED_DIR:-$root/../shared}
sessions="$shared/vectors/dlms/gurux-sessions"
out="$root/build/run"
mkdir -p "$out"

# Keys published with the recordings (VECTORS.md §4) and the push (§5).
EK=000102030405060708090A0B0C0D0E0F
AK=D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF
PUSH_EK=101112131415161718191A1B1C1D1E1F
PUSH=DB084B464D10100000238201092100295B9AEFC1546E644A2C9E32EDD42CBD0F\
1B945B194D086885C4D8DF86DD52CB5B448854A6D548D5D270739B2A169D05B0\
13F9015070089D3C5FA45CA05E92309A645CC83D7DA40FBC8F4CF9C225AFA69A\
25FF0B2AC9C2744550ABA53CE9143FD10B0AD85FD30BD6B6DFFEE65F8204DC9C\
5067CA73B62E299A39D50AA730B2B9AE3836BC2F3490FB41BE5B6F930D849529\
76369DD7DABBB5A4354AECA1D2486CFF2EB0C6206380BA501D122AF75D716D30\
92C3960506A15E06FAB0EE5B7DFA3C2CDF0CAFD051B88E44B8B9FB8865F20CB8\
9D1143CDC7EFEB07FB4C4898E764E9E3A32DDC3D1FB46961CE962B2C78050C96\
598C7E4D26658043F9CBCA78189BD01B139F8AE0F739

"$ami" version
echo
echo "== A Kaifa MA309 smart meter's encrypted push (Austria, TINETZ), decrypted"
"$ami" decode --ek "$PUSH_EK" "$PUSH"

status=0
if [ ! -d "$sessions" ]; then
  echo "run: $sessions not found (shared/ must sit beside the repository)" >&2
  exit 1
fi
echo
echo "== Recorded DLMS sessions (Gurux client <-> Gurux server)"
for f in "$sessions"/*.txt; do
  name=$(basename "$f" .txt)
  if "$ami" decode --ek "$EK" --ak "$AK" "$f" >"$out/$name.txt"; then
    printf '  %-45s %s  -> build/run/%s.txt\n' "$name" "$(tail -n 1 "$out/$name.txt")" "$name"
  else
    printf '  %-45s FAILED: %s\n' "$name" "$(tail -n 1 "$out/$name.txt")"
    status=1
  fi
done
echo
echo "== The HLS-GMAC session over the TCP wrapper, in full"
cat "$out/gurux_wrapper_ln_hlsgmac_ae_clock_ldn.txt"

# An emulated smart meter and a field tool talking DLMS over loopback:
# `ami meter` (a household's load -> waveforms -> metrology -> meter
# application, an hour of simulated time per second) and `ami read`, HDLC
# over TCP, HLS-GMAC with every APDU authenticated and encrypted; its pushes
# go to `ami push-listen`. Ports below the kernel's ephemeral range (32768+),
# retried on the rare collision.
RFC_X=C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721  # RFC 6979 A.2.5 test key
TOKEN_KEY=101112131415161718191A1B1C1D1E1F
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; done' EXIT
start() { # log, command...
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q listening "$log" 2>/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
for attempt in 1 2 3 4 5; do
  port=$((20000 + (RANDOM % 12000)))
  start "$out/push.log" "$ami" push-listen --listen "127.0.0.1:$((port + 1))" --ek "$EK" --ak "$AK" &&
    start "$out/meter.log" "$ami" meter --config "$root/examples/meter.json" --hdlc \
      --listen "127.0.0.1:$port" --push "127.0.0.1:$((port + 1))" \
      --speed 600 --start 2026-11-23T05:30:00Z --verbose && break
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; pids=()
done
if ! grep -q listening "$out/meter.log"; then
  echo "run: ami meter did not start:"; cat "$out/meter.log"; exit 1
fi
meter_pid=${pids[1]}
mgmt=("$ami" read --hdlc --connect "127.0.0.1:$port" --client 1 --auth hls --ek "$EK" --ak "$AK")
reads_ok=1
echo
echo "== ami meter (examples/meter.json: 3 phases, day/night tariff, prepayment; 10 simulated minutes per second from 06:30)"
head -n 1 "$out/meter.log"
sleep 8   # past 07:00 local: night rate, then the switch to day rate
echo
echo "== ami read -> ami meter: HDLC over TCP, management client, HLS-GMAC, ciphered"
"${mgmt[@]}" get 8 0-0:1.0.0 2 get 1 0-0:42.0.0 2 get 3 1-0:1.8.0 2 get 3 1-0:1.8.1 2 \
  get 3 1-0:1.8.2 2 get 3 0-128:96.128.1 2 get 1 0-0:96.14.0 2 get 3 1-0:32.7.0 2 \
  get 3 1-0:31.7.0 2 get 3 1-0:1.7.0 2 get 3 1-0:13.7.0 2 get 3 1-0:14.7.0 2 || reads_ok=0
echo "   (0-128:96.128.1 is the emulator's truth: the energy the load model drew)"
echo
echo "== the load profile 1-0:99.1.0, last entries (public client, CSV)"
"$ami" read --hdlc --connect "127.0.0.1:$port" --csv profile 1-0:99.1.0 '#1-#8' || reads_ok=0
echo
echo "== commands: disconnect, reconnect, a prepaid credit token, a signed firmware update"
tok=$("$ami" token --key "$TOKEN_KEY" --meter 4F414D0000000001 --seq 1 --amount 1000 --data)
head -c 4000 /dev/urandom >"$out/payload.bin"
echo "$RFC_X" >"$out/vendor.hex"
"$ami" fw-sign --key "$out/vendor.hex" --in "$out/payload.bin" --out "$out/fw.img" \
  --target OPENAMI-METER-1 --id OAM-FW-2.0.0 >/dev/null
"${mgmt[@]}" disconnect get 70 0-0:96.3.10 2 reconnect get 70 0-0:96.3.10 2 \
  get 112 0-0:19.10.0 2 action 115 0-0:19.40.0 1 "$tok" get 112 0-0:19.10.0 2 \
  fw-update "$out/fw.img" get 1 1-0:0.2.0 2 || reads_ok=0
echo
echo "== the supply fails: the meter's last gasp, received by ami push-listen"
kill -USR1 "$meter_pid"
for _ in $(seq 50); do grep -q data-notification "$out/push.log" && break; sleep 0.1; done
cat "$out/push.log"
grep -q data-notification "$out/push.log" || reads_ok=0
if [ $reads_ok -eq 0 ]; then
  status=1
  echo "run: a step failed; the meter's log:"
  cat "$out/meter.log"
fi

# Meter data management on the embedded store: real data in, VEE, a bill,
# analytics, the customer's Green Button file.
mdm_ok=1
db="$out/mdm.db"
rm -f "$db" "$db-wal" "$db-shm"
echo
echo "== ami mdm: import three London households (8 weeks) and an Australian home's NEM12 file"
"$ami" mdm import --db "$db" "$root/tests/data/lcl-sample.csv" || mdm_ok=0
if [ -f "$shared/data/nem12-au-home-meter01.csv" ]; then
  "$ami" mdm import --db "$db" "$shared/data/nem12-au-home-meter01.csv" || mdm_ok=0
  echo
  echo "== ami mdm vee: validation and estimation (AEMO method flags) on the NEM12 channel"
  "$ami" mdm vee --db "$db" --all --tz sydney || mdm_ok=0
fi
echo
echo "== ami mdm bill: February 2013 for MAC000002 under tariffs/flat_residential_de.json"
"$ami" mdm bill --db "$db" --tariff "$root/tariffs/flat_residential_de.json" \
  --channel MAC000002 --from 2013-02-01 --to 2013-03-01 || mdm_ok=0
echo
echo "== ami mdm analyze: MAC000002"
"$ami" mdm analyze --db "$db" --channel MAC000002 --tz london || mdm_ok=0
echo
echo "== ami mdm export: a Green Button (ESPI) file for two days (its content validates against espi-usage.xsd: tests/e2e/mdm.sh)"
"$ami" mdm export --db "$db" --channel MAC000002 --from 2013-02-01 --to 2013-02-03 \
  --format greenbutton --tz london --out "$out/greenbutton.xml" || mdm_ok=0
if xmllint --noout "$out/greenbutton.xml" 2>/dev/null; then
  echo "build/run/greenbutton.xml: well-formed, $(grep -o '<IntervalReading>' "$out/greenbutton.xml" | wc -l) interval readings"
else
  mdm_ok=0
fi
"$ami" mdm info --db "$db" | tail -n 5
[ $mdm_ok -eq 1 ] || { status=1; echo "run: an ami mdm step failed"; }
exit $status
