#!/usr/bin/python3
# mdm_bill_pandas.py -- the pandas peer of bench_mdm_bill.c (section
# mdm-bill of ami_bench, which writes SPEC and runs this with Debian's
# /usr/bin/python3):
#
#   mdm_bill_pandas.py SPEC
#
# Regenerates exactly the C benchmark's readings (same splitmix64 noise,
# same daily shape, whole Wh in milli-Wh), then bills every meter: the
# tariff period of each reading from its timestamp (local start, day type,
# minute of the day -> period table), groupby-sum per (meter, period), and
# the same money rules as ami_mdm_bill.h in int64 (each line rounded once,
# half to even; taxes on the sum of the rounded lines of their categories).
# Timed: that billing, on DataFrames already in memory (generation is not
# timed; there is no store read, which favours pandas). Meters are billed
# in chunks of CHUNK so memory stays bounded. Prints a table row like the C
# benchmark and checks that the sum of all totals equals the C run's.
import sys
import time

import numpy as np
import pandas as pd

CHUNK = 5000
SHAPE = np.array([30, 25, 22, 20, 20, 25, 45, 80, 90, 70, 60, 60, 65, 60, 55,
                  60, 75, 110, 140, 150, 130, 100, 70, 45], dtype=np.int64)

spec = {}
taxes, days = [], {}
for line in open(sys.argv[1]):
    f = line.split()
    if not f:
        continue
    if f[0] == 'tax':
        taxes.append((int(f[1]), int(f[2])))
    elif f[0] == 'day':
        days[int(f[1])] = [tuple(map(int, s.split(':'))) for s in f[2:]]
    elif f[0] in ('prices', 'holidays'):
        spec[f[0]] = [int(x) for x in f[1:]]
    else:
        spec[f[0]] = float(f[1]) if f[0] == 'ours_rate' else int(f[1])
meters, t0, slots, iv, off = (spec['meters'], spec['t_start'], spec['slots'],
                              spec['iv'], spec['off'])
prices = np.array(spec['prices'], dtype=np.int64)
hol = np.array(spec['holidays'], dtype=np.int64)
# period of (day type, minute of the local day)
table = np.zeros(3 * 1440, dtype=np.int64)
for d, segs in days.items():
    for i, (start, per) in enumerate(segs):
        end = segs[i + 1][0] if i + 1 < len(segs) else 1440
        table[d * 1440 + start:d * 1440 + end] = per


def splitmix(x):
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def generate(m0, m1):
    n = m1 - m0
    m = np.repeat(np.arange(m0, m1, dtype=np.uint64), slots)
    k = np.tile(np.arange(slots, dtype=np.uint64), n)
    ki = k.astype(np.int64)
    hour = ((t0 + ki * iv) // 3600) % 24
    level = 50 + (m % np.uint64(7)).astype(np.int64) * 20
    noise = (splitmix(m * np.uint64(1000003) + k) % np.uint64(41)).astype(np.int64)
    wh = np.maximum(SHAPE[hour] * level // 60 + noise - 20, 0)
    return pd.DataFrame({'channel': m.astype(np.int64) + 1,
                         'ts': t0 + (ki + 1) * iv, 'value': wh * 1000})


def round_div(a, d):
    """a * 1 / d rounded half to even, a >= 0 (int64 arrays)."""
    q = a // d
    r = a - q * d
    return q + ((2 * r > d) | ((2 * r == d) & (q % 2 == 1)))


def bill(df):
    ls = df['ts'] - iv + off
    day = ls // 86400
    wd = (day + 4) % 7
    dt = np.where(day.isin(hol), 2, np.where((wd >= 1) & (wd <= 5), 0, 1))
    df['per'] = table[dt * 1440 + (ls % 86400).to_numpy() // 60]
    e = df.groupby(['channel', 'per'])['value'].sum().unstack(fill_value=0)
    e = e.reindex(columns=range(len(prices)), fill_value=0)
    energy = round_div(e.to_numpy() * prices, 10**10).sum(axis=1)
    fixed = int(round_div(np.array([spec['days_milli'] * spec['daily']]),
                          10**7)[0]) if spec['daily'] > 0 else 0
    total = energy + fixed
    for rate, applies in taxes:
        base = (energy if applies & 1 else 0) + (fixed if applies & 4 else 0)
        total = total + round_div(np.asarray(base, dtype=np.int64) * rate, 10**6)
    return pd.Series(total, index=e.index)


timed, tsum, gen = 0.0, 0, 0.0
for m0 in range(0, meters, CHUNK):
    a = time.perf_counter()
    df = generate(m0, min(m0 + CHUNK, meters))
    b = time.perf_counter()
    tot = bill(df)
    timed += time.perf_counter() - b
    gen += b - a
    tsum += int(tot.sum())
rate = meters / timed
print('| %-44s | %16s | %22s | %10s |' % (
    'monthly TOU bill, compute only (no read)', '%.0f bills/s' % spec['ours_rate'],
    '%.0f bills/s (pandas)' % rate, '%.1fx' % (spec['ours_rate'] / rate)))
print('  (pandas %s: billing of DataFrames in memory, no store read, chunks '
      'of %d meters; generating them took %.1f s)' % (pd.__version__, CHUNK, gen))
if tsum != spec['sum']:
    print('  (pandas: sum of totals %d differs from ours %d!)' % (tsum, spec['sum']))
else:
    print('  (pandas sum of totals equals ours)')
