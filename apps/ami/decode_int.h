/*
 * decode_int.h -- internals shared by the files of `ami decode`.
 */
#ifndef AMI_CLI_DECODE_INT_H
#define AMI_CLI_DECODE_INT_H

#include "ami/ami_apdu.h"
#include "ami/ami_buf.h"
#include "ami/ami_hdlc.h"
#include "ami/ami_sec.h"
#include "decode.h"

#define DEC_MAX_APDU      (1u << 20) /* reassembled APDUs and values */
#define DEC_PENDING_ITEMS 32  /* attribute descriptors kept per request */
#define DEC_SCALERS       128 /* scaler_unit values remembered */

/* What one direction of a session has said so far. */
typedef struct dec_side {
  ami_hdlc_reasm reasm; /* HDLC segments */
  ami_dynbuf blocks;    /* GET/SET/ACTION data blocks */
  uint32_t next_block;  /* expected block number, 0 = none under way */
  ami_dynbuf gbt;       /* general block transfer */
  uint16_t gbt_next;
  ami_sec_ctx sec;  /* keys and the replay state of this sender */
  uint8_t title[8]; /* this sender's system title */
  bool have_title;
  uint8_t challenge[64]; /* the challenge this side sent (HLS) */
  size_t challenge_len;
} dec_side;

/* A GET/ACTION request waiting for its response, by invoke id. */
typedef struct dec_pending {
  uint8_t service; /* 0 none, else the plain request tag */
  uint8_t n;
  ami_apdu_desc items[DEC_PENDING_ITEMS];
} dec_pending;

struct dec_ctx {
  dec_keys keys;
  const struct ami_crypto *crypto;
  dec_side side[3]; /* indexed by dec_dir */
  dec_pending pending[16];
  struct {
    uint8_t obis[6];
    int8_t scaler;
    uint8_t unit;
  } su[DEC_SCALERS];
  size_t nsu;
  uint8_t mechanism; /* from the AARQ */
  int warnings;      /* peer non-conformance shown but tolerated */
};

/* decode_data.c */
json_t *dec_data_json(ami_span in, size_t *used, int *err);
/* A value filling `in` (trailing bytes noted, errors shown with raw hex). */
json_t *dec_data_json_all(ami_span in, int *err);
void dec_annotate_scaled(json_t *value, int8_t scaler, uint8_t unit);

/* decode_apdu.c: one APDU (ACSE, xDLMS, ciphered) into msg["apdu"].
 * Returns the number of problems. `depth` bounds nested ciphering/GBT. */
int dec_apdu(dec_ctx *c, dec_dir dir, ami_span apdu, json_t *parent,
             const char *key, int depth);

/* decode_names.c */
const char *dec_class_name(uint16_t class_id);
const char *dec_attribute_name(uint16_t class_id, int attr);
const char *dec_method_name(uint16_t class_id, int method);
json_t *dec_desc_json(const ami_apdu_desc *d, bool method);

const char *dec_dir_name(dec_dir dir);

#endif
