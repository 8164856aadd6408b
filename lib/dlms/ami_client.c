/*
 * ami_client.c -- the DLMS/COSEM client engine: lifecycle, the request
 * queue, the sans-I/O entry points (recv / pull / expiry), and the xDLMS
 * services GET (normal, with-list, selective access, datablocks), SET
 * (normal, datablocks) and ACTION (normal, pblocks) of IEC 62056-5-3 §9.3,
 * plus unsolicited DataNotification / EventNotification (pushes), and
 * General-Block-Transfer of requests and responses (§9.3.10).
 * The ACSE side (association, HLS, release) is in ami_client_assoc.c.
 */
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami_client_internal.h"

#define DEFAULT_TIMEOUT_MS   10000u
#define DEFAULT_MAX_RESPONSE (1u << 20)
#define DEFAULT_QUEUE        8u
#define DEFAULT_CONFORMANCE  0x001E1Du
/* Room for the xDLMS header around a block: tag, choice, iip, descriptor
 * (9), selection (up to a few), last, block number (4), length (5). */
#define BLOCK_HEADER_MAX 40u
/* Header of a GBT APDU: tag, block-control, block-number (2),
 * block-number-ack (2), octet-string length (up to 4). */
#define GBT_HEADER 10u

/* ---------------------------------------------------------------------- */
/* Small helpers */

void ami__client_log(ami_client *c, int level, const char *msg) {
  if (c->cb.log)
    c->cb.log(c, level, msg, c->user_data);
}

void ami__client_error(ami_client *c, int err, const char *what) {
  if (c->cb.on_error)
    c->cb.on_error(c, err, what, c->user_data);
}

static uint8_t iip(const ami_client *c) {
  return AMI_APDU_IIP(c->invoke_id, true, !c->cfg.normal_priority);
}

static void req_free(ami_client *c, ami__client_req *r) {
  ami_free(c->alloc, r->apdu);
  memset(r, 0, sizeof *r);
}

/* Report the outcome of the request in flight and make the engine ready for
 * the next one: the joined blocks are dropped, the deadline cleared. */
static void finish(ami_client *c, int err, size_t count, const ami_apdu *exc) {
  ami_client_response r;
  memset(&r, 0, sizeof r);
  r.id = c->cur.id;
  r.op = c->cur.op;
  r.error = err;
  r.count = err == AMI_OK ? count : 0;
  r.results = c->results;
  if (exc) {
    r.exception = true;
    r.state_error = exc->u.exception.state_error;
    r.service_error = exc->u.exception.service_error;
    r.count = 0;
  }
  ami__client_req done = c->cur;
  memset(&c->cur, 0, sizeof c->cur);
  c->busy = false;
  c->deadline = AMI_CLIENT_NO_EXPIRY;
  c->tx_blocks = false;
  if (c->cfg.rotate_invoke_id)
    c->invoke_id = (uint8_t)((c->invoke_id + 1u) & 0x0Fu);
  if (c->cb.on_response)
    c->cb.on_response(c, &r, c->user_data);
  /* The results may borrow join or the GBT buffers: release them only
   * after the callback. */
  ami_dynbuf_reset(&c->join);
  if (!c->busy) { /* unless the callback started the next request */
    ami_dynbuf_reset(&c->gbt_rx);
    ami_dynbuf_reset(&c->gbt_plain);
  }
  req_free(c, &done);
}

void ami__client_fail_all(ami_client *c, int err) {
  if (c->busy)
    finish(c, err, 0, NULL);
  while (c->qcount > 0) {
    c->cur = c->queue[c->qhead];
    memset(&c->queue[c->qhead], 0, sizeof c->queue[c->qhead]);
    c->qhead = (c->qhead + 1u) % c->cfg.queue_max;
    c->qcount--;
    c->busy = true;
    finish(c, err, 0, NULL);
  }
}

/* The association attempt ended. On failure the queued requests fail
 * first, so that on_associated may start a new attempt and queue afresh. */
void ami__client_assoc_done(ami_client *c, int result) {
  c->deadline = AMI_CLIENT_NO_EXPIRY;
  c->phase = result == AMI_OK ? AMI__CL_ASSOCIATED : AMI__CL_IDLE;
  c->gbt_on = result == AMI_OK && c->cfg.gbt &&
              (c->info.conformance & AMI_CONFORMANCE_GENERAL_BLOCK_TRANSFER);
  if (result != AMI_OK) {
    c->release_wanted = false;
    ami__client_fail_all(c, AMI_E_STATE);
  }
  if (c->cb.on_associated)
    c->cb.on_associated(c, result, &c->info, c->user_data);
}

/* ---------------------------------------------------------------------- */
/* Lifecycle */

/* Check the configuration and fill in the defaults. */
static int cfg_check(ami_client_cfg *k) {
  if (k->context == 0)
    k->context = AMI_ACSE_CTX_LN;
  if (k->context != AMI_ACSE_CTX_LN && k->context != AMI_ACSE_CTX_LN_CIPHERED)
    return AMI_E_INVAL;
  if (k->mechanism != AMI_ACSE_MECH_NONE && k->mechanism != AMI_ACSE_MECH_LLS &&
      k->mechanism != AMI_ACSE_MECH_GMAC &&
      k->mechanism != AMI_ACSE_MECH_SHA256)
    return AMI_E_INVAL;
  if (k->hls_secret_len > AMI_CLIENT_HLS_SECRET_MAX ||
      (k->hls_secret_len && !k->hls_secret))
    return AMI_E_INVAL;
  /* HLS-SHA256 hashes the secret with both system titles, also in a
   * plain context, and draws its challenge from the plugin. */
  if (k->mechanism == AMI_ACSE_MECH_SHA256 &&
      (k->hls_secret_len == 0 || ami_crypto_check(k->crypto) != AMI_OK))
    return AMI_E_INVAL;
  if (k->password_len > AMI_CLIENT_PASSWORD_MAX ||
      (k->password_len && !k->password))
    return AMI_E_INVAL;
  if (k->conformance == 0)
    k->conformance = DEFAULT_CONFORMANCE;
  if (k->gbt)
    k->conformance |= AMI_CONFORMANCE_GENERAL_BLOCK_TRANSFER;
  if (k->gbt_window == 0)
    k->gbt_window = 1;
  if (k->gbt_window > AMI_APDU_GBT_WINDOW_MASK)
    return AMI_E_INVAL;
  if (k->max_pdu_size == 0)
    k->max_pdu_size = 0xFFFFu;
  if (k->max_pdu_size < 64u || k->invoke_id > 15u)
    return AMI_E_INVAL;
  if (k->timeout_ms == 0)
    k->timeout_ms = DEFAULT_TIMEOUT_MS;
  if (k->max_response == 0)
    k->max_response = DEFAULT_MAX_RESPONSE;
  if (k->queue_max == 0)
    k->queue_max = DEFAULT_QUEUE;
  if (k->security == 0)
    k->security = AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC;
  if ((k->security & ~(unsigned)(AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC)) != 0)
    return AMI_E_INVAL;
  if (k->challenge_len == 0)
    k->challenge_len = 16;
  if (k->challenge_len < AMI_SEC_CHALLENGE_MIN ||
      k->challenge_len > AMI_SEC_CHALLENGE_MAX)
    return AMI_E_INVAL;
  if ((unsigned)k->cipher_form > (unsigned)AMI_SEC_FORM_GENERAL_DED)
    return AMI_E_INVAL;
  bool ded = k->cipher_form == AMI_SEC_FORM_DED ||
             k->cipher_form == AMI_SEC_FORM_GENERAL_DED;
  bool fixed = k->dedicated_key_len > 0 || k->dedicated_key != NULL;
  if (fixed &&
      (!k->dedicated_key || !k->dedicated_key_len || k->random_dedicated_key))
    return AMI_E_INVAL;
  if ((ded || fixed || k->random_dedicated_key) &&
      (k->context != AMI_ACSE_CTX_LN_CIPHERED ||
       !(fixed || k->random_dedicated_key)))
    return AMI_E_INVAL;
  return AMI_OK;
}

/* Set up the security context: keys, AK, own title. */
static int sec_setup(ami_client *c, const ami_client_cfg *cfg) {
  int rc = ami_crypto_check(cfg->crypto);
  if (rc != AMI_OK)
    return AMI_E_INVAL;
  bool need_ak = cfg->mechanism == AMI_ACSE_MECH_GMAC ||
                 (cfg->security & AMI_SEC_SC_AUTH) != 0;
  if (!cfg->ek || (need_ak && !cfg->ak) || cfg->suite > 2)
    return AMI_E_INVAL;
  ami_sec_init(&c->sec, cfg->crypto);
  c->sec.suite = cfg->suite;
  if ((rc = ami_sec_set_key(&c->sec, AMI_SEC_KEY_UNICAST, cfg->ek,
                            cfg->ek_len)) != AMI_OK)
    return rc;
  if (cfg->ak && (rc = ami_sec_set_ak(&c->sec, cfg->ak, cfg->ak_len)) != AMI_OK)
    return rc;
  if (cfg->lax_suite)
    c->sec.policy |= AMI_SEC_POLICY_LAX_SUITE;
  if (cfg->dedicated_key_len &&
      (rc = ami_sec_set_key(&c->sec, AMI_SEC_KEY_DEDICATED, cfg->dedicated_key,
                            cfg->dedicated_key_len)) != AMI_OK)
    return rc;
  ami_sec_set_own_title(&c->sec, cfg->system_title);
  /* Responses must carry at least the protection of our requests. */
  if (cfg->security & AMI_SEC_SC_AUTH)
    c->sec.policy |= AMI_SEC_POLICY_REQUIRE_AUTH;
  if (cfg->security & AMI_SEC_SC_ENC)
    c->sec.policy |= AMI_SEC_POLICY_REQUIRE_ENC;
  return AMI_OK;
}

int ami_client_new(ami_client **out, const ami_client_cfg *cfg,
                   const ami_client_callbacks *cb, void *user_data,
                   ami_link *link, const ami_allocator *alloc) {
  if (!out || !cfg || !link || !link->vt)
    return AMI_E_INVAL;
  *out = NULL;
  if (cb && cb->version != AMI_CLIENT_CALLBACKS_VERSION)
    return AMI_E_INVAL;
  ami_client_cfg k = *cfg;
  int rc = cfg_check(&k);
  if (rc != AMI_OK)
    return rc;
  ami_client *c = ami_malloc(alloc, sizeof *c);
  if (!c)
    return AMI_E_NOMEM;
  memset(c, 0, sizeof *c);
  c->alloc = alloc;
  c->link = link;
  c->user_data = user_data;
  if (cb)
    c->cb = *cb;
  c->invoke_id = k.invoke_id ? k.invoke_id : 1u;
  c->deadline = AMI_CLIENT_NO_EXPIRY;
  c->next_id = 1;
  ami_dynbuf_init(&c->join, k.max_response, alloc);
  ami_dynbuf_init(&c->gbt_tx, k.max_response, alloc);
  ami_dynbuf_init(&c->gbt_rx, k.max_response, alloc);
  ami_dynbuf_init(&c->gbt_plain, k.max_response, alloc);
  c->ciphered = k.context == AMI_ACSE_CTX_LN_CIPHERED;
  c->use_sec = c->ciphered || k.mechanism == AMI_ACSE_MECH_GMAC;
  if (k.password_len)
    memcpy(c->password, k.password, k.password_len);
  c->password_len = k.password_len;
  if (k.hls_secret_len)
    memcpy(c->hls_secret, k.hls_secret, k.hls_secret_len);
  c->hls_secret_len = k.hls_secret_len;
  if (k.dedicated_key_len > AMI_SEC_KEY_MAX) {
    rc = AMI_E_INVAL;
    goto fail;
  }
  if (k.dedicated_key_len)
    memcpy(c->ded_key, k.dedicated_key, k.dedicated_key_len);
  c->ded_len = k.dedicated_key_len;
  if (c->use_sec && (rc = sec_setup(c, &k)) != AMI_OK)
    goto fail;
  /* The borrowed pointers are not kept (keys live in the sec context). */
  k.password = NULL;
  k.hls_secret = NULL;
  k.ek = k.ak = k.dedicated_key = NULL;
  c->cfg = k;
  c->buf_cap = (size_t)k.max_pdu_size + AMI_SEC_OVERHEAD_MAX + 64u;
  c->txp = ami_malloc(alloc, c->buf_cap);
  c->txc = ami_malloc(alloc, c->buf_cap);
  c->rxp = ami_malloc(alloc, c->buf_cap);
  c->queue = ami_malloc(alloc, sizeof *c->queue * k.queue_max);
  if (!c->txp || !c->txc || !c->rxp || !c->queue) {
    rc = AMI_E_NOMEM;
    goto fail;
  }
  memset(c->queue, 0, sizeof *c->queue * k.queue_max);
  *out = c;
  return AMI_OK;
fail:
  c->cfg.queue_max = 0;
  ami_client_free(c);
  return rc;
}

void ami_client_free(ami_client *c) {
  if (!c)
    return;
  for (unsigned i = 0; c->queue && i < c->cfg.queue_max; i++)
    ami_free(c->alloc, c->queue[i].apdu);
  ami_free(c->alloc, c->cur.apdu);
  ami_free(c->alloc, c->queue);
  ami_free(c->alloc, c->txp);
  ami_free(c->alloc, c->txc);
  ami_free(c->alloc, c->rxp);
  ami_dynbuf_free(&c->join);
  ami_dynbuf_free(&c->gbt_tx);
  ami_dynbuf_free(&c->gbt_rx);
  ami_dynbuf_free(&c->gbt_plain);
  if (c->use_sec)
    ami_sec_free(&c->sec);
  memset(c->password, 0, sizeof c->password);
  memset(c->hls_secret, 0, sizeof c->hls_secret);
  memset(c->ded_key, 0, sizeof c->ded_key);
  ami_free(c->alloc, c);
}

int ami_client_associate(ami_client *c) {
  if (!c)
    return AMI_E_INVAL;
  if (c->phase != AMI__CL_IDLE)
    return AMI_E_STATE;
  memset(&c->info, 0, sizeof c->info);
  c->info.result = -1;
  c->phase = AMI__CL_CONNECTING;
  c->release_wanted = false;
  c->connect_issued = false;
  c->deadline = AMI_CLIENT_NO_EXPIRY; /* the next pull() connects the link */
  return AMI_OK;
}

int ami_client_release(ami_client *c) {
  if (!c)
    return AMI_E_INVAL;
  if (c->phase == AMI__CL_IDLE || c->phase == AMI__CL_RLRE_WAIT ||
      c->release_wanted)
    return AMI_E_STATE;
  c->release_wanted = true;
  return AMI_OK;
}

bool ami_client_is_associated(const ami_client *c) {
  return c && c->phase == AMI__CL_ASSOCIATED;
}

uint32_t ami_client_conformance(const ami_client *c) {
  return c ? c->info.conformance : 0;
}

uint16_t ami_client_server_max_pdu(const ami_client *c) {
  return c ? c->info.max_pdu_size : 0;
}

/* ---------------------------------------------------------------------- */
/* Queueing */

/* Encode `a` into an owned block and append a request to the queue. */
static int enqueue(ami_client *c, ami_client_op op, const ami_apdu *a,
                   size_t nitems, uint32_t *id) {
  if (!c || !id)
    return AMI_E_INVAL;
  *id = 0;
  if (c->phase == AMI__CL_IDLE || c->phase == AMI__CL_RLRE_WAIT ||
      c->release_wanted)
    return AMI_E_STATE;
  if (c->qcount >= c->cfg.queue_max)
    return AMI_E_LIMIT;
  /* Encode into a block that doubles until the request fits (bounded by
   * max_response); the block becomes the request's own copy. */
  ami_wr w;
  size_t cap = 256;
  uint8_t *buf = NULL;
  int rc;
  for (;;) {
    uint8_t *nb = ami_realloc(c->alloc, buf, cap);
    if (!nb) {
      ami_free(c->alloc, buf);
      return AMI_E_NOMEM;
    }
    buf = nb;
    ami_wr_init(&w, buf, cap);
    rc = ami_apdu_encode(&w, a);
    if (rc != AMI_E_BUFFER_FULL || cap >= c->cfg.max_response + 64u)
      break;
    cap *= 2;
  }
  if (rc != AMI_OK) {
    ami_free(c->alloc, buf);
    return rc == AMI_E_BUFFER_FULL ? AMI_E_LIMIT : rc;
  }
  unsigned slot = (c->qhead + c->qcount) % c->cfg.queue_max;
  ami__client_req *r = &c->queue[slot];
  memset(r, 0, sizeof *r);
  r->id = c->next_id++;
  if (c->next_id == 0)
    c->next_id = 1;
  r->op = op;
  r->apdu = buf;
  r->len = w.len;
  r->nitems = nitems;
  /* Value / parameters run to the end of SET / ACTION normal requests. */
  if (op == AMI_CLIENT_OP_SET) {
    r->tail = w.len - a->u.set_request.value.len;
    r->desc = a->u.set_request.attr;
    r->sel = a->u.set_request.sel;
    if (r->sel.present) /* the params end where the value starts */
      r->sel.params =
          ami_span_make(buf + r->tail - r->sel.params.len, r->sel.params.len);
  } else if (op == AMI_CLIENT_OP_ACTION) {
    r->tail = w.len - a->u.action_request.params.len;
    r->desc = a->u.action_request.method;
    r->has_params = a->u.action_request.has_params;
  }
  c->qcount++;
  *id = r->id;
  return AMI_OK;
}

static bool valid_sel(const ami_apdu_selection *sel) {
  return !sel || !sel->present || sel->params.len == 0 || sel->params.p;
}

int ami_client_get(ami_client *c, const ami_apdu_desc *desc,
                   const ami_apdu_selection *sel, uint32_t *id) {
  if (!desc || !valid_sel(sel))
    return AMI_E_INVAL;
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_GET_REQUEST;
  a.u.get_request.choice = 1;
  a.u.get_request.attr = *desc;
  if (sel && sel->present)
    a.u.get_request.sel = *sel;
  return enqueue(c, AMI_CLIENT_OP_GET, &a, 1, id);
}

int ami_client_get_list(ami_client *c, const ami_apdu_attr_sel *items, size_t n,
                        uint32_t *id) {
  if (!items || n == 0 || n > AMI_CLIENT_MAX_LIST)
    return AMI_E_INVAL;
  /* Encode the items into a scratch block (freed after enqueue copied). */
  size_t cap = 64u * n;
  for (size_t i = 0; i < n; i++)
    cap += items[i].sel.params.len;
  uint8_t *tmp = ami_malloc(c ? c->alloc : NULL, cap);
  if (!tmp)
    return AMI_E_NOMEM;
  ami_wr w;
  ami_wr_init(&w, tmp, cap);
  int rc = AMI_OK;
  for (size_t i = 0; i < n && rc == AMI_OK; i++)
    rc = ami_apdu_write_item(&w, AMI_APDU_ELEM_ATTR_SEL, &items[i]);
  if (rc == AMI_OK) {
    ami_apdu a;
    memset(&a, 0, sizeof a);
    a.tag = AMI_APDU_GET_REQUEST;
    a.u.get_request.choice = 3;
    a.u.get_request.list.count = (uint32_t)n;
    a.u.get_request.list.elem = AMI_APDU_ELEM_ATTR_SEL;
    a.u.get_request.list.items = ami_span_make(tmp, w.len);
    rc = enqueue(c, AMI_CLIENT_OP_GET_LIST, &a, n, id);
  }
  ami_free(c ? c->alloc : NULL, tmp);
  return rc;
}

int ami_client_set(ami_client *c, const ami_apdu_desc *desc,
                   const ami_apdu_selection *sel, ami_span value,
                   uint32_t *id) {
  if (!desc || !valid_sel(sel) || value.len == 0 || !value.p)
    return AMI_E_INVAL;
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_SET_REQUEST;
  a.u.set_request.choice = 1;
  a.u.set_request.attr = *desc;
  if (sel && sel->present)
    a.u.set_request.sel = *sel;
  a.u.set_request.value = value;
  return enqueue(c, AMI_CLIENT_OP_SET, &a, 1, id);
}

int ami_client_action(ami_client *c, const ami_apdu_desc *desc, ami_span params,
                      uint32_t *id) {
  if (!desc || (params.len && !params.p))
    return AMI_E_INVAL;
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_ACTION_REQUEST;
  a.u.action_request.choice = 1;
  a.u.action_request.method = *desc;
  a.u.action_request.has_params = params.len > 0;
  a.u.action_request.params = params;
  return enqueue(c, AMI_CLIENT_OP_ACTION, &a, 1, id);
}

/* ---------------------------------------------------------------------- */
/* Sending */

/* Size of `plain` once ciphered in `form` (IEC 62056-5-3 §8 ciphered APDU
 * shapes; see ami_sec.h), so that block sizes honour the server's max PDU
 * exactly. */
static size_t ciphered_len(const ami_client *c, ami_sec_form form,
                           size_t plain) {
  if (!c->ciphered)
    return plain;
  size_t content = AMI_SEC_HEADER_LEN + plain +
                   ((c->cfg.security & AMI_SEC_SC_AUTH) ? AMI_SEC_TAG_LEN : 0);
  size_t lenlen = content < 0x80u      ? 1u
                  : content < 0x100u   ? 2u
                  : content < 0x10000u ? 3u
                                       : 5u;
  size_t title =
      (form == AMI_SEC_FORM_GENERAL_GLO || form == AMI_SEC_FORM_GENERAL_DED)
          ? 1u + AMI_SEC_TITLE_LEN
          : 0u;
  return 1u + title + lenlen + content;
}

void ami__client_store_ic(ami_client *c) {
  if (c->cb.ic_store)
    c->cb.ic_store(c, c->sec.ic[AMI_SEC_KEY_UNICAST].tx_next, c->user_data);
}

int ami__client_send_xdlms(ami_client *c, ami_span plain, ami_sec_form form,
                           uint64_t now_ms) {
  ami_span out = plain;
  if (c->ciphered) {
    ami_wr w;
    ami_wr_init(&w, c->txc, c->buf_cap);
    int rc = ami_sec_encrypt(&c->sec, form, c->cfg.security, plain, &w);
    if (rc != AMI_OK)
      return rc;
    ami__client_store_ic(c);
    out = ami_span_make(c->txc, w.len);
  }
  /* IEC 62056-5-3 §9.3: no APDU larger than the peer's max receive PDU. */
  if (c->info.max_pdu_size && out.len > c->info.max_pdu_size)
    return AMI_E_PDU_TOO_LARGE;
  return ami_link_send_apdu(c->link, out, now_ms);
}

/* ---------------------------------------------------------------------- */
/* General-Block-Transfer (IEC 62056-5-3 §9.3.10; Green Book Ed. 8
 * §9.4.6.13): every GBT APDU we send, with data or an empty
 * acknowledgement, takes the next block number from 1 for each request;
 * block-number-ack names the server's last block received in order. */

/* Make b hold at least n bytes of capacity (contents forgotten), so that a
 * writer may fill it directly (deciphering, enciphering). */
static int dynbuf_room(ami_dynbuf *b, size_t n) {
  static const uint8_t zero[256];
  ami_dynbuf_reset(b);
  while (b->len < n) {
    size_t k = n - b->len < sizeof zero ? n - b->len : sizeof zero;
    int rc = ami_dynbuf_append(b, zero, k);
    if (rc != AMI_OK)
      return rc;
  }
  ami_dynbuf_reset(b);
  return AMI_OK;
}

/* Encode one GBT APDU (block number = the next one) into txp and hand it to
 * the link; the answer deadline restarts. */
static int gbt_emit(ami_client *c, bool last, ami_span data, uint64_t now_ms) {
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_GENERAL_BLOCK_TRANSFER;
  /* Our blocks never stream: one at a time, each waits for its answer. */
  a.u.gbt.block_control =
      (uint8_t)((last ? AMI_APDU_GBT_LAST : 0u) | c->cfg.gbt_window);
  a.u.gbt.block_number = ++c->gbt_tx_bn;
  a.u.gbt.block_number_ack = c->gbt_rx_bn;
  a.u.gbt.data = data;
  ami_wr w;
  ami_wr_init(&w, c->txp, c->buf_cap);
  int rc = ami_apdu_encode(&w, &a);
  if (rc != AMI_OK)
    return rc;
  if (c->info.max_pdu_size && w.len > c->info.max_pdu_size)
    return AMI_E_PDU_TOO_LARGE;
  rc = ami_link_send_apdu(c->link, ami_span_make(w.p, w.len), now_ms);
  if (rc == AMI_OK)
    c->deadline = now_ms + c->cfg.timeout_ms;
  return rc;
}

/* Send the next block of the request in gbt_tx, as large as the server's
 * max PDU (and our buffer) allow. */
static int gbt_send_next(ami_client *c, uint64_t now_ms) {
  size_t lim = c->info.max_pdu_size ? c->info.max_pdu_size : 0xFFFFu;
  if (lim > c->buf_cap)
    lim = c->buf_cap;
  if (lim <= GBT_HEADER)
    return AMI_E_PDU_TOO_LARGE;
  size_t room = lim - GBT_HEADER;
  size_t left = c->gbt_tx.len - c->gbt_tx_pos;
  size_t n = left < room ? left : room;
  int rc = gbt_emit(c, n == left, ami_span_make(c->gbt_tx.p + c->gbt_tx_pos, n),
                    now_ms);
  if (rc == AMI_OK)
    c->gbt_tx_pos += n;
  return rc;
}

/* Start sending the xDLMS APDU `plain` (ciphered first when the context
 * says so) in GBT blocks: a new transfer, numbered from 1. */
static int gbt_send(ami_client *c, ami_span plain, uint64_t now_ms) {
  c->gbt_tx_pos = 0;
  c->gbt_tx_bn = 0;
  c->gbt_rx_bn = 0;
  ami_dynbuf_reset(&c->gbt_rx);
  int rc;
  if (!c->ciphered) {
    ami_dynbuf_reset(&c->gbt_tx);
    rc = ami_dynbuf_append(&c->gbt_tx, plain.p, plain.len);
  } else {
    rc = dynbuf_room(&c->gbt_tx,
                     ciphered_len(c, c->cfg.cipher_form, plain.len) + 16u);
    if (rc == AMI_OK) {
      ami_wr w;
      ami_wr_init(&w, c->gbt_tx.p, c->gbt_tx.cap);
      rc = ami_sec_encrypt(&c->sec, c->cfg.cipher_form, c->cfg.security, plain,
                           &w);
      if (rc == AMI_OK) {
        c->gbt_tx.len = w.len;
        ami__client_store_ic(c);
      }
    }
  }
  if (rc != AMI_OK)
    return rc;
  return gbt_send_next(c, now_ms);
}

/* Encode `a` into txp and send it (in GBT when that is in use). */
static int send_apdu(ami_client *c, const ami_apdu *a, uint64_t now_ms) {
  ami_wr w;
  ami_wr_init(&w, c->txp, c->buf_cap);
  int rc = ami_apdu_encode(&w, a);
  if (rc != AMI_OK)
    return rc;
  if (c->gbt_on)
    return gbt_send(c, ami_span_make(c->txp, w.len), now_ms);
  return ami__client_send_xdlms(c, ami_span_make(c->txp, w.len),
                                c->cfg.cipher_form, now_ms);
}

/* The largest raw block that fits the server's max PDU with the header of
 * a SET / ACTION block APDU around it. */
static size_t raw_block_max(const ami_client *c) {
  size_t max = c->info.max_pdu_size;
  size_t over = ciphered_len(c, c->cfg.cipher_form, 0) + BLOCK_HEADER_MAX +
                c->cur.sel.params.len;
  if (max > c->buf_cap - 64u)
    max = c->buf_cap - 64u;
  return max > over + 16u ? max - over : 0;
}

/* IEC 62056-5-3 §9.3.5 / §9.3.7: send the next SET datablock or ACTION
 * pblock of the value in flight (the first one with the descriptor). */
static int send_next_block(ami_client *c, uint64_t now_ms) {
  size_t room = raw_block_max(c);
  if (room == 0)
    return AMI_E_PDU_TOO_LARGE;
  size_t total = c->cur.len - c->cur.tail;
  size_t n = total - c->tx_off < room ? total - c->tx_off : room;
  ami_apdu_datablock b;
  b.last = c->tx_off + n == total;
  b.block_number = ++c->tx_block;
  b.raw = ami_span_make(c->cur.apdu + c->cur.tail + c->tx_off, n);
  ami_apdu a;
  memset(&a, 0, sizeof a);
  bool first = c->tx_block == 1;
  if (c->cur.op == AMI_CLIENT_OP_SET) {
    a.tag = AMI_APDU_SET_REQUEST;
    a.u.set_request.choice = first ? 2 : 3;
    a.u.set_request.iip = iip(c);
    a.u.set_request.attr = c->cur.desc;
    a.u.set_request.sel = c->cur.sel;
    a.u.set_request.block = b;
  } else {
    a.tag = AMI_APDU_ACTION_REQUEST;
    a.u.action_request.choice = first ? 4 : 6;
    a.u.action_request.iip = iip(c);
    a.u.action_request.method = c->cur.desc;
    a.u.action_request.block = b;
  }
  int rc = send_apdu(c, &a, now_ms);
  if (rc == AMI_OK) {
    c->tx_off += n;
    c->deadline = now_ms + c->cfg.timeout_ms;
  }
  return rc;
}

/* Take the next request off the queue and send it. */
static void start_next(ami_client *c, uint64_t now_ms) {
  c->cur = c->queue[c->qhead];
  memset(&c->queue[c->qhead], 0, sizeof c->queue[c->qhead]);
  c->qhead = (c->qhead + 1u) % c->cfg.queue_max;
  c->qcount--;
  c->busy = true;
  c->block_next = 1;
  c->tx_off = 0;
  c->tx_block = 0;
  c->tx_blocks = false;
  ami_dynbuf_reset(&c->join);
  c->cur.apdu[2] = iip(c); /* tag, choice, invoke-id-and-priority */
  int rc;
  if (c->gbt_on) { /* GBT carries a request of any size */
    rc = gbt_send(c, ami_span_make(c->cur.apdu, c->cur.len), now_ms);
    if (rc != AMI_OK)
      finish(c, rc, 0, NULL);
    return;
  }
  size_t wire = ciphered_len(c, c->cfg.cipher_form, c->cur.len);
  if (wire > c->info.max_pdu_size || c->cur.len > c->buf_cap - 64u) {
    if (c->cur.op != AMI_CLIENT_OP_SET && c->cur.op != AMI_CLIENT_OP_ACTION) {
      finish(c, AMI_E_PDU_TOO_LARGE, 0, NULL);
      return;
    }
    if (c->cur.op == AMI_CLIENT_OP_ACTION && !c->cur.has_params) {
      finish(c, AMI_E_PDU_TOO_LARGE, 0, NULL);
      return;
    }
    c->tx_blocks = true;
    rc = send_next_block(c, now_ms);
  } else {
    memcpy(c->txp, c->cur.apdu, c->cur.len);
    rc = ami__client_send_xdlms(c, ami_span_make(c->txp, c->cur.len),
                                c->cfg.cipher_form, now_ms);
    c->deadline = now_ms + c->cfg.timeout_ms;
  }
  if (rc != AMI_OK)
    finish(c, rc, 0, NULL);
}

/* Whether pump() has something to send now. */
static bool can_send(const ami_client *c) {
  switch (c->phase) {
  case AMI__CL_CONNECTING:
    return !c->connect_issued;
  case AMI__CL_AARQ:
    return true;
  case AMI__CL_ASSOCIATED:
    return !c->busy && (c->qcount > 0 || c->release_wanted);
  default:
    return false;
  }
}

static void on_link_event(ami_client *c, const ami_link_event *ev,
                          uint64_t now_ms);

/* Advance the engine by at most one step that sends something. */
static void pump(ami_client *c, uint64_t now_ms) {
  if (!can_send(c))
    return;
  int rc;
  switch (c->phase) {
  case AMI__CL_CONNECTING:
    c->connect_issued = true;
    if (ami_link_is_connected(c->link)) {
      c->phase = AMI__CL_AARQ;
      pump(c, now_ms);
      return;
    }
    rc = ami_link_connect(c->link, now_ms);
    if (rc != AMI_OK) {
      ami__client_assoc_done(c, rc);
      return;
    }
    c->deadline = now_ms + c->cfg.timeout_ms;
    /* A link that connects at once reports it from handle_expiry. */
    ami_link_event ev;
    while (c->phase == AMI__CL_CONNECTING &&
           ami_link_handle_expiry(c->link, now_ms, &ev) == AMI_OK)
      on_link_event(c, &ev, now_ms);
    if (c->phase == AMI__CL_AARQ)
      pump(c, now_ms);
    return;
  case AMI__CL_AARQ:
    rc = ami__client_send_aarq(c, now_ms);
    if (rc != AMI_OK) {
      ami__client_assoc_done(c, rc);
      return;
    }
    c->phase = AMI__CL_AARE_WAIT;
    c->deadline = now_ms + c->cfg.timeout_ms;
    return;
  case AMI__CL_ASSOCIATED:
    if (c->qcount > 0) {
      start_next(c, now_ms);
      return;
    }
    c->release_wanted = false;
    rc = ami__client_send_rlrq(c, now_ms);
    c->phase = AMI__CL_RLRE_WAIT;
    c->deadline = now_ms + c->cfg.timeout_ms;
    if (rc != AMI_OK) {
      c->phase = AMI__CL_IDLE;
      c->deadline = AMI_CLIENT_NO_EXPIRY;
      if (c->cb.on_released)
        c->cb.on_released(c, rc, c->user_data);
    }
    return;
  default:
    return;
  }
}

/* ---------------------------------------------------------------------- */
/* Receiving */

int ami__client_decipher(ami_client *c, ami_span in, ami_span *plain) {
  ami_wr w;
  ami_wr_init(&w, c->rxp, c->buf_cap);
  ami_sec_info info;
  int rc = ami_sec_decrypt(&c->sec, in, &w, &info);
  if (rc != AMI_OK)
    return rc;
  *plain = ami_span_make(c->rxp, w.len);
  return AMI_OK;
}

/* Read an A-XDR length (the count of a SEQUENCE OF). */
static int read_count(ami_rd *r, uint32_t *n) {
  uint8_t b;
  int rc = ami_rd_u8(r, &b);
  if (rc != AMI_OK)
    return rc;
  if (b < 0x80u) {
    *n = b;
    return AMI_OK;
  }
  unsigned k = b & 0x7Fu;
  if (k == 0 || k > 4)
    return AMI_E_BAD_LENGTH;
  uint32_t v = 0;
  for (unsigned i = 0; i < k; i++) {
    if ((rc = ami_rd_u8(r, &b)) != AMI_OK)
      return rc;
    v = (v << 8) | b;
  }
  *n = v;
  return AMI_OK;
}

/* Fill results from a list of Get-Data-Result and finish the request. */
static void finish_list(ami_client *c, const ami_apdu_list *list) {
  if (list->count != c->cur.nitems || list->count > AMI_CLIENT_MAX_LIST) {
    finish(c, AMI_E_INCONSISTENT, 0, NULL);
    return;
  }
  ami_apdu_iter it;
  ami_apdu_iter_init(&it, list);
  for (uint32_t i = 0; i < list->count; i++) {
    ami_apdu_get_result g;
    int rc = ami_apdu_next_get_result(&it, &g);
    if (rc != 1) {
      finish(c, rc < 0 ? rc : AMI_E_APDU_MALFORMED, 0, NULL);
      return;
    }
    c->results[i].dar = g.choice == 0 ? 0 : g.dar;
    c->results[i].data = g.choice == 0 ? g.data : ami_span_make(NULL, 0);
  }
  finish(c, AMI_OK, list->count, NULL);
}

/* The GET blocks are all in: deliver the joined value or list. */
static void finish_joined(ami_client *c) {
  ami_span all = ami_span_make(c->join.p, c->join.len);
  if (c->cur.op == AMI_CLIENT_OP_GET_LIST) {
    /* raw-data of a with-list response: SEQUENCE OF Get-Data-Result. */
    ami_rd r;
    ami_rd_init(&r, all.p, all.len);
    ami_apdu_list list;
    list.elem = AMI_APDU_ELEM_GET_RESULT;
    int rc = read_count(&r, &list.count);
    if (rc != AMI_OK) {
      finish(c, rc, 0, NULL);
      return;
    }
    list.items = ami_span_make(ami_rd_ptr(&r), ami_rd_left(&r));
    finish_list(c, &list);
    return;
  }
  size_t used = 0;
  int rc = ami_axdr_validate(all, &used);
  if (rc == AMI_OK && used != all.len)
    rc = AMI_E_TRAILING;
  if (rc != AMI_OK) {
    finish(c, rc, 0, NULL);
    return;
  }
  c->results[0].dar = 0;
  c->results[0].data = all;
  finish(c, AMI_OK, 1, NULL);
}

/* IEC 62056-5-3 §9.3.4: GET-Response normal, with-datablock, with-list. */
static void on_get_response(ami_client *c, const ami_apdu_get_response *g,
                            uint64_t now_ms) {
  if (g->choice == 1 && c->cur.op == AMI_CLIENT_OP_GET && c->block_next == 1) {
    c->results[0].dar = g->result.choice == 0 ? 0 : g->result.dar;
    c->results[0].data = g->result.data;
    finish(c, AMI_OK, 1, NULL);
    return;
  }
  if (g->choice == 3 && c->cur.op == AMI_CLIENT_OP_GET_LIST &&
      c->block_next == 1) {
    finish_list(c, &g->list);
    return;
  }
  if (g->choice != 2 ||
      (c->cur.op != AMI_CLIENT_OP_GET && c->cur.op != AMI_CLIENT_OP_GET_LIST)) {
    finish(c, AMI_E_APDU_CHOICE, 0, NULL);
    return;
  }
  const ami_apdu_datablock_g *b = &g->block;
  if (b->block_number != c->block_next) {
    finish(c, AMI_E_BLOCK_NUMBER, 0, NULL);
    return;
  }
  if (b->choice != 0) { /* the server gave up: data-access-result */
    c->results[0].dar = b->dar;
    c->results[0].data = ami_span_make(NULL, 0);
    finish(c, AMI_OK, 1, NULL);
    return;
  }
  int rc = ami_dynbuf_append(&c->join, b->raw.p, b->raw.len);
  if (rc != AMI_OK) {
    finish(c, rc, 0, NULL);
    return;
  }
  if (b->last) {
    finish_joined(c);
    return;
  }
  /* Ask for the next block (get-request-next acknowledges this one). */
  c->block_next++;
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_GET_REQUEST;
  a.u.get_request.choice = 2;
  a.u.get_request.iip = iip(c);
  a.u.get_request.block_number = b->block_number;
  rc = send_apdu(c, &a, now_ms);
  if (rc != AMI_OK)
    finish(c, rc, 0, NULL);
  else
    c->deadline = now_ms + c->cfg.timeout_ms;
}

/* IEC 62056-5-3 §9.3.6: SET-Response normal / datablock / last-datablock. */
static void on_set_response(ami_client *c, const ami_apdu_set_response *s,
                            uint64_t now_ms) {
  if (c->cur.op != AMI_CLIENT_OP_SET) {
    finish(c, AMI_E_APDU_CHOICE, 0, NULL);
    return;
  }
  bool more = c->tx_blocks && c->tx_off < c->cur.len - c->cur.tail;
  /* A normal response ends the request at any point: a server may refuse
   * a transfer in blocks before its end. */
  if (s->choice == 1 || (s->choice == 3 && c->tx_blocks && !more)) {
    if (s->choice == 3 && s->block_number != c->tx_block) {
      finish(c, AMI_E_BLOCK_NUMBER, 0, NULL);
      return;
    }
    c->results[0].dar = s->result;
    c->results[0].data = ami_span_make(NULL, 0);
    finish(c, AMI_OK, 1, NULL);
    return;
  }
  if (s->choice == 2 && more) {
    if (s->block_number != c->tx_block) {
      finish(c, AMI_E_BLOCK_NUMBER, 0, NULL);
      return;
    }
    int rc = send_next_block(c, now_ms);
    if (rc != AMI_OK)
      finish(c, rc, 0, NULL);
    return;
  }
  finish(c, AMI_E_APDU_CHOICE, 0, NULL);
}

/* IEC 62056-5-3 §9.3.7: ACTION-Response normal / next-pblock / with-pblock
 * (the server's return parameters in blocks, joined and delivered as one
 * Data). */
static void on_action_response(ami_client *c, const ami_apdu_action_response *r,
                               uint64_t now_ms) {
  if (c->cur.op != AMI_CLIENT_OP_ACTION) {
    finish(c, AMI_E_APDU_CHOICE, 0, NULL);
    return;
  }
  bool more = c->tx_blocks && c->tx_off < c->cur.len - c->cur.tail;
  int rc;
  if (r->choice == 1 && c->block_next == 1) { /* also a refusal mid-pblocks */
    c->results[0].dar = r->result.result;
    c->results[0].data = ami_span_make(NULL, 0);
    if (r->result.has_return && r->result.ret.choice == 0)
      c->results[0].data = r->result.ret.data;
    finish(c, AMI_OK, 1, NULL);
    return;
  }
  if (r->choice == 4 && more) {
    if (r->block_number != c->tx_block) {
      finish(c, AMI_E_BLOCK_NUMBER, 0, NULL);
      return;
    }
    if ((rc = send_next_block(c, now_ms)) != AMI_OK)
      finish(c, rc, 0, NULL);
    return;
  }
  if (r->choice == 2 && !more) {
    if (r->block.block_number != c->block_next) {
      finish(c, AMI_E_BLOCK_NUMBER, 0, NULL);
      return;
    }
    if ((rc = ami_dynbuf_append(&c->join, r->block.raw.p, r->block.raw.len)) !=
        AMI_OK) {
      finish(c, rc, 0, NULL);
      return;
    }
    if (r->block.last) {
      c->block_next = 1;
      finish_joined(c);
      return;
    }
    c->block_next++;
    ami_apdu a;
    memset(&a, 0, sizeof a);
    a.tag = AMI_APDU_ACTION_REQUEST;
    a.u.action_request.choice = 2; /* next-pblock */
    a.u.action_request.iip = iip(c);
    a.u.action_request.block_number = r->block.block_number;
    if ((rc = send_apdu(c, &a, now_ms)) != AMI_OK)
      finish(c, rc, 0, NULL);
    else
      c->deadline = now_ms + c->cfg.timeout_ms;
    return;
  }
  finish(c, AMI_E_APDU_CHOICE, 0, NULL);
}

static void on_push(ami_client *c, const ami_apdu *a) {
  ami_client_push p;
  memset(&p, 0, sizeof p);
  p.tag = a->tag;
  if (a->tag == AMI_APDU_DATA_NOTIFICATION) {
    p.long_iip = a->u.notification.long_iip;
    p.date_time = a->u.notification.date_time;
    p.body = a->u.notification.body;
  } else {
    if (a->u.event.has_time)
      p.date_time = a->u.event.time;
    p.attr = a->u.event.attr;
    p.body = a->u.event.value;
  }
  if (c->cb.on_push)
    c->cb.on_push(c, &p, c->user_data);
}

/* The invoke-id-and-priority of a response, by its tag. */
static uint8_t response_iip(const ami_apdu *a) {
  switch (a->tag) {
  case AMI_APDU_GET_RESPONSE:
    return a->u.get_response.iip;
  case AMI_APDU_SET_RESPONSE:
    return a->u.set_response.iip;
  default:
    return a->u.action_response.iip;
  }
}

/* An APDU that cannot be processed: a lone one is dropped and reported
 * (the request in flight, if any, waits on); a response joined from GBT
 * blocks ends the request with the error, as nothing else can answer it. */
static void reject(ami_client *c, bool via_gbt, int err, const char *what) {
  if (via_gbt && c->busy)
    finish(c, err, 0, NULL);
  else
    ami__client_error(c, err, what);
}

/* Decipher a response joined from GBT blocks into gbt_plain (it may be
 * larger than our max PDU, hence larger than rxp). */
static int gbt_decipher(ami_client *c, ami_span in, ami_span *plain) {
  int rc = dynbuf_room(&c->gbt_plain, in.len);
  if (rc != AMI_OK)
    return rc;
  ami_wr w;
  ami_wr_init(&w, c->gbt_plain.p, c->gbt_plain.cap);
  ami_sec_info info;
  if ((rc = ami_sec_decrypt(&c->sec, in, &w, &info)) != AMI_OK)
    return rc;
  c->gbt_plain.len = w.len;
  *plain = ami_span_make(c->gbt_plain.p, w.len);
  return AMI_OK;
}

static void on_xdlms(ami_client *c, ami_span in, bool via_gbt, uint64_t now_ms);

/* IEC 62056-5-3 §9.3.10: one GBT APDU from the server, for the request in
 * flight: an acknowledgement of our block (send the next), or a block of
 * the response (join it; acknowledge it unless the server streams on;
 * process the whole once the last block is in). */
static void on_gbt(ami_client *c, ami_span in, uint64_t now_ms) {
  ami_apdu a;
  int rc = ami_apdu_decode(in, &a);
  if (rc != AMI_OK) {
    reject(c, c->gbt_on, rc, "malformed GBT APDU dropped");
    return;
  }
  if (!c->busy || !c->gbt_on || c->phase != AMI__CL_ASSOCIATED) {
    ami__client_error(c, AMI_E_STATE, "unexpected GBT APDU dropped");
    return;
  }
  const ami_apdu_gbt *g = &a.u.gbt;
  bool last = (g->block_control & AMI_APDU_GBT_LAST) != 0;
  if (c->gbt_rx_bn != 0 && g->block_number == c->gbt_rx_bn) {
    ami__client_log(c, AMI_CLIENT_LOG_WARN, "duplicate GBT block ignored");
    return;
  }
  /* Blocks in order, each acknowledging the last block we sent. Lost
   * blocks are not recovered: the request fails. */
  if (g->block_number != (uint16_t)(c->gbt_rx_bn + 1u) ||
      g->block_number_ack != c->gbt_tx_bn) {
    finish(c, AMI_E_BLOCK_NUMBER, 0, NULL);
    return;
  }
  c->gbt_rx_bn = g->block_number;
  bool sending = c->gbt_tx_pos < c->gbt_tx.len;
  if (g->data.len == 0 && !last) { /* the server wants our next block */
    rc = sending ? gbt_send_next(c, now_ms) : AMI_E_BLOCK_NUMBER;
    if (rc != AMI_OK)
      finish(c, rc, 0, NULL);
    return;
  }
  if (sending) { /* an answer before our last block */
    finish(c, AMI_E_BLOCK_NUMBER, 0, NULL);
    return;
  }
  if ((rc = ami_dynbuf_append(&c->gbt_rx, g->data.p, g->data.len)) != AMI_OK) {
    finish(c, rc, 0, NULL);
    return;
  }
  if (!last) {
    /* Inside a streamed window the server sends on; the block with the
     * streaming bit clear ends the window and waits for our ack. */
    if (g->block_control & AMI_APDU_GBT_STREAMING)
      c->deadline = now_ms + c->cfg.timeout_ms;
    else if ((rc = gbt_emit(c, false, ami_span_make(NULL, 0), now_ms)) !=
             AMI_OK)
      finish(c, rc, 0, NULL);
    return;
  }
  on_xdlms(c, ami_span_make(c->gbt_rx.p, c->gbt_rx.len), true, now_ms);
}

/* One whole APDU from the link. */
static void on_apdu(ami_client *c, ami_span in, uint64_t now_ms) {
  if (in.len == 0)
    return;
  if (in.len > c->cfg.max_pdu_size) {
    ami__client_error(c, AMI_E_PDU_TOO_LARGE, "APDU over our max PDU dropped");
    return;
  }
  uint8_t tag = in.p[0];
  if (ami_acse_is_tag(tag)) {
    if (c->phase == AMI__CL_AARE_WAIT && tag == AMI_ACSE_AARE)
      ami__client_on_aare(c, in, now_ms);
    else if (c->phase == AMI__CL_RLRE_WAIT && tag == AMI_ACSE_RLRE)
      ami__client_on_rlre(c, in);
    else
      ami__client_error(c, AMI_E_STATE, "unexpected ACSE APDU dropped");
    return;
  }
  if (tag == AMI_APDU_GENERAL_BLOCK_TRANSFER) {
    on_gbt(c, in, now_ms);
    return;
  }
  on_xdlms(c, in, false, now_ms);
}

/* One xDLMS APDU, from the link or joined from GBT blocks (via_gbt). */
static void on_xdlms(ami_client *c, ami_span in, bool via_gbt,
                     uint64_t now_ms) {
  if (in.len == 0) {
    reject(c, via_gbt, AMI_E_TRUNCATED, "empty APDU dropped");
    return;
  }
  uint8_t tag = in.p[0];
  ami_span plain = in;
  if (via_gbt && tag == AMI_APDU_GENERAL_BLOCK_TRANSFER) {
    reject(c, via_gbt, AMI_E_APDU_TAG, "GBT inside GBT");
    return;
  }
  if (ami_apdu_is_ciphered(tag)) {
    if (!c->use_sec) {
      reject(c, via_gbt, AMI_E_NO_KEY, "ciphered APDU without keys dropped");
      return;
    }
    int rc = via_gbt ? gbt_decipher(c, in, &plain)
                     : ami__client_decipher(c, in, &plain);
    if (rc != AMI_OK) {
      reject(c, via_gbt, rc, "ciphered APDU dropped");
      return;
    }
  } else if (c->ciphered && tag != AMI_APDU_EXCEPTION_RESPONSE) {
    /* In a ciphered association the server answers ciphered (only an
     * exception about deciphering itself may come in clear). */
    reject(c, via_gbt, AMI_E_SECURITY_CONTROL,
           "unciphered APDU in a ciphered association dropped");
    return;
  }
  ami_apdu a;
  size_t used = 0;
  int rc = ami_apdu_decode_prefix(plain, &a, &used);
  if (rc == AMI_OK && used < plain.len) /* seen from the Gurux server */
    ami__client_log(c, AMI_CLIENT_LOG_WARN,
                    "bytes after a complete APDU ignored");
  if (rc != AMI_OK) {
    if (c->busy && c->phase == AMI__CL_ASSOCIATED)
      finish(c, rc, 0, NULL);
    else
      ami__client_error(c, rc, "malformed APDU dropped");
    return;
  }
  if (a.tag == AMI_APDU_DATA_NOTIFICATION ||
      a.tag == AMI_APDU_EVENT_NOTIFICATION_REQUEST) {
    on_push(c, &a);
    return;
  }
  if (c->phase == AMI__CL_HLS_WAIT) {
    ami__client_on_hls_reply(c, &a);
    return;
  }
  bool response = a.tag == AMI_APDU_GET_RESPONSE ||
                  a.tag == AMI_APDU_SET_RESPONSE ||
                  a.tag == AMI_APDU_ACTION_RESPONSE;
  if (!c->busy || (!response && a.tag != AMI_APDU_EXCEPTION_RESPONSE)) {
    reject(c, via_gbt, AMI_E_STATE, "unexpected APDU dropped");
    return;
  }
  if (a.tag == AMI_APDU_EXCEPTION_RESPONSE) {
    finish(c, AMI_OK, 0, &a);
    return;
  }
  if (AMI_APDU_IIP_INVOKE_ID(response_iip(&a)) != c->invoke_id) {
    reject(c, via_gbt, AMI_E_STATE, "response to another invoke-id dropped");
    return;
  }
  if (a.tag == AMI_APDU_GET_RESPONSE)
    on_get_response(c, &a.u.get_response, now_ms);
  else if (a.tag == AMI_APDU_SET_RESPONSE)
    on_set_response(c, &a.u.set_response, now_ms);
  else
    on_action_response(c, &a.u.action_response, now_ms);
}

static void on_link_event(ami_client *c, const ami_link_event *ev,
                          uint64_t now_ms) {
  switch (ev->kind) {
  case AMI_LINK_EV_CONNECTED:
    if (c->phase == AMI__CL_CONNECTING) {
      c->phase = AMI__CL_AARQ;
      c->deadline = AMI_CLIENT_NO_EXPIRY;
    }
    return;
  case AMI_LINK_EV_APDU:
    on_apdu(c, ev->apdu, now_ms);
    return;
  case AMI_LINK_EV_DISCONNECTED:
    if (c->phase >= AMI__CL_CONNECTING && c->phase <= AMI__CL_HLS_WAIT) {
      ami__client_assoc_done(c, AMI_E_CLOSED);
    } else if (c->phase == AMI__CL_ASSOCIATED ||
               c->phase == AMI__CL_RLRE_WAIT) {
      c->phase = AMI__CL_IDLE;
      c->deadline = AMI_CLIENT_NO_EXPIRY;
      c->release_wanted = false;
      ami__client_fail_all(c, AMI_E_CLOSED);
      if (c->cb.on_released)
        c->cb.on_released(c, AMI_E_CLOSED, c->user_data);
    }
    return;
  case AMI_LINK_EV_ERROR:
    ami__client_error(c, ev->error, "link dropped a frame");
    return;
  default:
    return;
  }
}

/* ---------------------------------------------------------------------- */
/* The sans-I/O entry points */

int ami_client_recv(ami_client *c, const uint8_t *p, size_t n,
                    uint64_t now_ms) {
  if (!c || (n && !p))
    return AMI_E_INVAL;
  size_t off = 0;
  do {
    size_t used = 0;
    ami_link_event ev;
    memset(&ev, 0, sizeof ev);
    int rc = ami_link_recv(c->link, p + off, n - off, &used, now_ms, &ev);
    if (used > n - off)
      return AMI_E_STATE;
    off += used;
    if (rc == AMI_E_AGAIN)
      break;
    if (rc != AMI_OK)
      return rc;
    on_link_event(c, &ev, now_ms);
  } while (off < n || n == 0);
  return AMI_OK;
}

size_t ami_client_pull(ami_client *c, uint8_t *buf, size_t cap,
                       uint64_t now_ms) {
  if (!c)
    return 0;
  pump(c, now_ms);
  return ami_link_pull(c->link, buf, cap, now_ms);
}

bool ami_client_want_write(const ami_client *c) {
  return c && (can_send(c) || ami_link_want_write(c->link));
}

uint64_t ami_client_expiry(const ami_client *c) {
  if (!c)
    return AMI_CLIENT_NO_EXPIRY;
  uint64_t l = ami_link_expiry(c->link);
  return l < c->deadline ? l : c->deadline;
}

int ami_client_handle_expiry(ami_client *c, uint64_t now_ms) {
  if (!c)
    return AMI_E_INVAL;
  ami_link_event ev;
  int rc;
  while ((rc = ami_link_handle_expiry(c->link, now_ms, &ev)) == AMI_OK)
    on_link_event(c, &ev, now_ms);
  if (rc != AMI_E_AGAIN)
    return rc;
  if (c->deadline > now_ms)
    return AMI_OK;
  c->deadline = AMI_CLIENT_NO_EXPIRY;
  switch (c->phase) {
  case AMI__CL_CONNECTING:
  case AMI__CL_AARE_WAIT:
  case AMI__CL_HLS_WAIT:
    ami__client_assoc_done(c, AMI_E_TIMEOUT);
    break;
  case AMI__CL_ASSOCIATED:
    if (c->busy)
      finish(c, AMI_E_TIMEOUT, 0, NULL);
    break;
  case AMI__CL_RLRE_WAIT:
    c->phase = AMI__CL_IDLE;
    if (c->cb.on_released)
      c->cb.on_released(c, AMI_E_TIMEOUT, c->user_data);
    break;
  default:
    break;
  }
  return AMI_OK;
}
