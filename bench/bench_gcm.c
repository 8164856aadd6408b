/*
 * bench_gcm.c -- AES-128-GCM seal and open of 1 KiB and 64 KiB APDUs:
 * OpenAMI's crypto plugin (OpenSSL underneath, key handle reused) against
 * mbedTLS and libgcrypt in the same process, each with its key expanded once;
 * then a whole glo-ciphered APDU through the DLMS security layer.
 */
#include <stdio.h>
#include <string.h>

#include "ami/ami_crypto.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_sec.h"
#include "bench.h"
#include "bench_gcm_peers.h"

static const uint8_t EK[16] = {0, 1, 2,  3,  4,  5,  6,  7,
                               8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t AK[16] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                               0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};
static const uint8_t TITLE[8] = {0x4D, 0x4D, 0x4D, 0, 0, 0xBC, 0x61, 0x4E};

static uint8_t in_buf[65536], ct_buf[65536], out_buf[65536 + 64], tag[16],
    ct_tag[16];

typedef struct job {
  int who; /* 0 ours, 1 mbedTLS, 2 libgcrypt */
  int open;
  size_t n;
  const ami_crypto *cr;
  ami_crypto_key *key;
  struct peer_mbedtls *mb;
  struct peer_gcrypt *gc;
  uint8_t iv[12];
  uint8_t aad[17];
} job;

static void run(void *arg) {
  job *j = arg;
  if (!j->open)
    j->iv[11]++; /* a fresh IV per sealed APDU, as DLMS does */
  ami_span aad = ami_span_make(j->aad, sizeof j->aad);
  int rc = 0;
  if (j->who == 0) {
    if (j->open)
      rc = j->cr->gcm_open(j->cr->user_data, j->key, j->iv, &aad, 1, ct_buf,
                           j->n, out_buf, ct_tag, 12);
    else
      rc = j->cr->gcm_seal(j->cr->user_data, j->key, j->iv, &aad, 1, in_buf,
                           j->n, out_buf, tag, 12);
  } else if (j->who == 1) {
    rc = j->open ? peer_mbedtls_open(j->mb, j->iv, j->aad, 17, ct_buf, j->n,
                                     out_buf, ct_tag)
                 : peer_mbedtls_seal(j->mb, j->iv, j->aad, 17, in_buf, j->n,
                                     out_buf, tag);
  } else {
    rc = j->open ? peer_gcrypt_open(j->gc, j->iv, j->aad, 17, ct_buf, j->n,
                                    out_buf, ct_tag)
                 : peer_gcrypt_seal(j->gc, j->iv, j->aad, 17, in_buf, j->n,
                                    out_buf, tag);
  }
  if (rc != 0)
    fprintf(stderr, "bench_gcm: implementation %d failed (%d)\n", j->who, rc);
  bench_consume(out_buf[0]);
}

static double mbps(job *j) {
  long iters = bench_calibrate(run, j, 0.05);
  double t = bench_best(run, j, iters, 5);
  return (double)j->n / t / 1e6;
}

typedef struct sec_job {
  ami_sec_ctx tx, rx;
  uint8_t apdu[1024];
  uint8_t ct[1200], pt[1200];
  int err;
} sec_job;

static void run_sec(void *arg) {
  sec_job *s = arg;
  ami_wr w, p;
  ami_wr_init(&w, s->ct, sizeof s->ct);
  ami_wr_init(&p, s->pt, sizeof s->pt);
  ami_sec_info info;
  int rc = ami_sec_encrypt(&s->tx, AMI_SEC_FORM_GLO, 0x30,
                           ami_span_make(s->apdu, sizeof s->apdu), &w);
  if (rc == AMI_OK)
    rc = ami_sec_decrypt(&s->rx, ami_span_make(s->ct, w.len), &p, &info);
  if (rc != AMI_OK)
    s->err = rc;
  bench_consume(p.len);
}

int bench_gcm(void) {
  const ami_crypto *cr = ami_crypto_openssl();
  job j;
  memset(&j, 0, sizeof j);
  j.cr = cr;
  if (cr->key_new(cr->user_data, AMI_CRYPTO_AES128, EK, 16, &j.key) != AMI_OK ||
      peer_mbedtls_init(&j.mb, EK) || peer_gcrypt_init(&j.gc, EK)) {
    fprintf(stderr, "bench_gcm: key setup failed\n");
    return 1;
  }
  j.aad[0] = 0x30;
  memcpy(j.aad + 1, AK, 16);
  memcpy(j.iv, TITLE, 8);
  for (size_t i = 0; i < sizeof in_buf; i++)
    in_buf[i] = (uint8_t)(i * 7);

  static const size_t sizes[] = {1024, 65536};
  for (int s = 0; s < 2; s++) {
    for (int open = 0; open < 2; open++) {
      j.n = sizes[s];
      j.open = open;
      if (open) { /* one valid ciphertext and tag, opened repeatedly */
        ami_span aad = ami_span_make(j.aad, sizeof j.aad);
        cr->gcm_seal(cr->user_data, j.key, j.iv, &aad, 1, in_buf, j.n, ct_buf,
                     ct_tag, 12);
      }
      j.who = 0;
      double ours = mbps(&j);
      j.who = 1;
      double mb = mbps(&j);
      j.who = 2;
      double gc = mbps(&j);
      char what[64], o[32], p[64], r[32];
      snprintf(what, sizeof what, "AES-128-GCM %s, %zu KiB APDU",
               open ? "open" : "seal", sizes[s] / 1024);
      snprintf(o, sizeof o, "%.0f MB/s", ours);
      snprintf(p, sizeof p, "mbedTLS %.0f MB/s", mb);
      snprintf(r, sizeof r, "%.1fx", ours / mb);
      bench_row(what, o, p, r);
      snprintf(p, sizeof p, "libgcrypt %.0f MB/s", gc);
      snprintf(r, sizeof r, "%.1fx", ours / gc);
      bench_row("", "", p, r);
      snprintf(p, sizeof p, "Gurux C ~5 MB/s (*)");
      snprintf(r, sizeof r, "%.0fx", ours / 5.0);
      bench_row("", "", p, r);
    }
  }
  cr->key_free(cr->user_data, j.key);

  /* A whole glo-get-response-sized APDU through ami_sec: header, IV, IC,
   * replay check, tag -- encrypt on one side and decrypt on the other. */
  static sec_job sj;
  memset(&sj, 0, sizeof sj);
  ami_sec_init(&sj.tx, cr);
  ami_sec_init(&sj.rx, cr);
  ami_sec_set_key(&sj.tx, AMI_SEC_KEY_UNICAST, EK, 16);
  ami_sec_set_key(&sj.rx, AMI_SEC_KEY_UNICAST, EK, 16);
  ami_sec_set_ak(&sj.tx, AK, 16);
  ami_sec_set_ak(&sj.rx, AK, 16);
  ami_sec_set_own_title(&sj.tx, TITLE);
  ami_sec_set_peer_title(&sj.rx, TITLE);
  sj.apdu[0] = 0xC4; /* a get-response: the plaintext tag must match */
  long iters = bench_calibrate(run_sec, &sj, 0.05);
  double t = bench_best(run_sec, &sj, iters, 5);
  if (sj.err) {
    fprintf(stderr, "bench_gcm: ami_sec failed: %s\n", ami_strerror(sj.err));
    return 1;
  }
  char o[32];
  snprintf(o, sizeof o, "%.2f us", t * 1e6);
  bench_row("glo-ciphering encrypt+decrypt, 1 KiB (ami_sec)", o, "-", "-");
  ami_sec_free(&sj.tx);
  ami_sec_free(&sj.rx);
  return 0;
}
