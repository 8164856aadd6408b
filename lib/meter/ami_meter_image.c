/*
 * ami_meter_image.c -- the Image Transfer interface class (class_id 18,
 * IEC 62056-6-2 §4.4.6, DLMS UA Blue Book "Image transfer") as meter
 * behaviour bound to an ami_cosem model: the block bitmap, the state
 * machine of image_transfer_status, and verification of the OpenAMI signed
 * image format (ECDSA P-256 over SHA-256) before any activation. The
 * format, the states and the Action-Results are documented in
 * include/ami/ami_meter_image.h.
 *
 *   not initiated --initiate--> initiated --verify ok--> verify ok
 *        ^                      |  ^   ^                   |  |
 *        |  (initiate from any  |  |   +--block (again)----+  | activate
 *        |   state restarts)    v  |                          v
 *        |                 verify failed <--(activate verifies  activate ok
 *        |                                  first, may fail)    / failed
 *
 * The signature is checked over the bytes READ BACK from the sink, i.e.
 * exactly what would be installed, never over the blocks as received.
 */
#include "ami/ami_meter_image.h"

#include <string.h>

#include "ami/ami_axdr.h"

#define DEFAULT_BLOCK_SIZE 128u
#define DEFAULT_MAX_IMAGE  (1024u * 1024u)

struct ami_meter_image {
  const ami_allocator *alloc;
  ami_meter_image_cfg cfg;
  ami_meter_image_status status;
  uint32_t size;    /* announced by initiate */
  uint32_t nblocks; /* blocks of the announced size */
  uint8_t ident[AMI_METER_IMAGE_MAX_IDENT];
  size_t ident_len;
  /* image_to_activate_info, valid while have_info. */
  bool have_info;
  uint8_t sig[AMI_METER_IMAGE_SIG_LEN];
  uint32_t payload_len;
  ami_cosem_object *obj, *fw_id;
  uint32_t max_blocks;
  uint8_t bits[]; /* (max_blocks + 7) / 8 bytes, bit n = block n (MSB first,
                     as an A-XDR bit-string) */
};

static bool bit_get(const ami_meter_image *img, uint32_t n) {
  return (img->bits[n / 8] & (0x80u >> (n % 8))) != 0;
}

static void bit_set(ami_meter_image *img, uint32_t n) {
  img->bits[n / 8] = (uint8_t)(img->bits[n / 8] | (0x80u >> (n % 8)));
}

/* image_first_not_transferred_block_number: the lowest block not yet
 * received; the number of blocks when none is missing. */
static uint32_t first_missing(const ami_meter_image *img) {
  for (uint32_t n = 0; n < img->nblocks; n++)
    if (!bit_get(img, n))
      return n;
  return img->nblocks;
}

int ami_meter_image_new(const ami_allocator *alloc,
                        const ami_meter_image_cfg *cfg, ami_meter_image **out) {
  if (out == NULL || cfg == NULL)
    return AMI_E_INVAL;
  *out = NULL;
  if (cfg->sink.write == NULL || cfg->sink.view == NULL)
    return AMI_E_INVAL;
  int rc = ami_crypto_check_ecdsa(cfg->crypto);
  if (rc != AMI_OK)
    return rc == AMI_E_INVAL ? AMI_E_UNSUPPORTED : rc;
  uint32_t bs = cfg->block_size ? cfg->block_size : DEFAULT_BLOCK_SIZE;
  uint32_t max = cfg->max_image_size ? cfg->max_image_size : DEFAULT_MAX_IMAGE;
  if (bs > 65535u || max < AMI_METER_IMAGE_OVERHEAD)
    return AMI_E_INVAL;
  uint32_t max_blocks = max / bs + (max % bs != 0);
  size_t bytes = sizeof(ami_meter_image) + (max_blocks + 7u) / 8u;
  ami_meter_image *img = ami_malloc(alloc, bytes);
  if (img == NULL)
    return AMI_E_NOMEM;
  memset(img, 0, bytes);
  img->alloc = alloc;
  img->cfg = *cfg;
  img->cfg.block_size = bs;
  img->cfg.max_image_size = max;
  img->max_blocks = max_blocks;
  img->status = AMI_METER_IMAGE_NOT_INITIATED;
  *out = img;
  return AMI_OK;
}

void ami_meter_image_free(ami_meter_image *img) {
  if (img != NULL)
    ami_free(img->alloc, img);
}

ami_meter_image_status ami_meter_image_get_status(const ami_meter_image *img) {
  return img->status;
}

static void emit(const ami_meter_image *img, ami_meter_event ev) {
  if (img->cfg.on_event)
    img->cfg.on_event(img->cfg.user_data, ev);
}

int ami_meter_image_header_encode(uint8_t out[AMI_METER_IMAGE_HEADER_LEN],
                                  ami_span target, ami_span identifier,
                                  uint32_t payload_len) {
  if (target.len == 0 || target.len > AMI_METER_IMAGE_TARGET_LEN ||
      identifier.len == 0 || identifier.len > AMI_METER_IMAGE_ID_LEN ||
      payload_len > UINT32_MAX - AMI_METER_IMAGE_OVERHEAD)
    return AMI_E_INVAL;
  memset(out, 0, AMI_METER_IMAGE_HEADER_LEN);
  memcpy(out, AMI_METER_IMAGE_MAGIC, 4);
  out[4] = AMI_METER_IMAGE_FORMAT;
  memcpy(out + 8, target.p, target.len);
  memcpy(out + 24, identifier.p, identifier.len);
  out[40] = (uint8_t)(payload_len >> 24);
  out[41] = (uint8_t)(payload_len >> 16);
  out[42] = (uint8_t)(payload_len >> 8);
  out[43] = (uint8_t)payload_len;
  return AMI_OK;
}

/* image_transfer_enabled (attribute 5) as the model stores it; an unbound
 * object (direct use) is enabled. */
static bool transfer_enabled(const ami_meter_image *img) {
  ami_span v;
  if (img->obj == NULL || ami_cosem_get_attr(img->obj, 5, &v) != AMI_OK)
    return img->obj == NULL;
  ami_axdr_dec d;
  bool on = false;
  ami_axdr_dec_init(&d, v.p, v.len);
  return ami_axdr_get_bool(&d, &on) == AMI_OK && on;
}

/* image_transfer_initiate (method 1): structure { image_identifier
 * octet-string, image_size double-long-unsigned }. Any earlier transfer is
 * forgotten: a fresh bitmap, status 1 (Blue Book: "initiates the Image
 * transfer process"). */
int ami_meter_image_initiate(ami_meter_image *img, ami_span params,
                             uint8_t *result) {
  ami_axdr_dec d;
  uint32_t n = 0, size = 0;
  ami_span id;
  ami_axdr_dec_init(&d, params.p, params.len);
  int rc = ami_axdr_get_struct(&d, &n);
  if (rc == AMI_OK && n != 2)
    rc = AMI_E_INCONSISTENT;
  if (rc == AMI_OK)
    rc = ami_axdr_get_octets(&d, &id);
  if (rc == AMI_OK)
    rc = ami_axdr_get_u32(&d, &size);
  if (rc != AMI_OK)
    return rc;
  *result = AMI_COSEM_DAR_OTHER_REASON;
  if (!transfer_enabled(img) || id.len == 0 ||
      id.len > AMI_METER_IMAGE_MAX_IDENT || size < AMI_METER_IMAGE_OVERHEAD ||
      size > img->cfg.max_image_size)
    return AMI_OK;
  if (img->cfg.sink.reset) {
    rc = img->cfg.sink.reset(img->cfg.sink.user_data, size);
    if (rc != AMI_OK)
      return rc;
  }
  uint32_t bs = img->cfg.block_size;
  img->size = size;
  img->nblocks = size / bs + (size % bs != 0);
  memset(img->bits, 0, (img->max_blocks + 7u) / 8u);
  memcpy(img->ident, id.p, id.len);
  img->ident_len = id.len;
  img->have_info = false;
  img->status = AMI_METER_IMAGE_TRANSFER_INITIATED;
  *result = AMI_COSEM_DAR_SUCCESS;
  return AMI_OK;
}

/* image_block_transfer (method 2): structure { image_block_number
 * double-long-unsigned, image_block_value octet-string }. Every block but
 * the last is exactly image_block_size long; the last holds the rest.
 * Blocks may come in any order and be sent again; a block after a
 * verification invalidates it (status back to 1). */
int ami_meter_image_block(ami_meter_image *img, ami_span params,
                          uint8_t *result) {
  ami_axdr_dec d;
  uint32_t n = 0, num = 0;
  ami_span value;
  ami_axdr_dec_init(&d, params.p, params.len);
  int rc = ami_axdr_get_struct(&d, &n);
  if (rc == AMI_OK && n != 2)
    rc = AMI_E_INCONSISTENT;
  if (rc == AMI_OK)
    rc = ami_axdr_get_u32(&d, &num);
  if (rc == AMI_OK)
    rc = ami_axdr_get_octets(&d, &value);
  if (rc != AMI_OK)
    return rc;
  *result = AMI_COSEM_DAR_OTHER_REASON;
  if (!(img->status == AMI_METER_IMAGE_TRANSFER_INITIATED ||
        img->status == AMI_METER_IMAGE_VERIFY_OK ||
        img->status == AMI_METER_IMAGE_VERIFY_FAILED) ||
      !transfer_enabled(img) || num >= img->nblocks)
    return AMI_OK;
  uint32_t bs = img->cfg.block_size;
  uint32_t off = num * bs;
  uint32_t want = img->size - off < bs ? img->size - off : bs;
  if (value.len != want)
    return AMI_OK;
  rc = img->cfg.sink.write(img->cfg.sink.user_data, off, value.p, value.len);
  if (rc != AMI_OK)
    return rc;
  bit_set(img, num);
  img->have_info = false;
  img->status = AMI_METER_IMAGE_TRANSFER_INITIATED;
  *result = AMI_COSEM_DAR_SUCCESS;
  return AMI_OK;
}

/* Copy len stored bytes at offset into dst through the sink's views. */
static int sink_copy(const ami_meter_image *img, uint32_t offset, uint8_t *dst,
                     size_t len) {
  while (len > 0) {
    ami_span v = {NULL, 0};
    int rc = img->cfg.sink.view(img->cfg.sink.user_data, offset, len, &v);
    if (rc != AMI_OK)
      return rc;
    if (v.len == 0 || v.len > len || v.p == NULL)
      return AMI_E_STORE; /* a sink that breaks its contract */
    memcpy(dst, v.p, v.len);
    dst += v.len;
    offset += (uint32_t)v.len;
    len -= v.len;
  }
  return AMI_OK;
}

/* SHA-256 of the stored bytes 0 .. len-1: the sink's views (valid until
 * its next write or reset) gathered into one list for the plugin. */
static int sink_sha256(const ami_meter_image *img, uint32_t len,
                       uint8_t digest[AMI_CRYPTO_SHA256_LEN]) {
  size_t cap = 16, n = 0;
  ami_span *parts = ami_malloc(img->alloc, cap * sizeof *parts);
  if (parts == NULL)
    return AMI_E_NOMEM;
  int rc = AMI_OK;
  uint32_t off = 0;
  while (rc == AMI_OK && off < len) {
    ami_span v = {NULL, 0};
    rc = img->cfg.sink.view(img->cfg.sink.user_data, off, len - off, &v);
    if (rc != AMI_OK)
      break;
    if (v.len == 0 || v.len > len - off || v.p == NULL) {
      rc = AMI_E_STORE;
      break;
    }
    if (n == cap) {
      ami_span *p = ami_realloc(img->alloc, parts, 2 * cap * sizeof *parts);
      if (p == NULL) {
        rc = AMI_E_NOMEM;
        break;
      }
      parts = p;
      cap *= 2;
    }
    parts[n++] = v;
    off += (uint32_t)v.len;
  }
  if (rc == AMI_OK)
    rc = img->cfg.crypto->sha256(img->cfg.crypto->user_data, parts, n, digest);
  ami_free(img->alloc, parts);
  return rc;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* The zero-padded field's length without its padding. */
static size_t unpadded(const uint8_t *p, size_t n) {
  while (n > 0 && p[n - 1] == 0)
    n--;
  return n;
}

/* True when every byte of p[0..n) is zero. */
static bool all_zero(const uint8_t *p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; i++)
    acc |= p[i];
  return acc == 0;
}

/* Check the stored image against the format (see the header): every block
 * present, the header well-formed, for this target, naming the identifier
 * announced by initiate, its length matching the announced size, and its
 * signature valid under the configured key. *ok receives the verdict;
 * the return value is AMI_OK or a sink / crypto backend error. */
static int check_image(ami_meter_image *img, bool *ok) {
  *ok = false;
  if (img->nblocks == 0 || first_missing(img) != img->nblocks)
    return AMI_OK;
  uint8_t h[AMI_METER_IMAGE_HEADER_LEN];
  int rc = sink_copy(img, 0, h, sizeof h);
  if (rc != AMI_OK)
    return rc;
  const uint8_t *target = h + 8, *id = h + 24;
  uint32_t plen = be32(h + 40);
  if (memcmp(h, AMI_METER_IMAGE_MAGIC, 4) != 0 ||
      h[4] != AMI_METER_IMAGE_FORMAT || !all_zero(h + 5, 3) ||
      !all_zero(h + 44, 4) ||
      memcmp(target, img->cfg.target, AMI_METER_IMAGE_TARGET_LEN) != 0)
    return AMI_OK;
  /* The announced identifier must be the signed one (no relabelling). */
  if (img->ident_len > AMI_METER_IMAGE_ID_LEN ||
      unpadded(id, AMI_METER_IMAGE_ID_LEN) != img->ident_len ||
      memcmp(id, img->ident, img->ident_len) != 0)
    return AMI_OK;
  if (plen > img->size - AMI_METER_IMAGE_OVERHEAD ||
      plen + AMI_METER_IMAGE_OVERHEAD != img->size)
    return AMI_OK;
  uint32_t signed_len = AMI_METER_IMAGE_HEADER_LEN + plen;
  uint8_t digest[AMI_CRYPTO_SHA256_LEN], sig[AMI_METER_IMAGE_SIG_LEN];
  rc = sink_sha256(img, signed_len, digest);
  if (rc == AMI_OK)
    rc = sink_copy(img, signed_len, sig, sizeof sig);
  if (rc != AMI_OK)
    return rc;
  const ami_crypto *c = img->cfg.crypto;
  rc = c->ecdsa_p256_verify(c->user_data, img->cfg.pubkey, digest, sig);
  if (rc == AMI_E_AUTH_FAILED || rc == AMI_E_INVAL)
    return AMI_OK; /* a bad signature, or a configured key off the curve */
  if (rc != AMI_OK)
    return rc;
  memcpy(img->sig, sig, sizeof sig);
  img->payload_len = plen;
  *ok = true;
  return AMI_OK;
}

/* Verification proper, shared by image_verify and image_activate: status 2
 * while it runs, then 3 or 4, with the event and image_to_activate_info. */
static int run_verify(ami_meter_image *img, uint8_t *result) {
  img->status = AMI_METER_IMAGE_VERIFY_INITIATED;
  img->have_info = false;
  bool ok = false;
  int rc = check_image(img, &ok);
  if (rc != AMI_OK) {
    img->status = AMI_METER_IMAGE_VERIFY_FAILED;
    return rc;
  }
  img->status = ok ? AMI_METER_IMAGE_VERIFY_OK : AMI_METER_IMAGE_VERIFY_FAILED;
  img->have_info = ok;
  *result = ok ? AMI_COSEM_DAR_SUCCESS : AMI_COSEM_DAR_OTHER_REASON;
  emit(img, ok ? AMI_EV_FIRMWARE_READY : AMI_EV_FIRMWARE_VERIFY_FAILED);
  return AMI_OK;
}

/* image_verify (method 3): possible once a transfer was initiated (and
 * again after a verification, e.g. once missing blocks were resent). */
int ami_meter_image_verify(ami_meter_image *img, uint8_t *result) {
  *result = AMI_COSEM_DAR_OTHER_REASON;
  if (!(img->status == AMI_METER_IMAGE_TRANSFER_INITIATED ||
        img->status == AMI_METER_IMAGE_VERIFY_OK ||
        img->status == AMI_METER_IMAGE_VERIFY_FAILED))
    return AMI_OK;
  return run_verify(img, result);
}

/* image_activate (method 4): only a verified image. A transferred but not
 * yet verified one is verified first (Blue Book: activation includes the
 * verification if it was not done); a failed verification refuses. On
 * success the application installs the image, the identifier register
 * takes the image's identifier, event 18. */
int ami_meter_image_activate(ami_meter_image *img, uint8_t *result) {
  *result = AMI_COSEM_DAR_OTHER_REASON;
  if (img->status == AMI_METER_IMAGE_TRANSFER_INITIATED) {
    int rc = run_verify(img, result);
    if (rc != AMI_OK || *result != AMI_COSEM_DAR_SUCCESS)
      return rc;
    *result = AMI_COSEM_DAR_OTHER_REASON;
  }
  if (img->status != AMI_METER_IMAGE_VERIFY_OK)
    return AMI_OK;
  img->status = AMI_METER_IMAGE_ACTIVATE_INITIATED;
  ami_meter_image_info info;
  info.identifier = ami_span_make(img->ident, img->ident_len);
  info.target = ami_span_make(
      img->cfg.target, unpadded(img->cfg.target, AMI_METER_IMAGE_TARGET_LEN));
  info.payload_offset = AMI_METER_IMAGE_HEADER_LEN;
  info.payload_len = img->payload_len;
  info.signature = img->sig;
  if (img->cfg.on_activate &&
      img->cfg.on_activate(img->cfg.user_data, &info) != AMI_OK) {
    img->status = AMI_METER_IMAGE_ACTIVATE_FAILED;
    return AMI_OK;
  }
  if (img->fw_id) {
    uint8_t v[2 + AMI_METER_IMAGE_MAX_IDENT];
    ami_wr w;
    ami_wr_init(&w, v, sizeof v);
    ami_axdr_put_octets(&w, img->ident, img->ident_len);
    int rc = ami_cosem_set_attr(img->fw_id, 2, ami_span_make(v, w.len));
    if (rc != AMI_OK) {
      img->status = AMI_METER_IMAGE_ACTIVATE_FAILED;
      return rc;
    }
  }
  img->status = AMI_METER_IMAGE_ACTIVATE_OK;
  *result = AMI_COSEM_DAR_SUCCESS;
  emit(img, AMI_EV_FIRMWARE_ACTIVATED);
  return AMI_OK;
}

/* ---- the model seam -------------------------------------------------------
 */

/* Attributes 2, 3, 4, 6 and 7 (Blue Book class 18); the rest (1, 5) come
 * from the model. */
static int image_read(void *ud, ami_cosem_object *obj, unsigned attr,
                      const ami_apdu_selection *sel, uint64_t now_ms,
                      ami_wr *out, uint8_t *dar) {
  ami_meter_image *img = ud;
  (void)obj;
  (void)now_ms;
  if (sel != NULL && sel->present)
    return AMI_E_NOT_FOUND; /* the model answers scope-of-access-violated */
  *dar = AMI_COSEM_DAR_SUCCESS;
  switch (attr) {
  case 2: /* image_block_size */
    ami_axdr_put_u32(out, img->cfg.block_size);
    return AMI_OK;
  case 3: /* image_transferred_blocks_status */
    ami_axdr_put_bitstring(out, img->bits, img->nblocks);
    return AMI_OK;
  case 4: /* image_first_not_transferred_block_number */
    ami_axdr_put_u32(out, first_missing(img));
    return AMI_OK;
  case 6: /* image_transfer_status */
    ami_axdr_put_enum(out, (uint8_t)img->status);
    return AMI_OK;
  case 7: /* image_to_activate_info */
    ami_axdr_put_array(out, img->have_info ? 1 : 0);
    if (img->have_info) {
      ami_axdr_put_struct(out, 3);
      ami_axdr_put_u32(out, img->size);
      ami_axdr_put_octets(out, img->ident, img->ident_len);
      ami_axdr_put_octets(out, img->sig, sizeof img->sig);
    }
    return AMI_OK;
  default:
    return AMI_E_NOT_FOUND;
  }
}

static int image_invoke(void *ud, ami_cosem_object *obj, unsigned method,
                        ami_span params, ami_wr *ret, bool *has_return,
                        uint8_t *result) {
  ami_meter_image *img = ud;
  (void)obj;
  (void)ret;
  *has_return = false;
  switch (method) {
  case 1:
    return ami_meter_image_initiate(img, params, result);
  case 2:
    return ami_meter_image_block(img, params, result);
  case 3:
    return ami_meter_image_verify(img, result);
  case 4:
    return ami_meter_image_activate(img, result);
  default:
    return AMI_E_NOT_FOUND;
  }
}

/* Find an object, or add it when absent. */
static int find_or_add(ami_cosem_model *m, uint16_t cls, ami_obis ln,
                       ami_cosem_object **out) {
  *out = ami_cosem_find(m, cls, ln);
  return *out ? AMI_OK : ami_cosem_add_object(m, cls, ln, out);
}

int ami_meter_image_bind(ami_meter_image *img, ami_cosem_model *m, ami_obis ln,
                         ami_obis fw_id_ln, ami_span active_id,
                         ami_cosem_object **image_obj,
                         ami_cosem_object **fw_id_obj) {
  ami_cosem_object *o, *f;
  int rc = find_or_add(m, 18, ln, &o);
  if (rc == AMI_OK)
    rc = find_or_add(m, 1, fw_id_ln, &f);
  if (rc != AMI_OK)
    return rc;
  static const uint8_t on[] = {AMI_AXDR_BOOLEAN, 1};
  rc = ami_cosem_set_attr(o, 5, ami_span_make(on, sizeof on));
  if (rc != AMI_OK)
    return rc;
  uint8_t v[2 + AMI_METER_IMAGE_MAX_IDENT];
  if (active_id.len > AMI_METER_IMAGE_MAX_IDENT)
    return AMI_E_INVAL;
  ami_wr w;
  ami_wr_init(&w, v, sizeof v);
  ami_axdr_put_octets(&w, active_id.p, active_id.len);
  rc = ami_cosem_set_attr(f, 2, ami_span_make(v, w.len));
  if (rc != AMI_OK)
    return rc;
  ami_cosem_callbacks cb;
  memset(&cb, 0, sizeof cb);
  cb.read = image_read;
  cb.invoke = image_invoke;
  cb.user_data = img;
  ami_cosem_object_set_callbacks(o, &cb);
  img->obj = o;
  img->fw_id = f;
  if (image_obj)
    *image_obj = o;
  if (fw_id_obj)
    *fw_id_obj = f;
  return AMI_OK;
}
