/*
 * ami_sec_internal.h -- helpers shared by the files of the DLMS security
 * module (ami_sec.c, ami_sec_apdu.c, ami_sec_auth.c). Not a public header.
 */
#ifndef AMI_SEC_INTERNAL_H
#define AMI_SEC_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "ami/ami_sec.h"

/* Build the GCM IV: the sender's system title || IC, big-endian (Green Book
 * §9.2.7.2.4: "initialization vector"). */
static inline void ami__sec_iv(const uint8_t title[AMI_SEC_TITLE_LEN],
                               uint32_t ic, uint8_t iv[AMI_CRYPTO_GCM_IV_LEN]) {
  memcpy(iv, title, AMI_SEC_TITLE_LEN);
  iv[8] = (uint8_t)(ic >> 24);
  iv[9] = (uint8_t)(ic >> 16);
  iv[10] = (uint8_t)(ic >> 8);
  iv[11] = (uint8_t)ic;
}

/* Overwrite secrets so that the compiler cannot drop the stores. */
void ami__sec_wipe(void *p, size_t n);

/* Key length of a security suite id (16 for 0 and 1, 32 for 2), 0 when the
 * id is reserved. */
size_t ami__sec_suite_key_len(unsigned suite);

/* Is the suite id in a received SC acceptable to `s` (its own suite, or one
 * with the same cipher under AMI_SEC_POLICY_LAX_SUITE)? */
bool ami__sec_suite_ok(const ami_sec_ctx *s, uint8_t sc);

/* The plugin struct is usable and the context's suite id is a known one. */
int ami__sec_need_crypto(const ami_sec_ctx *s);

/* A-XDR length (Green Book / IEC 61334-6: one byte below 0x80, else 0x80|N
 * followed by N big-endian bytes, N = 1..4). */
int ami__sec_len_read(ami_rd *r, size_t *len);
size_t ami__sec_len_size(size_t len);
/* Writes ami__sec_len_size(len) bytes at p; returns p advanced past them. */
uint8_t *ami__sec_len_put(uint8_t *p, size_t len);

#endif /* AMI_SEC_INTERNAL_H */
