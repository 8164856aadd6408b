/*
 * ami_client_assoc.c -- the ACSE side of the client engine (IEC 62056-5-3
 * §7, Green Book §9.4.2): building the AARQ (application context, calling
 * AP title, mechanism, LLS password or HLS challenge, InitiateRequest in
 * user-information, ciphered in the LN-with-ciphering context), reading the
 * AARE (result, diagnostic, server system title, InitiateResponse), HLS-GMAC
 * and HLS-SHA256 passes 3 and 4 (reply_to_HLS_authentication of the
 * Association LN object), and RLRQ / RLRE.
 */
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami_client_internal.h"

/* The Association LN object, current association: 0-0:40.0.0.255. */
static const uint8_t ASSOC_LN[6] = {0, 0, 40, 0, 0, 255};
#define ASSOC_LN_CLASS      15u
#define REPLY_TO_HLS_METHOD 1
#define DLMS_VERSION        6u
/* ACSE requirements BIT STRING {authentication}: unused bits 7, bit 0. */
static const uint8_t ACSE_REQ_AUTH[2] = {0x07, 0x80};

/* Build the InitiateRequest (IEC 62056-5-3 §9.4.2.2, xDLMS-Initiate.request)
 * -- glo-ciphered in the ciphering context -- into `buf` and decode it into
 * *out (borrowing buf) for the ACSE encoder's user-information. */
static int initiate_request(ami_client *c, uint8_t *buf, size_t cap,
                            ami_apdu *out) {
  ami_apdu ir;
  memset(&ir, 0, sizeof ir);
  ir.tag = AMI_APDU_INITIATE_REQUEST;
  ami_apdu_initiate_request *q = &ir.u.initiate_request;
  if (c->ded_len) {
    q->has_dedicated_key = true;
    q->dedicated_key = ami_span_make(c->ded_key, c->ded_len);
  }
  q->response_allowed = true;
  q->dlms_version = DLMS_VERSION;
  q->conformance = c->cfg.conformance;
  q->max_pdu_size = c->cfg.max_pdu_size;
  if (!c->ciphered) {
    *out = ir;
    return AMI_OK;
  }
  uint8_t plain[96];
  ami_wr w;
  ami_wr_init(&w, plain, sizeof plain);
  int rc = ami_apdu_encode(&w, &ir);
  if (rc != AMI_OK)
    return rc;
  ami_wr cw;
  ami_wr_init(&cw, buf, cap);
  rc = ami_sec_encrypt(&c->sec, AMI_SEC_FORM_GLO, c->cfg.security,
                       ami_span_make(plain, w.len), &cw);
  memset(plain, 0, sizeof plain); /* it may hold the dedicated key */
  if (rc != AMI_OK)
    return rc;
  ami__client_store_ic(c);
  return ami_apdu_decode(ami_span_make(buf, cw.len), out);
}

/* Encode an ACSE APDU into txp and hand it to the link. */
static int send_acse(ami_client *c, const ami_acse *a, uint64_t now_ms) {
  ami_wr w;
  ami_wr_init(&w, c->txp, c->buf_cap);
  int rc = ami_acse_encode(&w, a);
  if (rc != AMI_OK)
    return rc;
  return ami_link_send_apdu(c->link, ami_span_make(c->txp, w.len), now_ms);
}

/* IEC 62056-5-3 §7.3: the AARQ. */
int ami__client_send_aarq(ami_client *c, uint64_t now_ms) {
  int rc;
  if (c->use_sec && c->cb.ic_load) {
    uint32_t next = 0;
    rc = c->cb.ic_load(c, &next, c->user_data);
    if (rc == AMI_OK)
      c->sec.ic[AMI_SEC_KEY_UNICAST].tx_next = next;
    else if (rc != AMI_E_NOT_FOUND)
      return rc;
  }
  if (c->cfg.random_dedicated_key) {
    /* A fresh dedicated key for this association: its counters restart
     * at 0 safely because the key is new. */
    const ami_crypto *k = c->cfg.crypto;
    size_t len = c->cfg.suite == 2 ? 32u : 16u;
    rc = k->random(k->user_data, c->ded_key, len);
    if (rc == AMI_OK)
      rc = ami_sec_set_key(&c->sec, AMI_SEC_KEY_DEDICATED, c->ded_key, len);
    if (rc != AMI_OK)
      return rc;
    c->ded_len = len;
  }
  ami_acse a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_ACSE_AARQ;
  ami_acse_aarq *q = &a.u.aarq;
  q->context.present = true;
  q->context.id = c->cfg.context;
  if (c->use_sec || c->cfg.mechanism == AMI_ACSE_MECH_SHA256) {
    /* The server needs our system title to decipher and for HLS-GMAC /
     * HLS-SHA256 (which hashes it). */
    q->calling_ap_title.present = true;
    q->calling_ap_title.value =
        ami_span_make(c->cfg.system_title, AMI_SEC_TITLE_LEN);
  }
  if (c->cfg.mechanism != AMI_ACSE_MECH_NONE) {
    q->acse_requirements.present = true;
    q->acse_requirements.value = ami_span_make(ACSE_REQ_AUTH, 2);
    q->mechanism.present = true;
    q->mechanism.id = c->cfg.mechanism;
    q->auth_value.present = true;
    q->auth_value.choice = 0; /* charstring */
    if (c->cfg.mechanism == AMI_ACSE_MECH_LLS) {
      q->auth_value.value = ami_span_make(c->password, c->password_len);
    } else {
      /* HLS pass 1: the client-to-server challenge from the CSPRNG. */
      c->ctos_len = c->cfg.challenge_len;
      rc = ami_sec_challenge(c->cfg.crypto, c->ctos, c->ctos_len);
      if (rc != AMI_OK)
        return rc;
      q->auth_value.value = ami_span_make(c->ctos, c->ctos_len);
    }
  }
  uint8_t ui[160];
  rc = initiate_request(c, ui, sizeof ui, &q->user_info.apdu);
  if (rc != AMI_OK)
    return rc;
  q->user_info.present = true;
  return send_acse(c, &a, now_ms);
}

/* Read the InitiateResponse (or ConfirmedServiceError) of the AARE's
 * user-information, deciphering it first when it came ciphered. */
static int aare_user_info(ami_client *c, const ami_apdu *ap, bool *have_ir) {
  ami_apdu plain = *ap;
  if (ami_apdu_is_ciphered(ap->tag)) {
    if (!c->use_sec)
      return AMI_E_NO_KEY;
    ami_wr w;
    ami_wr_init(&w, c->txc, c->buf_cap);
    int rc = ami_apdu_encode(&w, ap);
    if (rc != AMI_OK)
      return rc;
    ami_span p;
    rc = ami__client_decipher(c, ami_span_make(c->txc, w.len), &p);
    if (rc == AMI_OK)
      rc = ami_apdu_decode(p, &plain);
    if (rc != AMI_OK)
      return rc;
  } else if (c->ciphered && ap->tag == AMI_APDU_INITIATE_RESPONSE) {
    return AMI_E_SECURITY_CONTROL;
  }
  if (plain.tag == AMI_APDU_INITIATE_RESPONSE) {
    const ami_apdu_initiate_response *r = &plain.u.initiate_response;
    c->info.conformance = r->conformance;
    c->info.max_pdu_size = r->max_pdu_size;
    c->info.vaa_name = r->vaa_name;
    c->info.dlms_version = r->dlms_version;
    *have_ir = true;
  } else if (plain.tag == AMI_APDU_CONFIRMED_SERVICE_ERROR) {
    c->info.has_cse = true;
    c->info.cse = plain.u.cse;
  }
  return AMI_OK;
}

/* HLS pass 3 (Green Book §9.2.2.2.3): ACTION reply_to_HLS_authentication
 * with f(StoC) = SC || IC || GMAC(SC || AK || StoC) for HLS-GMAC, or
 * SHA-256(secret || ST-C || ST-S || StoC || CtoS) for HLS-SHA256 (see
 * ami_sec_hls_sha256). */
static int send_hls_pass3(ami_client *c, ami_span stoc, uint64_t now_ms) {
  uint8_t f[AMI_CRYPTO_SHA256_LEN];
  size_t flen;
  int rc;
  if (c->cfg.mechanism == AMI_ACSE_MECH_SHA256) {
    flen = AMI_CRYPTO_SHA256_LEN;
    rc = ami_sec_hls_sha256(c->cfg.crypto,
                            ami_span_make(c->hls_secret, c->hls_secret_len),
                            c->cfg.system_title, c->server_title, stoc,
                            ami_span_make(c->ctos, c->ctos_len), f);
  } else {
    flen = AMI_SEC_GMAC_LEN;
    rc = ami_sec_hls_gmac(&c->sec, stoc, f);
    if (rc == AMI_OK)
      ami__client_store_ic(c);
  }
  if (rc != AMI_OK)
    return rc;
  uint8_t param[2 + sizeof f];
  ami_wr pw;
  ami_wr_init(&pw, param, sizeof param);
  ami_axdr_put_octets(&pw, f, flen);
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_ACTION_REQUEST;
  a.u.action_request.choice = 1;
  a.u.action_request.iip =
      AMI_APDU_IIP(c->invoke_id, true, !c->cfg.normal_priority);
  a.u.action_request.method.class_id = ASSOC_LN_CLASS;
  memcpy(a.u.action_request.method.obis, ASSOC_LN, 6);
  a.u.action_request.method.id = REPLY_TO_HLS_METHOD;
  a.u.action_request.has_params = true;
  a.u.action_request.params = ami_span_make(param, pw.len);
  ami_wr w;
  ami_wr_init(&w, c->txp, c->buf_cap);
  rc = ami_apdu_encode(&w, &a);
  if (rc != AMI_OK)
    return rc;
  return ami__client_send_xdlms(c, ami_span_make(c->txp, w.len),
                                AMI_SEC_FORM_GLO, now_ms);
}

/* IEC 62056-5-3 §7.3: the AARE. */
void ami__client_on_aare(ami_client *c, ami_span in, uint64_t now_ms) {
  ami_acse a;
  int rc = ami_acse_decode(in, &a);
  if (rc != AMI_OK) {
    ami__client_assoc_done(c, rc);
    return;
  }
  const ami_acse_aare *r = &a.u.aare;
  c->info.result = r->result.value;
  c->info.diag_source = r->diagnostic.source;
  c->info.diagnostic = r->diagnostic.value;
  if (r->responding_ap_title.present &&
      r->responding_ap_title.value.len == AMI_SEC_TITLE_LEN) {
    memcpy(c->server_title, r->responding_ap_title.value.p, AMI_SEC_TITLE_LEN);
    c->info.server_title = ami_span_make(c->server_title, AMI_SEC_TITLE_LEN);
    if (c->use_sec)
      ami_sec_set_peer_title(&c->sec, c->server_title);
  }
  bool have_ir = false;
  if (r->user_info.present &&
      (rc = aare_user_info(c, &r->user_info.apdu, &have_ir)) != AMI_OK) {
    ami__client_assoc_done(c, rc);
    return;
  }
  if (r->result.value != AMI_ACSE_RESULT_ACCEPTED) {
    ami__client_assoc_done(c, AMI_E_STATE);
    return;
  }
  if (!have_ir) {
    ami__client_assoc_done(c, AMI_E_APDU_MALFORMED);
    return;
  }
  if (c->use_sec && !c->sec.has_peer_title) {
    ami__client_assoc_done(c, AMI_E_NO_KEY);
    return;
  }
  if (c->cfg.mechanism != AMI_ACSE_MECH_GMAC &&
      c->cfg.mechanism != AMI_ACSE_MECH_SHA256) {
    ami__client_assoc_done(c, AMI_OK);
    return;
  }
  /* HLS-SHA256 hashes the server's system title: it must have sent one. */
  if (c->cfg.mechanism == AMI_ACSE_MECH_SHA256 &&
      c->info.server_title.len != AMI_SEC_TITLE_LEN) {
    ami__client_assoc_done(c, AMI_E_AUTH_FAILED);
    return;
  }
  /* HLS pass 2 carried StoC in the AARE; answer it (pass 3). */
  if (!r->auth_value.present || r->auth_value.choice != 0 ||
      r->auth_value.value.len < AMI_SEC_CHALLENGE_MIN ||
      r->auth_value.value.len > AMI_SEC_CHALLENGE_MAX) {
    ami__client_assoc_done(c, AMI_E_AUTH_FAILED);
    return;
  }
  /* HLS-SHA256's f(CtoS) hashes StoC too: keep it for pass 4. */
  memcpy(c->stoc, r->auth_value.value.p, r->auth_value.value.len);
  c->stoc_len = r->auth_value.value.len;
  rc = send_hls_pass3(c, r->auth_value.value, now_ms);
  if (rc != AMI_OK) {
    ami__client_assoc_done(c, rc);
    return;
  }
  c->phase = AMI__CL_HLS_WAIT;
  c->deadline = now_ms + c->cfg.timeout_ms;
}

/* HLS pass 4: the server's f(CtoS) in the ACTION-Response return
 * parameters must verify against our challenge, else no association. */
void ami__client_on_hls_reply(ami_client *c, const ami_apdu *a) {
  int rc = AMI_E_AUTH_FAILED;
  if (a->tag == AMI_APDU_ACTION_RESPONSE && a->u.action_response.choice == 1) {
    const ami_apdu_action_result *r = &a->u.action_response.result;
    if (r->result == 0 && r->has_return && r->ret.choice == 0) {
      ami_axdr_dec d;
      ami_axdr_dec_init(&d, r->ret.data.p, r->ret.data.len);
      ami_span f;
      rc = ami_axdr_get_octets(&d, &f);
      if (rc == AMI_OK && c->cfg.mechanism == AMI_ACSE_MECH_SHA256)
        rc = ami_sec_hls_sha256_verify(
            c->cfg.crypto, ami_span_make(c->hls_secret, c->hls_secret_len),
            c->cfg.system_title, c->server_title,
            ami_span_make(c->ctos, c->ctos_len),
            ami_span_make(c->stoc, c->stoc_len), f);
      else if (rc == AMI_OK)
        rc = ami_sec_hls_gmac_verify(&c->sec,
                                     ami_span_make(c->ctos, c->ctos_len), f);
    }
  } else if (a->tag != AMI_APDU_EXCEPTION_RESPONSE &&
             a->tag != AMI_APDU_ACTION_RESPONSE) {
    ami__client_error(c, AMI_E_STATE, "unexpected APDU during HLS dropped");
    return;
  }
  memset(c->ctos, 0, sizeof c->ctos);
  memset(c->stoc, 0, sizeof c->stoc);
  ami_sec_counter *ic = &c->sec.ic[AMI_SEC_KEY_UNICAST];
  if (rc == AMI_OK && c->use_sec && c->cfg.ic_skip_after_hls) {
    if (AMI_SEC_IC_EXHAUSTED - ic->tx_next <= c->cfg.ic_skip_after_hls)
      rc = AMI_E_IC_EXHAUSTED;
    else
      ic->tx_next += c->cfg.ic_skip_after_hls;
    ami__client_store_ic(c);
  }
  if (rc != AMI_OK)
    ami__client_log(c, AMI_CLIENT_LOG_WARN,
                    "HLS: the server's f(CtoS) did not verify");
  ami__client_assoc_done(c, rc == AMI_OK ? AMI_OK : rc);
}

/* IEC 62056-5-3 §7.3: RLRQ, reason normal; in the ciphering context it
 * carries a ciphered InitiateRequest (as the Gurux recordings do), which
 * protects the release. */
int ami__client_send_rlrq(ami_client *c, uint64_t now_ms) {
  ami_acse a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_ACSE_RLRQ;
  a.u.rlrq.reason.present = true;
  a.u.rlrq.reason.value = AMI_ACSE_RELEASE_NORMAL;
  uint8_t ui[160];
  if (c->ciphered) {
    int rc = initiate_request(c, ui, sizeof ui, &a.u.rlrq.user_info.apdu);
    if (rc != AMI_OK)
      return rc;
    a.u.rlrq.user_info.present = true;
  }
  return send_acse(c, &a, now_ms);
}

/* The RLRE ends the association whatever its contents: some servers send
 * one with BER lengths too short (the Gurux server does), and refusing it
 * would leave both sides disagreeing. The link stays connected. */
void ami__client_on_rlre(ami_client *c, ami_span in) {
  ami_acse a;
  if (ami_acse_decode(in, &a) != AMI_OK)
    ami__client_log(c, AMI_CLIENT_LOG_WARN, "RLRE malformed; release taken");
  c->phase = AMI__CL_IDLE;
  c->deadline = AMI_CLIENT_NO_EXPIRY;
  if (c->cb.on_released)
    c->cb.on_released(c, AMI_OK, c->user_data);
}
