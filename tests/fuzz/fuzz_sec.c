/*
 * fuzz_sec.c -- fuzz target for the DLMS security layer (ami_sec.h).
 *
 * The input is one ciphered APDU. It is parsed and deciphered with fixed
 * keys (the Green Book EK/AK, a dedicated and a broadcast key) by a fresh-
 * counter receiver. Oracles, beyond "no crash, no over-read":
 *   1. ami_sec_parse and ami_sec_decrypt agree: a parse error is returned
 *      unchanged by decrypt, and a successful decrypt yields exactly
 *      payload.len bytes.
 *   2. Round trip: when decrypt succeeds, a sender with the same keys, the
 *      sender's title and the same IC re-enciphers the plaintext with the
 *      same form and SC; the result parses to the same SC, IC and payload
 *      bytes (GCM/CTR are deterministic), and -- outside fuzzing builds,
 *      where a successful decrypt means the tag verified -- the same tag.
 *   3. A second decrypt of the same input is a replay (AMI_E_REPLAY).
 * It also feeds the input to HLS-GMAC verification and key unwrap.
 *
 * Under -DAMI_FUZZING=1 (the fuzz preset) ami_sec_decrypt does not enforce
 * the GCM tag (see ami_sec.h), so the fuzzer reaches the code behind it; the
 * ordinary replay build keeps the check, so the corpus is also replayed with
 * real authentication.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_crypto_openssl.h"
#include "ami/ami_sec.h"

#define MAX_INPUT 8192

static const uint8_t EK[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                               0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
static const uint8_t AK[16] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                               0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};
static const uint8_t DK[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                               0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
static const uint8_t BK[16] = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
                               0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
static const uint8_t PEER[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E};
static const uint8_t OWN[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0x00, 0x00, 0x01};

/* Keyed once; counters and titles are reset per input. */
static ami_sec_ctx rx_ctx, tx_ctx;
static bool ready;

static void check(bool ok) {
  if (!ok)
    abort();
}

static void keyed(ami_sec_ctx *s) {
  ami_sec_init(s, ami_crypto_openssl());
  s->policy = AMI_SEC_POLICY_LAX_SUITE;
  check(ami_sec_set_key(s, AMI_SEC_KEY_UNICAST, EK, 16) == AMI_OK);
  check(ami_sec_set_key(s, AMI_SEC_KEY_DEDICATED, DK, 16) == AMI_OK);
  check(ami_sec_set_key(s, AMI_SEC_KEY_BROADCAST, BK, 16) == AMI_OK);
  check(ami_sec_set_ak(s, AK, 16) == AMI_OK);
}

static void reset_counters(ami_sec_ctx *s) {
  memset(s->ic, 0, sizeof s->ic);
}

/* Oracle 2: re-encipher and compare. */
static void round_trip(const ami_sec_info *info, const uint8_t *title,
                       const uint8_t *plain, size_t n) {
  static uint8_t again[MAX_INPUT + AMI_SEC_OVERHEAD_MAX];
  ami_sec_key_kind kind =
      (info->form == AMI_SEC_FORM_DED || info->form == AMI_SEC_FORM_GENERAL_DED)
          ? AMI_SEC_KEY_DEDICATED
      : (info->sc & AMI_SEC_SC_BROADCAST) ? AMI_SEC_KEY_BROADCAST
                                          : AMI_SEC_KEY_UNICAST;
  if (info->ic == AMI_SEC_IC_EXHAUSTED || n == 0)
    return; /* cannot be sent again: exhausted IC, or nothing to send */
  ami_sec_set_own_title(&tx_ctx, title);
  reset_counters(&tx_ctx);
  tx_ctx.suite = info->sc & AMI_SEC_SC_SUITE_MASK;
  tx_ctx.ic[kind].tx_next = info->ic;
  ami_wr w;
  ami_wr_init(&w, again, sizeof again);
  uint8_t sec =
      info->sc & (AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC | AMI_SEC_SC_BROADCAST);
  int rc =
      ami_sec_encrypt(&tx_ctx, info->form, sec, ami_span_make(plain, n), &w);
  check(rc == AMI_OK);
  ami_sec_info back;
  check(ami_sec_parse(ami_span_make(again, w.len), &back) == AMI_OK);
  check(back.form == info->form && back.tag == info->tag);
  check(back.sc == info->sc && back.ic == info->ic);
  check(ami_span_eq(back.payload, info->payload));
  check(back.auth_tag.len == info->auth_tag.len);
#ifndef AMI_FUZZING
  check(ami_span_eq(back.auth_tag, info->auth_tag));
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t plain[MAX_INPUT];
  if (size > MAX_INPUT)
    return 0;
  if (!ready) {
    keyed(&rx_ctx);
    keyed(&tx_ctx);
    ready = true;
  }
  ami_span in = ami_span_make(size ? data : NULL, size);

  /* Oracle 1: parse and decrypt agree. */
  ami_sec_info pinfo, info;
  int prc = ami_sec_parse(in, &pinfo);
  reset_counters(&rx_ctx);
  rx_ctx.suite = 0;
  ami_sec_set_own_title(&rx_ctx, OWN);
  /* The sender: named by a general APDU, else the Green Book client. */
  ami_sec_set_peer_title(
      &rx_ctx, prc == AMI_OK && pinfo.title.len == 8 ? pinfo.title.p : PEER);
  ami_wr w;
  ami_wr_init(&w, plain, sizeof plain);
  int rc = ami_sec_decrypt(&rx_ctx, in, &w, &info);
  if (prc != AMI_OK)
    check(rc == prc);
  if (rc == AMI_OK) {
    check(w.len == info.payload.len);
    round_trip(&info, rx_ctx.peer_title, plain, w.len);
    /* Oracle 3: the same APDU again is a replay. */
    ami_wr_init(&w, plain, sizeof plain);
    check(ami_sec_decrypt(&rx_ctx, in, &w, NULL) == AMI_E_REPLAY);
    check(w.len == 0);
  } else {
    check(w.len == 0);
  }

  /* HLS-GMAC verification of a (challenge, response) split of the input. */
  size_t cl = size < 8 ? size : 8;
  (void)ami_sec_hls_gmac_verify(&rx_ctx, ami_span_make(data, cl),
                                ami_span_make(data + cl, size - cl));
  /* Key unwrap of wrapped-key-sized inputs. */
  if (size == 24 || size == 40) {
    uint8_t key[32];
    size_t kl;
    (void)ami_sec_key_unwrap(ami_crypto_openssl(), ami_span_make(EK, 16), in,
                             key, sizeof key, &kl);
  }
  return 0;
}
