/*
 * ami_server.c -- the DLMS/COSEM server engine: lifecycle, the link glue,
 * associations (AARQ/AARE, RLRQ/RLRE, LLS, HLS-GMAC, HLS-SHA256), ciphering of
 * requests and responses (security suite 0) and the exception responses.
 * GET/SET/ACTION live in ami_server_xdlms.c.
 *
 * References: IEC 62056-5-3 §7 (ACSE services, AARE diagnostics), §8 (xDLMS
 * InitiateRequest negotiation, ExceptionResponse), DLMS UA 1000-2 Green Book
 * Ed. 8 §9.2.7 (HLS-GMAC and HLS-SHA256 passes 1-4, ciphered APDUs).
 */
#include <string.h>

#include "ami/ami_acse.h"
#include "ami/ami_axdr.h"
#include "ami_server_internal.h"

/* ---------------------------------------------------------------------- */
/* Small helpers */

int ami__srv_reserve(ami_server *s, ami__srv_buf *b, size_t need) {
  if (need <= b->cap)
    return AMI_OK;
  if (need > ((size_t)1 << 30))
    return AMI_E_NOMEM; /* far beyond any configured limit */
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap *= 2;
  uint8_t *p = ami_realloc(s->alloc, b->p, cap);
  if (!p)
    return AMI_E_NOMEM;
  b->p = p;
  b->cap = cap;
  return AMI_OK;
}

static void buf_free(ami_server *s, ami__srv_buf *b) {
  ami_free(s->alloc, b->p);
  b->p = NULL;
  b->cap = 0;
}

static void srv_log(ami_server *s, int level, const char *msg) {
  if (s->cb && s->cb->log)
    s->cb->log(s->user_data, level, msg);
}

void ami__srv_error(ami_server *s, int err, const char *msg) {
  srv_log(s, AMI_SERVER_LOG_ERROR, msg);
  if (s->cb && s->cb->on_error)
    s->cb->on_error(s, err, s->user_data);
}

void ami__srv_info(const ami_server *s, ami_server_assoc_info *info) {
  memset(info, 0, sizeof *info);
  info->client_address = s->client_address;
  info->logical_device = s->own_address;
  if (s->ac) {
    info->mechanism = s->ac->mechanism;
    info->ciphered = s->ac->context == AMI_ACSE_CTX_LN_CIPHERED;
    info->security_policy = s->ac->security_policy;
  }
  info->authenticated = s->state == AMI__SRV_ASSOCIATED;
  info->now_ms = s->now_ms;
}

size_t ami__srv_send_limit(const ami_server *s) {
  if (s->req_gbt) /* General-Block-Transfer splits whatever we send */
    return s->cfg.max_response + 64;
  size_t lim = s->client_max_pdu ? s->client_max_pdu : 0xFFFFu;
  if (s->cfg.max_send_apdu && s->cfg.max_send_apdu < lim)
    lim = s->cfg.max_send_apdu;
  if (s->req_ciphered)
    lim = lim > AMI_SEC_OVERHEAD_MAX + 16 ? lim - AMI_SEC_OVERHEAD_MAX : 16;
  return lim;
}

/* Persist the counters of `key` through the callbacks. */
static void ic_store(ami_server *s, ami_sec_key_kind key) {
  if (s->sec_ready && s->cb && s->cb->ic_store) {
    int rc =
        s->cb->ic_store(s->user_data, s->client_address, key, &s->sec.ic[key]);
    if (rc != AMI_OK)
      ami__srv_error(s, rc, "invocation counter store failed");
  }
}

static int link_send(ami_server *s, ami_span apdu) {
  if (s->req_gbt)
    return ami__srv_gbt_start(s, apdu);
  int rc = ami_link_send_apdu(s->cfg.link, apdu, s->now_ms);
  if (rc == AMI_E_NOMEM)
    return rc;
  if (rc != AMI_OK)
    ami__srv_error(s, rc, "link refused the response");
  return AMI_OK;
}

int ami__srv_send(ami_server *s, ami_span apdu) {
  if (!s->req_ciphered)
    return link_send(s, apdu);
  int rc = ami__srv_reserve(s, &s->enc, apdu.len + AMI_SEC_OVERHEAD_MAX);
  if (rc != AMI_OK)
    return rc;
  ami_wr w;
  ami_wr_init(&w, s->enc.p, s->enc.cap);
  ami_sec_key_kind key = (s->req_form == AMI_SEC_FORM_DED ||
                          s->req_form == AMI_SEC_FORM_GENERAL_DED)
                             ? AMI_SEC_KEY_DEDICATED
                             : AMI_SEC_KEY_UNICAST;
  rc = ami_sec_encrypt(&s->sec, s->req_form, s->req_security, apdu, &w);
  if (rc != AMI_OK) {
    ami__srv_error(s, rc, "ciphering the response failed");
    return rc == AMI_E_NOMEM ? rc : AMI_OK;
  }
  ic_store(s, key);
  return link_send(s, ami_span_make(w.p, w.len));
}

int ami__srv_send_apdu(ami_server *s, const ami_apdu *apdu) {
  for (;;) {
    ami_wr w;
    ami_wr_init(&w, s->out.p, s->out.cap);
    int rc = ami_apdu_encode(&w, apdu);
    /* A response the client cannot receive (IEC 62056-5-3 §8: only GET
     * has blocks here): ExceptionResponse pdu-too-long instead. */
    if (rc == AMI_OK && s->client_max_pdu && !s->req_gbt &&
        apdu->tag != AMI_APDU_EXCEPTION_RESPONSE &&
        w.len + (s->req_ciphered ? AMI_SEC_OVERHEAD_MAX : 0) >
            s->client_max_pdu) {
      ami__srv_error(s, AMI_E_PDU_TOO_LARGE,
                     "response over the client's max PDU");
      return ami__srv_exception(s, 1, 4, 0);
    }
    if (rc == AMI_OK)
      return ami__srv_send(s, ami_span_make(w.p, w.len));
    if (rc != AMI_E_BUFFER_FULL || s->out.cap >= (1u << 24)) {
      ami__srv_error(s, rc, "encoding the response failed");
      return AMI_OK;
    }
    rc = ami__srv_reserve(s, &s->out, s->out.cap ? s->out.cap * 2 : 256);
    if (rc != AMI_OK)
      return rc;
  }
}

/* ExceptionResponse (IEC 62056-5-3 §8, EXCEPTION-Response): always sent in
 * plain text -- it often reports that the ciphered request could not be
 * read at all. */
int ami__srv_exception(ami_server *s, uint8_t state_error,
                       uint8_t service_error, uint32_t ic) {
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_EXCEPTION_RESPONSE;
  a.u.exception.state_error = state_error;
  a.u.exception.service_error = service_error;
  a.u.exception.invocation_counter = ic;
  s->req_ciphered = false;
  s->req_gbt = false;
  return ami__srv_send_apdu(s, &a);
}

/* ---------------------------------------------------------------------- */
/* Lifecycle */

int ami_server_new(ami_server **out, const ami_server_cfg *cfg,
                   const ami_server_callbacks *cb, void *user_data,
                   const ami_allocator *alloc) {
  if (!out)
    return AMI_E_INVAL;
  *out = NULL;
  if (!cfg || cfg->version != AMI_SERVER_VERSION || !cfg->link ||
      !cfg->link->vt || !cfg->app || cfg->app->version < 1 ||
      cfg->app->version > AMI_SERVER_APP_VERSION || !cfg->app->get ||
      !cfg->app->set || !cfg->app->action || (cfg->assoc_count && !cfg->assocs))
    return AMI_E_INVAL;
  if (cb && cb->version != AMI_SERVER_CALLBACKS_VERSION)
    return AMI_E_INVAL;
  ami_server *s = ami_malloc(alloc, sizeof *s);
  if (!s)
    return AMI_E_NOMEM;
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  if (!s->cfg.max_response)
    s->cfg.max_response = AMI_SERVER_DEFAULT_MAX_RESPONSE;
  if (!s->cfg.max_reassembly)
    s->cfg.max_reassembly = AMI_SERVER_DEFAULT_MAX_REASSEMBLY;
  if (!s->cfg.vaa_name)
    s->cfg.vaa_name = AMI_SERVER_DEFAULT_VAA_NAME;
  s->cb = cb;
  s->user_data = user_data;
  s->alloc = alloc;
  ami_dynbuf_init(&s->rs, s->cfg.max_reassembly, alloc);
  ami_dynbuf_init(&s->gbt_rx, s->cfg.max_reassembly, alloc);
  *out = s;
  return AMI_OK;
}

/* Forget the association: keys, counters, block transfers. */
static void assoc_drop(ami_server *s) {
  if (s->sec_ready)
    ami_sec_free(&s->sec);
  s->sec_ready = false;
  s->state = AMI__SRV_IDLE;
  s->ac = NULL;
  s->conformance = 0;
  s->client_max_pdu = 0;
  ami__srv_blocks_reset(s);
  s->gbt_tx_active = false;
  s->gbt_rx_bn = 0;
  s->gbt_tx_bn = 0;
  ami_dynbuf_reset(&s->gbt_rx);
}

void ami_server_free(ami_server *s) {
  if (!s)
    return;
  assoc_drop(s);
  buf_free(s, &s->plain);
  buf_free(s, &s->data);
  buf_free(s, &s->list);
  buf_free(s, &s->out);
  buf_free(s, &s->enc);
  buf_free(s, &s->gbt_tx);
  ami_dynbuf_free(&s->rs);
  ami_dynbuf_free(&s->gbt_rx);
  const ami_allocator *a = s->alloc;
  ami_free(a, s);
}

bool ami_server_is_associated(const ami_server *s) {
  return s && s->state != AMI__SRV_IDLE;
}

ami_sec_ctx *ami_server_sec(ami_server *s) {
  return s && s->sec_ready ? &s->sec : NULL;
}

/* ---------------------------------------------------------------------- */
/* Association (IEC 62056-5-3 §7.3, Green Book §9.3) */

/* Decipher a ciphered xDLMS APDU carried in user-information (ciphered
 * envelope already parsed by the ACSE decoder) into s->plain. */
static int decipher_user_info(ami_server *s, const ami_apdu *env,
                              ami_span *plain) {
  /* Rebuild tag || length || content, the form ami_sec_decrypt reads. */
  ami_span c = env->u.ciphered.sec.content;
  uint8_t hdr[6];
  ami_wr h;
  ami_wr_init(&h, hdr, sizeof hdr);
  ami_wr_u8(&h, env->tag);
  ami_axdr_put_len(&h, c.len);
  if (h.err)
    return AMI_E_BAD_LENGTH;
  int rc = ami__srv_reserve(s, &s->enc, h.len + c.len);
  if (rc != AMI_OK)
    return rc;
  memcpy(s->enc.p, hdr, h.len);
  memcpy(s->enc.p + h.len, c.p, c.len);
  rc = ami__srv_reserve(s, &s->plain, h.len + c.len);
  if (rc != AMI_OK)
    return rc;
  ami_wr w;
  ami_wr_init(&w, s->plain.p, s->plain.cap);
  ami_sec_info info;
  rc = ami_sec_decrypt(&s->sec, ami_span_make(s->enc.p, h.len + c.len), &w,
                       &info);
  if (rc != AMI_OK)
    return rc;
  s->req_security = info.sc & (AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC);
  ic_store(s, AMI_SEC_KEY_UNICAST);
  *plain = ami_span_make(w.p, w.len);
  return AMI_OK;
}

/* Set up the security context of association config `ac` for a client
 * whose system title is `title` (may be empty when not ciphered). */
static int sec_setup(ami_server *s, const ami_server_assoc_cfg *ac,
                     ami_span title) {
  if (!s->cfg.crypto || !ac->has_keys)
    return AMI_E_NO_KEY;
  ami_sec_init(&s->sec, s->cfg.crypto);
  s->sec_ready = true;
  int rc = ami_sec_set_key(&s->sec, AMI_SEC_KEY_UNICAST, ac->ek, 16);
  if (rc == AMI_OK)
    rc = ami_sec_set_ak(&s->sec, ac->ak, 16);
  if (rc != AMI_OK)
    return rc;
  ami_sec_set_own_title(&s->sec, s->cfg.system_title);
  if (title.len == AMI_SEC_TITLE_LEN)
    ami_sec_set_peer_title(&s->sec, title.p);
  s->sec.policy = ac->security_policy &
                  (AMI_SEC_POLICY_REQUIRE_AUTH | AMI_SEC_POLICY_REQUIRE_ENC);
  if (s->cb && s->cb->ic_load) {
    ami_sec_counter c = s->sec.ic[AMI_SEC_KEY_UNICAST];
    rc = s->cb->ic_load(s->user_data, ac->client_address, AMI_SEC_KEY_UNICAST,
                        &c);
    if (rc != AMI_OK)
      return rc;
    s->sec.ic[AMI_SEC_KEY_UNICAST] = c;
  }
  return AMI_OK;
}

/* What an AARQ leads to. */
typedef struct aare_plan {
  int result;
  uint8_t diag;
  bool cse;          /* user-information: ConfirmedServiceError */
  uint8_t cse_value; /* initiate-error value */
  bool initiate;     /* user-information: InitiateResponse */
  bool hls;          /* send StoC */
} aare_plan;

/* Constant-time comparison of a secret. */
static bool secret_eq(const uint8_t *a, size_t alen, const uint8_t *b,
                      size_t blen) {
  if (alen != blen)
    return false;
  uint8_t d = 0;
  for (size_t i = 0; i < alen; i++)
    d |= (uint8_t)(a[i] ^ b[i]);
  return d == 0;
}

/* xDLMS InitiateRequest negotiation (IEC 62056-5-3 §8 InitiateRequest):
 * dlms version 6, conformance intersection, client max PDU. */
static void negotiate(ami_server *s, const ami_server_assoc_cfg *ac,
                      const ami_apdu_initiate_request *ir, aare_plan *pl) {
  if (ir->dlms_version < 6) {
    pl->cse = true;
    pl->cse_value = AMI_APDU_INITIATE_DLMS_VERSION_TOO_LOW;
    return;
  }
  uint32_t conf = ir->conformance & ac->conformance & 0xFFFFFFu;
  if (conf == 0) {
    pl->cse = true;
    pl->cse_value = AMI_APDU_INITIATE_INCOMPATIBLE_CONFORMANCE;
    return;
  }
  /* 0 would mean "no limit" in some stacks; the Green Book requires at
   * least 12 octets. */
  if (ir->max_pdu_size < 12) {
    pl->cse = true;
    pl->cse_value = AMI_APDU_INITIATE_PDU_SIZE_TOO_SHORT;
    return;
  }
  s->conformance = conf;
  s->client_max_pdu = ir->max_pdu_size;
  pl->initiate = true;
}

/* Judge an AARQ against the configuration; sets up security as needed. */
static int judge_aarq(ami_server *s, const ami_acse_aarq *rq,
                      const ami_server_assoc_cfg *ac, aare_plan *pl) {
  pl->result = AMI_ACSE_RESULT_REJECTED_PERMANENT;
  pl->diag = AMI_ACSE_DIAG_NO_REASON_GIVEN;
  if (!ac)
    return AMI_OK;
  if (rq->context.id != ac->context) {
    pl->diag = AMI_ACSE_DIAG_CONTEXT_NOT_SUPPORTED;
    return AMI_OK;
  }
  uint8_t mech = rq->mechanism.present ? rq->mechanism.id : AMI_ACSE_MECH_NONE;
  if (mech != ac->mechanism) {
    pl->diag = (ac->mechanism != AMI_ACSE_MECH_NONE && !rq->mechanism.present)
                   ? AMI_ACSE_DIAG_MECHANISM_REQUIRED
                   : AMI_ACSE_DIAG_MECHANISM_NOT_RECOGNISED;
    return AMI_OK;
  }
  bool ciphered = ac->context == AMI_ACSE_CTX_LN_CIPHERED;
  ami_span title = rq->calling_ap_title.present ? rq->calling_ap_title.value
                                                : ami_span_make(NULL, 0);
  bool hls = mech == AMI_ACSE_MECH_GMAC || mech == AMI_ACSE_MECH_SHA256;
  if ((ciphered || hls) && title.len != AMI_SEC_TITLE_LEN) {
    pl->diag = AMI_ACSE_DIAG_CALLING_AP_TITLE_NOT_RECOGNIZED;
    return AMI_OK;
  }
  if (mech == AMI_ACSE_MECH_LLS) {
    if (!rq->auth_value.present ||
        !secret_eq(rq->auth_value.value.p, rq->auth_value.value.len,
                   ac->password, ac->password_len)) {
      pl->diag = AMI_ACSE_DIAG_AUTHENTICATION_FAILURE;
      return AMI_OK;
    }
  } else if (hls) {
    ami_span c = rq->auth_value.value;
    if (!rq->auth_value.present || rq->auth_value.choice != 0 ||
        c.len < AMI_SEC_CHALLENGE_MIN || c.len > AMI_SEC_CHALLENGE_MAX) {
      pl->diag = AMI_ACSE_DIAG_AUTHENTICATION_FAILURE;
      return AMI_OK;
    }
    if (mech == AMI_ACSE_MECH_SHA256 &&
        (!s->cfg.crypto || !ac->hls_secret_len || !ac->hls_secret)) {
      ami__srv_error(s, AMI_E_NO_KEY, "HLS-SHA256 without crypto or secret");
      return AMI_OK;
    }
    memcpy(s->ctos, c.p, c.len);
    s->ctos_len = c.len;
    memcpy(s->peer_title, title.p, AMI_SEC_TITLE_LEN);
  } else if (mech != AMI_ACSE_MECH_NONE) {
    pl->diag = AMI_ACSE_DIAG_MECHANISM_NOT_RECOGNISED;
    return AMI_OK;
  }
  if (ciphered || mech == AMI_ACSE_MECH_GMAC) {
    int rc = sec_setup(s, ac, title);
    if (rc == AMI_E_NOMEM)
      return rc;
    if (rc != AMI_OK) {
      ami__srv_error(s, rc, "security setup failed");
      return AMI_OK;
    }
  }
  /* user-information: the InitiateRequest, ciphered in ciphered contexts. */
  if (!rq->user_info.present)
    return AMI_OK;
  const ami_apdu *ui = &rq->user_info.apdu;
  ami_apdu dec;
  if (ui->tag == AMI_APDU_GLO_INITIATE_REQUEST && ciphered) {
    ami_span plain;
    int rc = decipher_user_info(s, ui, &plain);
    if (rc == AMI_E_NOMEM)
      return rc;
    if (rc != AMI_OK || ami_apdu_decode(plain, &dec) != AMI_OK ||
        dec.tag != AMI_APDU_INITIATE_REQUEST) {
      ami__srv_error(s, rc, "InitiateRequest does not decipher");
      return AMI_OK;
    }
    s->req_ciphered = true;
    s->req_form = AMI_SEC_FORM_GLO;
    ui = &dec;
    if (dec.u.initiate_request.has_dedicated_key) {
      ami_span k = dec.u.initiate_request.dedicated_key;
      rc = ami_sec_set_key(&s->sec, AMI_SEC_KEY_DEDICATED, k.p, k.len);
      if (rc == AMI_E_NOMEM)
        return rc;
      if (rc != AMI_OK)
        return AMI_OK;
    }
  } else if (ui->tag != AMI_APDU_INITIATE_REQUEST ||
             (ciphered && ac->security_policy)) {
    return AMI_OK; /* plain InitiateRequest refused by the policy */
  }
  negotiate(s, ac, &ui->u.initiate_request, pl);
  if (pl->cse)
    return AMI_OK;
  pl->result = AMI_ACSE_RESULT_ACCEPTED;
  pl->diag = AMI_ACSE_DIAG_NULL;
  if (hls) {
    int rc = ami_sec_challenge(s->cfg.crypto, s->stoc, sizeof s->stoc);
    if (rc != AMI_OK) {
      ami__srv_error(s, rc, "no random challenge");
      pl->result = AMI_ACSE_RESULT_REJECTED_TRANSIENT;
      pl->diag = AMI_ACSE_DIAG_NO_REASON_GIVEN;
      pl->initiate = false;
      return AMI_OK;
    }
    pl->hls = true;
    pl->diag = AMI_ACSE_DIAG_AUTHENTICATION_REQUIRED;
  }
  return AMI_OK;
}

/* Encode the xDLMS APDU of the AARE / RLRE user-information into s->list,
 * ciphered when the request was; *ui receives the decoded form the ACSE
 * encoder wants. */
static int build_user_info(ami_server *s, const ami_apdu *plain_apdu,
                           ami_apdu *ui) {
  int rc = ami__srv_reserve(s, &s->list, 64 + AMI_SEC_OVERHEAD_MAX);
  if (rc != AMI_OK)
    return rc;
  uint8_t tmp[64];
  ami_wr w;
  ami_wr_init(&w, tmp, sizeof tmp);
  rc = ami_apdu_encode(&w, plain_apdu);
  if (rc != AMI_OK)
    return rc;
  if (!s->req_ciphered) {
    *ui = *plain_apdu;
    return AMI_OK;
  }
  ami_wr e;
  ami_wr_init(&e, s->list.p, s->list.cap);
  rc = ami_sec_encrypt(&s->sec, AMI_SEC_FORM_GLO, s->req_security,
                       ami_span_make(tmp, w.len), &e);
  if (rc != AMI_OK)
    return rc;
  ic_store(s, AMI_SEC_KEY_UNICAST);
  return ami_apdu_decode(ami_span_make(e.p, e.len), ui);
}

static int send_acse(ami_server *s, const ami_acse *a) {
  for (;;) {
    ami_wr w;
    ami_wr_init(&w, s->out.p, s->out.cap);
    int rc = ami_acse_encode(&w, a);
    if (rc == AMI_OK)
      return link_send(s, ami_span_make(w.p, w.len));
    if (rc != AMI_E_BUFFER_FULL || s->out.cap >= 4096) {
      ami__srv_error(s, rc, "encoding the ACSE response failed");
      return AMI_OK;
    }
    rc = ami__srv_reserve(s, &s->out, s->out.cap ? s->out.cap * 2 : 256);
    if (rc != AMI_OK)
      return rc;
  }
}

static const uint8_t acse_req_auth[2] = {0x07, 0x80}; /* authentication */

/* AARQ -> AARE (IEC 62056-5-3 §7.3.7, Green Book §9.3.3). */
static int handle_aarq(ami_server *s, ami_span in, uint16_t peer,
                       uint16_t own) {
  ami_acse rq;
  int rc = ami_acse_decode(in, &rq);
  bool ok = rc == AMI_OK && rq.tag == AMI_ACSE_AARQ;
  const ami_server_assoc_cfg *ac = NULL;
  aare_plan pl;
  memset(&pl, 0, sizeof pl);
  pl.result = AMI_ACSE_RESULT_REJECTED_PERMANENT;
  pl.diag = AMI_ACSE_DIAG_NO_REASON_GIVEN;
  s->req_ciphered = false;
  bool busy = s->state != AMI__SRV_IDLE;
  if (ok && !busy) {
    for (size_t i = 0; i < s->cfg.assoc_count; i++)
      if (s->cfg.assocs[i].client_address == peer)
        ac = &s->cfg.assocs[i];
    s->client_address = peer;
    s->own_address = own;
    rc = judge_aarq(s, &rq.u.aarq, ac, &pl);
    if (rc != AMI_OK) {
      assoc_drop(s);
      return rc;
    }
  }
  ami_acse a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_ACSE_AARE;
  ami_acse_aare *r = &a.u.aare;
  r->context.present = true;
  /* Echo the proposed context when we know its name, else ours. */
  r->context.id = ok && rq.u.aarq.context.id != AMI_ACSE_UNKNOWN
                      ? rq.u.aarq.context.id
                      : (ac ? ac->context : AMI_ACSE_CTX_LN);
  r->result.present = true;
  r->result.value = pl.result;
  r->diagnostic.present = true;
  r->diagnostic.source = AMI_ACSE_DIAG_USER;
  r->diagnostic.value = pl.diag;
  if (pl.hls || (s->sec_ready && s->req_ciphered)) {
    r->responding_ap_title.present = true;
    r->responding_ap_title.value =
        ami_span_make(s->cfg.system_title, AMI_SEC_TITLE_LEN);
  }
  if (pl.hls) {
    r->acse_requirements.present = true;
    r->acse_requirements.value = ami_span_make(acse_req_auth, 2);
    r->mechanism.present = true;
    r->mechanism.id = ac->mechanism;
    r->auth_value.present = true;
    r->auth_value.choice = 0;
    r->auth_value.value = ami_span_make(s->stoc, sizeof s->stoc);
  }
  ami_apdu x;
  memset(&x, 0, sizeof x);
  if (pl.initiate || pl.cse) {
    if (pl.initiate) {
      x.tag = AMI_APDU_INITIATE_RESPONSE;
      x.u.initiate_response.dlms_version = 6;
      x.u.initiate_response.conformance = s->conformance;
      x.u.initiate_response.max_pdu_size = ac->max_receive_pdu;
      x.u.initiate_response.vaa_name = s->cfg.vaa_name;
    } else {
      x.tag = AMI_APDU_CONFIRMED_SERVICE_ERROR;
      x.u.cse.service = AMI_APDU_CSE_INITIATE_ERROR;
      x.u.cse.error = AMI_APDU_SERVICE_ERROR_INITIATE;
      x.u.cse.value = pl.cse_value;
    }
    rc = build_user_info(s, &x, &r->user_info.apdu);
    if (rc == AMI_E_NOMEM) {
      assoc_drop(s);
      return rc;
    }
    r->user_info.present = rc == AMI_OK;
  }
  if (!busy && pl.result != AMI_ACSE_RESULT_ACCEPTED) {
    assoc_drop(s);
  } else if (!busy) {
    s->ac = ac;
    s->state = pl.hls ? AMI__SRV_HLS_PENDING : AMI__SRV_ASSOCIATED;
    ami__srv_blocks_reset(s);
  }
  rc = send_acse(s, &a);
  s->req_ciphered = false;
  if (!busy && s->state == AMI__SRV_ASSOCIATED && s->cb &&
      s->cb->on_associated) {
    ami_server_assoc_info info;
    ami__srv_info(s, &info);
    s->cb->on_associated(s, &info, s->user_data);
  }
  return rc;
}

/* RLRQ -> RLRE (IEC 62056-5-3 §7.3.8); the association returns to idle. */
static int handle_rlrq(ami_server *s, ami_span in) {
  ami_acse rq;
  int rc = ami_acse_decode(in, &rq);
  ami_acse a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_ACSE_RLRE;
  a.u.rlre.reason.present = true;
  a.u.rlre.reason.value = AMI_ACSE_RELEASE_NORMAL;
  int reason =
      rc == AMI_OK && rq.u.rlrq.reason.present ? rq.u.rlrq.reason.value : 0;
  s->req_ciphered = false;
  /* A ciphered InitiateRequest in the RLRQ is answered by a ciphered
   * InitiateResponse in the RLRE (Green Book §9.3.5). */
  if (rc == AMI_OK && s->sec_ready && s->ac && rq.u.rlrq.user_info.present &&
      rq.u.rlrq.user_info.apdu.tag == AMI_APDU_GLO_INITIATE_REQUEST) {
    ami_span plain;
    ami_apdu dec;
    rc = decipher_user_info(s, &rq.u.rlrq.user_info.apdu, &plain);
    if (rc == AMI_E_NOMEM)
      return rc;
    if (rc == AMI_OK && ami_apdu_decode(plain, &dec) == AMI_OK &&
        dec.tag == AMI_APDU_INITIATE_REQUEST) {
      ami_apdu x;
      memset(&x, 0, sizeof x);
      x.tag = AMI_APDU_INITIATE_RESPONSE;
      x.u.initiate_response.dlms_version = 6;
      x.u.initiate_response.conformance = s->conformance;
      x.u.initiate_response.max_pdu_size = s->ac->max_receive_pdu;
      x.u.initiate_response.vaa_name = s->cfg.vaa_name;
      s->req_ciphered = true;
      s->req_form = AMI_SEC_FORM_GLO;
      rc = build_user_info(s, &x, &a.u.rlre.user_info.apdu);
      if (rc == AMI_E_NOMEM)
        return rc;
      a.u.rlre.user_info.present = rc == AMI_OK;
    }
  }
  bool was = s->state != AMI__SRV_IDLE;
  uint16_t client = s->client_address;
  rc = send_acse(s, &a);
  s->req_ciphered = false;
  assoc_drop(s);
  if (was && s->cb && s->cb->on_released)
    s->cb->on_released(s, client, reason, s->user_data);
  return rc;
}

/* HLS pass 3 and 4 (Green Book §9.2.7.4, HLS-GMAC and HLS-SHA256): the
 * client's ACTION reply_to_HLS_authentication (class 15, 0-0:40.0.0.255,
 * method 1) carries f(StoC); when it verifies, the association is
 * established and the answer carries f(CtoS). The HLS-SHA256 digests are
 * those of ami_sec_hls_sha256, compared in constant time. */
int ami__srv_hls_reply(ami_server *s, const ami_apdu_action_request *rq) {
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_ACTION_RESPONSE;
  a.u.action_response.choice = 1;
  a.u.action_response.iip = rq->iip;
  ami_apdu_action_result *res = &a.u.action_response.result;
  ami_span f = ami_span_make(NULL, 0);
  int vrc = AMI_E_AUTH_FAILED;
  bool sha = s->ac->mechanism == AMI_ACSE_MECH_SHA256;
  ami_span secret = ami_span_make(s->ac->hls_secret, s->ac->hls_secret_len);
  ami_span stoc = ami_span_make(s->stoc, sizeof s->stoc);
  ami_span ctos = ami_span_make(s->ctos, s->ctos_len);
  if (rq->has_params) {
    ami_axdr_dec d;
    ami_axdr_dec_init(&d, rq->params.p, rq->params.len);
    if (ami_axdr_get_octets(&d, &f) == AMI_OK)
      vrc = sha ? ami_sec_hls_sha256_verify(s->cfg.crypto, secret,
                                            s->cfg.system_title, s->peer_title,
                                            stoc, ctos, f)
                : ami_sec_hls_gmac_verify(&s->sec, stoc, f);
  }
  uint8_t fc[AMI_CRYPTO_SHA256_LEN];
  size_t flen = sha ? AMI_CRYPTO_SHA256_LEN : AMI_SEC_GMAC_LEN;
  uint8_t ret[2 + sizeof fc];
  if (vrc == AMI_OK)
    vrc = sha ? ami_sec_hls_sha256(s->cfg.crypto, secret, s->cfg.system_title,
                                   s->peer_title, ctos, stoc, fc)
              : ami_sec_hls_gmac(&s->sec, ctos, fc);
  if (vrc == AMI_OK) {
    if (!sha)
      ic_store(s, AMI_SEC_KEY_UNICAST);
    ret[0] = AMI_AXDR_OCTET_STRING;
    ret[1] = (uint8_t)flen;
    memcpy(ret + 2, fc, flen);
    res->result = 0;
    res->has_return = true;
    res->ret.choice = 0;
    res->ret.data = ami_span_make(ret, 2 + flen);
    s->state = AMI__SRV_ASSOCIATED;
  } else {
    ami__srv_error(s, vrc, "HLS pass 3 failed");
    res->result = 250; /* other-reason */
  }
  int rc = ami__srv_send_apdu(s, &a);
  if (vrc != AMI_OK) {
    assoc_drop(s);
  } else if (s->cb && s->cb->on_associated) {
    ami_server_assoc_info info;
    ami__srv_info(s, &info);
    s->cb->on_associated(s, &info, s->user_data);
  }
  return rc;
}

/* ---------------------------------------------------------------------- */
/* xDLMS requests */

/* Decipher a ciphered request into s->plain and remember its form. Returns
 * AMI_OK with *plain, 1 when an exception was sent, or a fatal error. */
static int decipher_request(ami_server *s, ami_span in, ami_span *plain) {
  int rc = ami__srv_reserve(s, &s->plain, in.len);
  if (rc != AMI_OK)
    return rc;
  ami_wr w;
  ami_wr_init(&w, s->plain.p, s->plain.cap);
  ami_sec_info info;
  memset(&info, 0, sizeof info);
  rc = ami_sec_decrypt(&s->sec, in, &w, &info);
  if (rc == AMI_E_NOMEM)
    return rc;
  if (rc != AMI_OK) {
    ami__srv_error(s, rc, "request does not decipher");
    /* IEC 62056-5-3 §8 ExceptionResponse: service-error deciphering-error,
     * or invocation-counter-error with the counter expected next. */
    if (rc == AMI_E_REPLAY)
      rc = ami__srv_exception(
          s, 1, AMI_APDU_EXC_INVOCATION_COUNTER_ERROR,
          s->sec.ic[info.form == AMI_SEC_FORM_DED ||
                            info.form == AMI_SEC_FORM_GENERAL_DED
                        ? AMI_SEC_KEY_DEDICATED
                        : AMI_SEC_KEY_UNICAST]
                  .rx_last +
              1);
    else
      rc = ami__srv_exception(s, 1, 5, 0);
    return rc == AMI_OK ? 1 : rc;
  }
  s->req_ciphered = true;
  s->req_form = info.form;
  s->req_security = info.sc & (AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC);
  ic_store(s, (info.form == AMI_SEC_FORM_DED ||
               info.form == AMI_SEC_FORM_GENERAL_DED)
                  ? AMI_SEC_KEY_DEDICATED
                  : AMI_SEC_KEY_UNICAST);
  *plain = ami_span_make(w.p, w.len);
  return AMI_OK;
}

static bool is_hls_reply(const ami_apdu *a) {
  static const uint8_t ln[6] = {0, 0, 40, 0, 0, 255};
  return a->tag == AMI_APDU_ACTION_REQUEST && a->u.action_request.choice == 1 &&
         a->u.action_request.method.class_id == 15 &&
         a->u.action_request.method.id == 1 &&
         memcmp(a->u.action_request.method.obis, ln, 6) == 0;
}

/* One xDLMS APDU (not ACSE). */
int ami__srv_xdlms(ami_server *s, ami_span in, bool via_gbt) {
  s->req_ciphered = false;
  s->req_gbt = false;
  if (s->state == AMI__SRV_IDLE)
    return ami__srv_exception(s, 1, 1, 0); /* service-not-allowed */
  uint8_t tag = in.p[0];
  /* General-Block-Transfer (when negotiated) carries other APDUs, ciphered
   * or not; it is never itself ciphered. */
  if (tag == AMI_APDU_GENERAL_BLOCK_TRANSFER && !via_gbt &&
      (s->conformance & AMI__CONF_GBT)) {
    ami_apdu g;
    if (ami_apdu_decode(in, &g) != AMI_OK)
      return ami__srv_exception(s, 2, 3, 0);
    return ami__srv_gbt_recv(s, &g.u.gbt);
  }
  s->req_gbt = via_gbt;
  bool ciphered_ctx = s->ac->context == AMI_ACSE_CTX_LN_CIPHERED;
  bool ciph = ami_sec_plain_tag(tag, NULL) != 0 ||
              tag == AMI_SEC_TAG_GENERAL_GLO || tag == AMI_SEC_TAG_GENERAL_DED;
  ami_span plain = in;
  if (ciph) {
    if (!ciphered_ctx || !s->sec_ready)
      return ami__srv_exception(s, 1, 2, 0);
    int rc = decipher_request(s, in, &plain);
    if (rc != AMI_OK)
      return rc == 1 ? AMI_OK : rc;
  } else if (ciphered_ctx && s->ac->security_policy) {
    /* The security policy demands protection: plain requests refused. */
    ami__srv_error(s, AMI_E_SECURITY_CONTROL, "plain request refused");
    return ami__srv_exception(s, 1, 1, 0);
  }
  ami_apdu a;
  int rc = ami_apdu_decode(plain, &a);
  if (rc != AMI_OK) {
    /* service-unknown for tags we do not serve, else other-reason. */
    ami__srv_error(s, rc, "malformed or unknown APDU");
    return ami__srv_exception(
        s, 2, rc == AMI_E_APDU_TAG || rc == AMI_E_UNSUPPORTED ? 2 : 3, 0);
  }
  if (s->state == AMI__SRV_HLS_PENDING) {
    if (!is_hls_reply(&a))
      return ami__srv_exception(s, 1, 1, 0);
    return ami__srv_hls_reply(s, &a.u.action_request);
  }
  /* Services outside the negotiated conformance block are refused
   * (IEC 62056-5-3 §8, conformance bits get 19, set 20, action 23). The
   * block-transfer bits are not enforced: the recorded reference server
   * answers long GETs with blocks even when they were not negotiated. */
  uint32_t need = a.tag == AMI_APDU_GET_REQUEST      ? AMI__CONF_GET
                  : a.tag == AMI_APDU_SET_REQUEST    ? AMI__CONF_SET
                  : a.tag == AMI_APDU_ACTION_REQUEST ? AMI__CONF_ACTION
                                                     : 0;
  if (need && !(s->conformance & need))
    return ami__srv_exception(s, 1, 2, 0);
  switch (a.tag) {
  case AMI_APDU_GET_REQUEST:
    return ami__srv_get(s, &a.u.get_request);
  case AMI_APDU_SET_REQUEST:
    return ami__srv_set(s, &a.u.set_request);
  case AMI_APDU_ACTION_REQUEST:
    if (is_hls_reply(&a) &&
        ((s->ac->mechanism == AMI_ACSE_MECH_GMAC && s->sec_ready) ||
         s->ac->mechanism == AMI_ACSE_MECH_SHA256))
      return ami__srv_hls_reply(s, &a.u.action_request);
    return ami__srv_action(s, &a.u.action_request);
  default:
    return ami__srv_exception(s, 2, 2, 0); /* service-not-supported */
  }
}

static int handle_event(ami_server *s, const ami_link_event *ev) {
  switch (ev->kind) {
  case AMI_LINK_EV_APDU:
    if (ev->apdu.len == 0)
      return AMI_OK;
    switch (ev->apdu.p[0]) {
    case AMI_ACSE_AARQ:
      return handle_aarq(s, ev->apdu, ev->peer_address, ev->own_address);
    case AMI_ACSE_RLRQ:
      return handle_rlrq(s, ev->apdu);
    case AMI_ACSE_AARE:
    case AMI_ACSE_RLRE:
      ami__srv_error(s, AMI_E_APDU_TAG, "client sent a server APDU");
      return AMI_OK;
    default:
      return ami__srv_xdlms(s, ev->apdu, false);
    }
  case AMI_LINK_EV_DISCONNECTED:
    if (s->state != AMI__SRV_IDLE) {
      uint16_t client = s->client_address;
      assoc_drop(s);
      if (s->cb && s->cb->on_released)
        s->cb->on_released(s, client, -1, s->user_data);
    }
    return AMI_OK;
  case AMI_LINK_EV_ERROR:
    ami__srv_error(s, ev->error, "link dropped a frame");
    return AMI_OK;
  default:
    return AMI_OK;
  }
}

/* ---------------------------------------------------------------------- */
/* Push (IEC 62056-5-3 §8 DATA-NOTIFICATION service) */

/* Encode and send a DataNotification; ciphered (general-glo, A+E) when
 * the association config in force has a ciphered context. */
static int push_send(ami_server *s, ami_span data, uint32_t long_iip) {
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_DATA_NOTIFICATION;
  a.u.notification.long_iip = long_iip;
  a.u.notification.body = data;
  /* In a ciphered context the notification goes out general-glo-ciphered,
   * authenticated and encrypted. */
  s->req_ciphered = s->sec_ready && s->ac->context == AMI_ACSE_CTX_LN_CIPHERED;
  s->req_form = AMI_SEC_FORM_GENERAL_GLO;
  s->req_security = AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC;
  for (;;) {
    ami_wr w;
    ami_wr_init(&w, s->out.p, s->out.cap);
    int rc = ami_apdu_encode(&w, &a);
    if (rc == AMI_OK) {
      rc = ami__srv_send(s, ami_span_make(w.p, w.len));
      s->req_ciphered = false;
      return rc;
    }
    if (rc != AMI_E_BUFFER_FULL || data.len + 16 <= s->out.cap)
      return rc;
    rc = ami__srv_reserve(s, &s->out, data.len + 16);
    if (rc != AMI_OK)
      return rc;
  }
}

int ami_server_push(ami_server *s, ami_span data, uint32_t long_iip,
                    uint64_t now_ms) {
  if (!s || !data.p || data.len == 0)
    return AMI_E_INVAL;
  if (s->state != AMI__SRV_ASSOCIATED)
    return AMI_E_STATE;
  s->now_ms = now_ms;
  return push_send(s, data, long_iip);
}

int ami_server_push_unassociated(ami_server *s, uint16_t client_address,
                                 ami_span data, uint32_t long_iip,
                                 uint64_t now_ms) {
  if (!s || !data.p || data.len == 0)
    return AMI_E_INVAL;
  if (s->state != AMI__SRV_IDLE)
    return AMI_E_STATE;
  const ami_server_assoc_cfg *ac = NULL;
  for (size_t i = 0; i < s->cfg.assoc_count; i++)
    if (s->cfg.assocs[i].client_address == client_address)
      ac = &s->cfg.assocs[i];
  if (!ac)
    return AMI_E_NOT_FOUND;
  s->now_ms = now_ms;
  /* The keys are set up once per engine: the invocation counter then runs
   * on across the pushes of this connection (and from ic_load, if the
   * application persists it, across connections). */
  if (ac->context == AMI_ACSE_CTX_LN_CIPHERED &&
      (!s->sec_ready || s->ac != ac)) {
    if (s->sec_ready)
      ami_sec_free(&s->sec);
    s->sec_ready = false;
    int rc = sec_setup(s, ac, ami_span_make(NULL, 0));
    if (rc != AMI_OK)
      return rc;
  }
  s->ac = ac;
  s->client_address = client_address;
  return push_send(s, data, long_iip);
}

/* ---------------------------------------------------------------------- */
/* Sans-I/O entry points */

int ami_server_recv(ami_server *s, const uint8_t *p, size_t n,
                    uint64_t now_ms) {
  if (!s || (!p && n))
    return AMI_E_INVAL;
  if (n == 0)
    return AMI_OK;
  s->now_ms = now_ms;
  for (;;) {
    size_t used = 0;
    ami_link_event ev;
    memset(&ev, 0, sizeof ev);
    int rc = ami_link_recv(s->cfg.link, p, n, &used, now_ms, &ev);
    if (rc == AMI_E_AGAIN)
      return AMI_OK;
    if (rc != AMI_OK)
      return rc;
    if (used > n)
      return AMI_E_STATE;
    p += used;
    n -= used;
    rc = handle_event(s, &ev);
    if (rc != AMI_OK)
      return rc;
    if (used == 0 && ev.kind == AMI_LINK_EV_NONE)
      return AMI_OK;
  }
}

size_t ami_server_pull(ami_server *s, uint8_t *buf, size_t cap,
                       uint64_t now_ms) {
  if (!s || !buf || cap == 0)
    return 0;
  return ami_link_pull(s->cfg.link, buf, cap, now_ms);
}

bool ami_server_want_write(const ami_server *s) {
  return s && ami_link_want_write(s->cfg.link);
}

uint64_t ami_server_expiry(const ami_server *s) {
  return s ? ami_link_expiry(s->cfg.link) : AMI_LINK_NO_EXPIRY;
}

int ami_server_handle_expiry(ami_server *s, uint64_t now_ms) {
  if (!s)
    return AMI_E_INVAL;
  s->now_ms = now_ms;
  for (int i = 0; i < 16; i++) {
    ami_link_event ev;
    memset(&ev, 0, sizeof ev);
    int rc = ami_link_handle_expiry(s->cfg.link, now_ms, &ev);
    if (rc == AMI_E_AGAIN)
      return AMI_OK;
    if (rc != AMI_OK)
      return rc;
    rc = handle_event(s, &ev);
    if (rc != AMI_OK)
      return rc;
  }
  return AMI_OK;
}
