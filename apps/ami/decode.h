/*
 * decode.h -- the decoding engine behind `ami decode`: frames, APDUs,
 * security and data values turned into a JSON tree, with the state a
 * recorded session needs (system titles learned from the association,
 * HDLC segments, data blocks, invocation counters).
 */
#ifndef AMI_CLI_DECODE_H
#define AMI_CLI_DECODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum dec_dir { DEC_DIR_UNKNOWN = 0, DEC_DIR_TX, DEC_DIR_RX } dec_dir;

typedef struct dec_keys {
  uint8_t ek[32];
  size_t ek_len; /* 0 = no block cipher key */
  uint8_t ak[32];
  size_t ak_len; /* 0 = no authentication key */
  uint8_t system_title[8];
  bool have_system_title; /* --system-title: the sender's, for single APDUs */
  uint8_t dedicated_key[32];
  size_t dedicated_key_len;
} dec_keys;

typedef struct dec_ctx dec_ctx;

/* Returns owned context, or NULL on out of memory. `keys` is copied. */
dec_ctx *dec_new(const dec_keys *keys);
void dec_free(dec_ctx *c);

/* Decode one captured unit (one TX/RX line, or a whole hex input): it may
 * hold one or several wrapper PDUs or HDLC frames, or one bare APDU. Every
 * message found is appended to `messages` as an object. Returns the number
 * of problems found (undecodable bytes, failed authentication, ...), each
 * also recorded in its message as "error". */
int dec_feed(dec_ctx *c, dec_dir dir, const uint8_t *p, size_t n,
             json_t *messages);

/* Called at the end of the input: reports data still waiting for more
 * segments or blocks. Returns the number of problems. */
int dec_finish(dec_ctx *c, json_t *messages);

/* Number of peer non-conformances that were tolerated and flagged. */
int dec_warnings(const dec_ctx *c);

#endif
