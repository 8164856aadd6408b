#!/usr/bin/env bash
# `make run`: the most complete thing OpenAMI does today. `ami decode`
# deframes, decrypts and explains every recorded DLMS session in
# ../shared/vectors/dlms/gurux-sessions and a real Austrian meter's encrypted
# push. The full decode of each session goes to build/run/; the push and
# the HLS-GMAC session are printed here.
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

# A meter and a field tool talking DLMS over loopback: `ami meter` (object
# model + server engine) and `ami read` (client engine), HDLC over TCP,
# HLS-GMAC with every APDU authenticated and encrypted.
# A port below the kernel's ephemeral range (32768+), so no outgoing
# connection can be holding it; retried on the rare collision.
for attempt in 1 2 3 4 5; do
  port=$((20000 + (RANDOM % 12000)))
  "$ami" meter --hdlc --listen "127.0.0.1:$port" --verbose >"$out/meter.log" 2>&1 &
  meter_pid=$!
  for _ in $(seq 100); do
    grep -q listening "$out/meter.log" 2>/dev/null && break
    kill -0 "$meter_pid" 2>/dev/null || break
    sleep 0.05
  done
  grep -q listening "$out/meter.log" && break
done
trap 'kill $meter_pid 2>/dev/null' EXIT
if ! kill -0 "$meter_pid" 2>/dev/null || ! grep -q listening "$out/meter.log"; then
  echo "run: ami meter did not start:"; cat "$out/meter.log"; exit 1
fi
reads_ok=1
echo
echo "== ami read -> ami meter: HDLC over TCP, management client, HLS-GMAC, ciphered"
"$ami" read --hdlc --connect "127.0.0.1:$port" --client 1 --auth hls --ek "$EK" --ak "$AK" \
  get 8 0-0:1.0.0 2 get 1 0-0:42.0.0 2 get 3 1-0:1.8.0 2 get 3 1-0:2.8.0 2 \
  get 3 1-0:32.7.0 2 get 3 1-0:31.7.0 2 get 3 1-0:1.7.0 2 || reads_ok=0
echo
echo "== the last two hours of load profile 1-0:99.1.0 (public client, CSV)"
"$ami" read --hdlc --connect "127.0.0.1:$port" --csv profile 1-0:99.1.0 '#89-#96' || reads_ok=0
if [ $reads_ok -eq 0 ]; then
  status=1
  echo "run: a read failed; the meter's log (alive: $(kill -0 $meter_pid 2>/dev/null && echo yes || echo no)):"
  cat "$out/meter.log"
fi
exit $status
