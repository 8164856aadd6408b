/*
 * ami_sec.c -- the DLMS security context (keys, titles, counters, policy)
 * and the ciphering and deciphering of xDLMS APDUs with AES-GCM (security
 * suites 0, 1 and 2; Green Book §9.2.7.2). Layout parsing lives in
 * ami_sec_apdu.c, HLS-GMAC and key wrap in ami_sec_auth.c.
 */
#include "ami_sec_internal.h"

void ami__sec_wipe(void *p, size_t n) {
  volatile uint8_t *v = (volatile uint8_t *)p;
  while (n--)
    *v++ = 0;
}

size_t ami__sec_suite_key_len(unsigned suite) {
  switch (suite) {
  case 0: /* AES-GCM-128 */
  case 1: /* ECDH-ECDSA-AES-GCM-128-SHA-256: same symmetric cipher */
    return 16;
  case 2: /* ECDH-ECDSA-AES-GCM-256-SHA-384 */
    return 32;
  default:
    return 0;
  }
}

bool ami__sec_suite_ok(const ami_sec_ctx *s, uint8_t sc) {
  unsigned got = sc & AMI_SEC_SC_SUITE_MASK;
  if (got == s->suite)
    return ami__sec_suite_key_len(got) != 0;
  /* A different id with the same cipher, only when the policy allows it. */
  return (s->policy & AMI_SEC_POLICY_LAX_SUITE) != 0 &&
         ami__sec_suite_key_len(got) != 0 &&
         ami__sec_suite_key_len(got) == ami__sec_suite_key_len(s->suite);
}

int ami__sec_need_crypto(const ami_sec_ctx *s) {
  int rc = ami_crypto_check(s->crypto);
  if (rc != AMI_OK)
    return rc;
  return ami__sec_suite_key_len(s->suite) ? AMI_OK : AMI_E_INVAL;
}

void ami_sec_init(ami_sec_ctx *s, const ami_crypto *crypto) {
  memset(s, 0, sizeof *s);
  s->crypto = crypto;
}

void ami_sec_clear_key(ami_sec_ctx *s, ami_sec_key_kind kind) {
  if (s == NULL || (unsigned)kind >= AMI_SEC_KEY_COUNT)
    return;
  if (s->key[kind] != NULL && s->crypto != NULL && s->crypto->key_free)
    s->crypto->key_free(s->crypto->user_data, s->key[kind]);
  s->key[kind] = NULL;
  memset(&s->ic[kind], 0, sizeof s->ic[kind]);
}

void ami_sec_free(ami_sec_ctx *s) {
  if (s == NULL)
    return;
  for (unsigned k = 0; k < AMI_SEC_KEY_COUNT; k++)
    ami_sec_clear_key(s, (ami_sec_key_kind)k);
  ami__sec_wipe(s->ak, sizeof s->ak);
  s->ak_len = 0;
}

int ami_sec_set_key(ami_sec_ctx *s, ami_sec_key_kind kind, const uint8_t *key,
                    size_t len) {
  if (s == NULL || key == NULL || (unsigned)kind >= AMI_SEC_KEY_COUNT)
    return AMI_E_INVAL;
  int rc = ami__sec_need_crypto(s);
  if (rc != AMI_OK)
    return rc;
  size_t want = ami__sec_suite_key_len(s->suite);
  if (len != want)
    return AMI_E_INVAL;
  ami_crypto_key *h = NULL;
  rc = s->crypto->key_new(s->crypto->user_data,
                          want == 16 ? AMI_CRYPTO_AES128 : AMI_CRYPTO_AES256,
                          key, len, &h);
  if (rc != AMI_OK)
    return rc;
  ami_sec_clear_key(s, kind);
  s->key[kind] = h;
  return AMI_OK;
}

int ami_sec_set_ak(ami_sec_ctx *s, const uint8_t *ak, size_t len) {
  if (s == NULL || ak == NULL)
    return AMI_E_INVAL;
  size_t want = ami__sec_suite_key_len(s->suite);
  if (want == 0 || len != want)
    return AMI_E_INVAL;
  ami__sec_wipe(s->ak, sizeof s->ak);
  memcpy(s->ak, ak, len);
  s->ak_len = len;
  return AMI_OK;
}

void ami_sec_set_own_title(ami_sec_ctx *s, const uint8_t title[8]) {
  memcpy(s->own_title, title, AMI_SEC_TITLE_LEN);
  s->has_own_title = true;
}

void ami_sec_set_peer_title(ami_sec_ctx *s, const uint8_t title[8]) {
  memcpy(s->peer_title, title, AMI_SEC_TITLE_LEN);
  s->has_peer_title = true;
}

/* The key a form and a key-set bit select. */
static ami_sec_key_kind key_kind(ami_sec_form form, uint8_t sc) {
  if (form == AMI_SEC_FORM_DED || form == AMI_SEC_FORM_GENERAL_DED)
    return AMI_SEC_KEY_DEDICATED;
  return (sc & AMI_SEC_SC_BROADCAST) ? AMI_SEC_KEY_BROADCAST
                                     : AMI_SEC_KEY_UNICAST;
}

static bool form_is_ded(ami_sec_form form) {
  return form == AMI_SEC_FORM_DED || form == AMI_SEC_FORM_GENERAL_DED;
}

/* Run the GCM variant the SC selects over `n` bytes from `in` to `out`
 * (encrypting when `seal`), with `tag` in or out. For authentication-only
 * the text goes into the AAD and is copied unchanged. */
static int sec_transform(const ami_sec_ctx *s, ami_crypto_key *key, bool seal,
                         uint8_t sc, const uint8_t iv[AMI_CRYPTO_GCM_IV_LEN],
                         const uint8_t *in, size_t n, uint8_t *out,
                         uint8_t *tag) {
  const ami_crypto *c = s->crypto;
  ami_span aad[3] = {ami_span_make(&sc, 1), ami_span_make(s->ak, s->ak_len),
                     ami_span_make(in, n)};
  int rc;
  switch (sc & (AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC)) {
  case AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC: /* AAD = SC || AK */
    if (seal)
      return c->gcm_seal(c->user_data, key, iv, aad, 2, in, n, out, tag,
                         AMI_SEC_TAG_LEN);
    return c->gcm_open(c->user_data, key, iv, aad, 2, in, n, out, tag,
                       AMI_SEC_TAG_LEN);
  case AMI_SEC_SC_AUTH: /* AAD = SC || AK || text; the text stays clear */
    if (seal)
      rc = c->gcm_seal(c->user_data, key, iv, aad, 3, NULL, 0, NULL, tag,
                       AMI_SEC_TAG_LEN);
    else
      rc = c->gcm_open(c->user_data, key, iv, aad, 3, NULL, 0, NULL, tag,
                       AMI_SEC_TAG_LEN);
    if (rc == AMI_OK && n > 0 && out != in)
      memmove(out, in, n);
    return rc;
  case AMI_SEC_SC_ENC: /* no tag, no AAD: the GCM keystream alone */
    return c->gcm_ctr(c->user_data, key, iv, in, n, out);
  default:
    return AMI_E_SECURITY_CONTROL;
  }
}

/* Total encoded length of a ciphered APDU around a content of `clen`. */
static size_t apdu_size(ami_sec_form form, size_t clen) {
  size_t title =
      (form == AMI_SEC_FORM_GENERAL_GLO || form == AMI_SEC_FORM_GENERAL_DED)
          ? 1 + AMI_SEC_TITLE_LEN
          : 0;
  return 1 + title + ami__sec_len_size(clen) + clen;
}

/* Check the arguments of ami_sec_encrypt and pick the ciphered tag. */
static int encrypt_tag(ami_sec_form form, uint8_t security, ami_span plain,
                       uint8_t *tag) {
  if (security & AMI_SEC_SC_COMPRESS)
    return AMI_E_UNSUPPORTED;
  if ((security & ~(AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC | AMI_SEC_SC_BROADCAST)) ||
      !(security & (AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC)) || plain.len == 0 ||
      plain.p == NULL)
    return AMI_E_INVAL;
  if ((security & AMI_SEC_SC_BROADCAST) && form_is_ded(form))
    return AMI_E_INVAL;
  switch (form) {
  case AMI_SEC_FORM_GLO:
    *tag = ami_sec_glo_tag(plain.p[0]);
    break;
  case AMI_SEC_FORM_DED:
    *tag = ami_sec_ded_tag(plain.p[0]);
    break;
  case AMI_SEC_FORM_GENERAL_GLO:
    *tag = AMI_SEC_TAG_GENERAL_GLO;
    break;
  case AMI_SEC_FORM_GENERAL_DED:
    *tag = AMI_SEC_TAG_GENERAL_DED;
    break;
  default:
    return AMI_E_INVAL;
  }
  return *tag ? AMI_OK : AMI_E_APDU_TAG;
}

/* Green Book §9.2.7.2.4: build SH = SC || IC, protect the APDU, frame it. */
int ami_sec_encrypt(ami_sec_ctx *s, ami_sec_form form, uint8_t security,
                    ami_span plain, ami_wr *out) {
  if (s == NULL || out == NULL)
    return AMI_E_INVAL;
  uint8_t tag = 0;
  int rc = encrypt_tag(form, security, plain, &tag);
  if (rc != AMI_OK)
    return rc;
  if ((rc = ami__sec_need_crypto(s)) != AMI_OK)
    return rc;
  ami_sec_key_kind kind = key_kind(form, security);
  bool auth = (security & AMI_SEC_SC_AUTH) != 0;
  if (s->key[kind] == NULL || !s->has_own_title || (auth && s->ak_len == 0))
    return AMI_E_NO_KEY;
  ami_sec_counter *ctr = &s->ic[kind];
  if (ctr->tx_next == AMI_SEC_IC_EXHAUSTED)
    return AMI_E_IC_EXHAUSTED;
  size_t tag_len = auth ? AMI_SEC_TAG_LEN : 0;
  if (plain.len > UINT32_MAX - AMI_SEC_HEADER_LEN - tag_len)
    return AMI_E_LIMIT; /* the content length must fit four length bytes */
  size_t clen = AMI_SEC_HEADER_LEN + plain.len + tag_len;

  size_t start = out->len;
  uint8_t *p = ami_wr_reserve(out, apdu_size(form, clen));
  if (p == NULL)
    return AMI_E_BUFFER_FULL;
  uint8_t *const apdu = p;
  uint8_t sc = (uint8_t)(security | (s->suite & AMI_SEC_SC_SUITE_MASK));
  uint32_t ic = ctr->tx_next;
  *p++ = tag;
  if (form == AMI_SEC_FORM_GENERAL_GLO || form == AMI_SEC_FORM_GENERAL_DED) {
    *p++ = AMI_SEC_TITLE_LEN;
    memcpy(p, s->own_title, AMI_SEC_TITLE_LEN);
    p += AMI_SEC_TITLE_LEN;
  }
  p = ami__sec_len_put(p, clen);
  *p++ = sc;
  *p++ = (uint8_t)(ic >> 24);
  *p++ = (uint8_t)(ic >> 16);
  *p++ = (uint8_t)(ic >> 8);
  *p++ = (uint8_t)ic;

  uint8_t iv[AMI_CRYPTO_GCM_IV_LEN];
  ami__sec_iv(s->own_title, ic, iv);
  rc = sec_transform(s, s->key[kind], true, sc, iv, plain.p, plain.len, p,
                     auth ? p + plain.len : NULL);
  if (rc != AMI_OK) {
    ami__sec_wipe(apdu, out->len - start);
    out->len = start;
    return rc;
  }
  ctr->tx_next = ic + 1;
  return AMI_OK;
}

/* Policy checks on a received security control byte (see ami_sec.h). */
static int check_sc(const ami_sec_ctx *s, uint8_t sc, ami_sec_form form) {
  if (sc & AMI_SEC_SC_COMPRESS)
    return AMI_E_SECURITY_CONTROL;
  if (!(sc & (AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC)))
    return AMI_E_SECURITY_CONTROL;
  if ((s->policy & AMI_SEC_POLICY_REQUIRE_AUTH) && !(sc & AMI_SEC_SC_AUTH))
    return AMI_E_SECURITY_CONTROL;
  if ((s->policy & AMI_SEC_POLICY_REQUIRE_ENC) && !(sc & AMI_SEC_SC_ENC))
    return AMI_E_SECURITY_CONTROL;
  if ((sc & AMI_SEC_SC_BROADCAST) && form_is_ded(form))
    return AMI_E_SECURITY_CONTROL;
  if (!ami__sec_suite_ok(s, sc))
    return AMI_E_SECURITY_CONTROL;
  return AMI_OK;
}

/* The sender's system title for the IV: carried by general APDUs (and then
 * it must be the peer's, when we know the peer), else the known peer's. */
static int sender_title(const ami_sec_ctx *s, const ami_sec_info *info,
                        const uint8_t **title) {
  if (info->title.len == AMI_SEC_TITLE_LEN) {
    if (s->has_peer_title &&
        memcmp(info->title.p, s->peer_title, AMI_SEC_TITLE_LEN) != 0)
      return AMI_E_NO_KEY; /* we hold no keys or counters for that sender */
    *title = info->title.p;
    return AMI_OK;
  }
  if (!s->has_peer_title)
    return AMI_E_NO_KEY;
  *title = s->peer_title;
  return AMI_OK;
}

/* Green Book §9.2.7.2.4, in reverse: parse, apply the policy, check the
 * counter, verify and decipher, and only then accept the counter. */
int ami_sec_decrypt(ami_sec_ctx *s, ami_span in, ami_wr *out,
                    ami_sec_info *info) {
  ami_sec_info local;
  if (info == NULL)
    info = &local;
  if (s == NULL || out == NULL)
    return AMI_E_INVAL;
  int rc = ami_sec_parse(in, info);
  if (rc != AMI_OK)
    return rc;
  if ((rc = check_sc(s, info->sc, info->form)) != AMI_OK)
    return rc;
  if ((rc = ami__sec_need_crypto(s)) != AMI_OK)
    return rc;
  ami_sec_key_kind kind = key_kind(info->form, info->sc);
  bool auth = (info->sc & AMI_SEC_SC_AUTH) != 0;
  const uint8_t *title = NULL;
  if (s->key[kind] == NULL || (auth && s->ak_len == 0))
    return AMI_E_NO_KEY;
  if ((rc = sender_title(s, info, &title)) != AMI_OK)
    return rc;
  ami_sec_counter *ctr = &s->ic[kind];
  if (ctr->rx_valid && info->ic <= ctr->rx_last)
    return AMI_E_REPLAY;

  size_t n = info->payload.len;
  size_t start = out->len;
  uint8_t *dst = ami_wr_reserve(out, n);
  if (dst == NULL)
    return AMI_E_BUFFER_FULL;
  uint8_t iv[AMI_CRYPTO_GCM_IV_LEN];
  ami__sec_iv(title, info->ic, iv);
  uint8_t tag[AMI_SEC_TAG_LEN];
  if (auth)
    memcpy(tag, info->auth_tag.p, AMI_SEC_TAG_LEN);
  rc = sec_transform(s, s->key[kind], false, info->sc, iv, info->payload.p, n,
                     dst, auth ? tag : NULL);
#ifdef AMI_FUZZING
  /* Fuzzing builds only: a wrong tag does not stop the fuzzer; recover the
   * plaintext as if it had verified (ami_sec.h says why). */
  if (rc == AMI_E_AUTH_FAILED) {
    if (info->sc & AMI_SEC_SC_ENC)
      rc = s->crypto->gcm_ctr(s->crypto->user_data, s->key[kind], iv,
                              info->payload.p, n, dst);
    else {
      rc = AMI_OK;
      if (n > 0)
        memcpy(dst, info->payload.p, n);
    }
  }
#endif
  /* A service-specific APDU must wrap the service its tag names. */
  if (rc == AMI_OK && info->plain_tag != 0 &&
      (n == 0 || dst[0] != info->plain_tag))
    rc = AMI_E_INCONSISTENT;
  if (rc != AMI_OK) {
    ami__sec_wipe(dst, n);
    out->len = start;
    return rc;
  }
  ctr->rx_last = info->ic;
  ctr->rx_valid = true;
  return AMI_OK;
}
