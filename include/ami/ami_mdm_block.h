/*
 * ami_mdm_block.h -- the compressed block of one channel-day of interval
 * values: the unit the MDM store writes to disk (one row per channel, UTC day
 * and version), and the unit a distributed engine would ship between nodes.
 *
 * A block holds `count` consecutive slots of one channel, slot i being the
 * interval that ends (i + 1) * interval_s after the block's start (the store
 * starts blocks at 00:00 UTC; the codec itself knows nothing of dates).
 * Every slot carries an ami_mdm_interval; a slot may also be ABSENT (quality
 * AMI_MDM_BLOCK_ABSENT): nothing was ever written there in this version.
 *
 * Wire format (version 1), all integers LEB128 varints unless noted:
 *
 *   u8      format            1
 *   varint  interval_s        60..86400, divides 86400 (ami_mdm.h)
 *   varint  count             1..86400 / interval_s
 *   runs    meta              until the run lengths sum to count:
 *             varint run       >= 1
 *             u8     quality   0..5 (ami_mdm_quality) or 0xFF (ABSENT)
 *             u8     method
 *             varint flags     <= 0xFFFF
 *   values  present only when some slot carries a value (quality neither
 *           MISSING nor ABSENT); m = number of such slots, in slot order:
 *             u8     transform (low nibble: 0 raw, 1 delta, 2 delta of
 *                    delta) | packing << 4 (0 varint, 1 bit-packed,
 *                    2 Rice)
 *             varint head[k]   the first k = transform values (zigzag)
 *                              verbatim: v0 (delta), v0 and v1 - v0 (dd)
 *             varint divisor   >= 1: every remaining residual is a multiple
 *                              (meter values in milli-units of Wh are
 *                              usually whole Wh: divisor 1000)
 *             residuals        m - k values z = zigzag(residual / divisor):
 *               varint:      one LEB128 varint each;
 *               bit-packed:  u8 width 0..64, then ceil((m-k)*width/8)
 *                            bytes, fields LSB-first;
 *               Rice:        u8 k 0..63, then a bit stream (LSB-first,
 *                            zero-padded to a byte): per value q = z >> k
 *                            one bits, a zero bit, the k low bits of z --
 *                            or, when q >= 24, 24 one bits and z in 64 bits
 *                            (the escape bounds every code to 88 bits).
 *
 * The encoder measures every transform and packing exactly and keeps the
 * smallest (linear passes; about 2-4 us for a day of 15-minute data). On
 * the London sample delta + Rice wins most days: 1.44 B per half-hour value
 * including the header, against 1.57 B with varint/bit-packing alone.
 * Arithmetic is modulo 2^64, so any int64 sequence round-trips exactly and a
 * hostile block cannot overflow. The values of MISSING and ABSENT slots are not
 * stored: they decode as 0 (ami_mdm.h: "meaningless when quality is MISSING").
 *
 * The decoder is pure, bounds-checked and safe on hostile input: it borrows
 * the input, writes only into the caller's array, allocates nothing.
 */
#ifndef AMI_MDM_BLOCK_H
#define AMI_MDM_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "ami/ami_buf.h"
#include "ami/ami_mdm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_MDM_BLOCK_FORMAT 1
/* Quality of a slot with nothing written in this block (never on the wire
 * outside a block; the store reads it back as AMI_MDM_Q_MISSING). */
#define AMI_MDM_BLOCK_ABSENT 0xFFu
/* Most slots a block may hold: one day of one-minute intervals. */
#define AMI_MDM_BLOCK_MAX_SLOTS 1440u
/* Upper bound of an encoded block of n slots, whatever the layout: header
 * and value header (< 32 bytes), one run per slot at worst (1 + 1 + 1 + 3
 * bytes), and 11 bytes per value (an escaped Rice code). */
#define AMI_MDM_BLOCK_MAX_BYTES(n) (32u + 17u * (size_t)(n))

typedef struct ami_mdm_block_hdr {
  uint32_t interval_s;
  uint32_t count;
} ami_mdm_block_hdr;

/* Reads the header of `in` (borrowed). Errors: AMI_E_TRUNCATED,
 * AMI_E_STORE_FORMAT (unknown format byte), AMI_E_BAD_VALUE (interval or
 * count out of range). */
int ami_mdm_block_peek(ami_span in, ami_mdm_block_hdr *hdr);

/* Decodes the whole block `in` (borrowed) into out[0..count) (caller-owned,
 * `cap` entries). Returns AMI_OK and fills *hdr; or AMI_E_BUFFER_FULL when
 * cap < count; AMI_E_TRUNCATED when the input ends early; AMI_E_BAD_VALUE for
 * a quality, flags, divisor, width or transform out of range;
 * AMI_E_INCONSISTENT when the runs overshoot count or a run is empty;
 * AMI_E_BAD_LENGTH for a varint longer than its type; AMI_E_TRAILING for
 * bytes after the block; AMI_E_STORE_FORMAT for an unknown format byte.
 * On error the contents of out are unspecified. */
int ami_mdm_block_decode(ami_span in, ami_mdm_block_hdr *hdr,
                         ami_mdm_interval *out, size_t cap);

/* Encodes v[0..count) (borrowed) as one block into w (the caller's writer).
 * Values of MISSING/ABSENT slots are ignored. Returns AMI_OK, AMI_E_INVAL
 * (interval/count out of range, a quality not in ami_mdm_quality nor
 * ABSENT), or the writer's AMI_E_BUFFER_FULL; AMI_MDM_BLOCK_MAX_BYTES(count)
 * bytes always suffice. */
int ami_mdm_block_encode(ami_wr *w, uint32_t interval_s,
                         const ami_mdm_interval *v, uint32_t count);

/* The same, with the value layout forced (transform 0..2, packing 0..2)
 * instead of chosen: for tests and the benchmark's comparison of layouts. */
int ami_mdm_block_encode_with(ami_wr *w, uint32_t interval_s,
                              const ami_mdm_interval *v, uint32_t count,
                              int transform, int packing);

/* True when a and b are equal as the codec sees them: same quality, method
 * and flags, and the same value unless the slot has none (MISSING or
 * ABSENT). */
bool ami_mdm_block_same(const ami_mdm_interval *a, const ami_mdm_interval *b);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_BLOCK_H */
