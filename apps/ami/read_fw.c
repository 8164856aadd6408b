/*
 * read_fw.c -- `ami read ... fw-update FILE`: a firmware image sent to a
 * meter through its Image Transfer object (class 18, 0-0:44.0.0).
 *
 * The sequence is the one IEC 62056-6-2 (Blue Book, class 18) lays down:
 *
 *   GET   image_block_size (2), image_transfer_enabled (5)
 *   ACTION image_transfer_initiate (1)   {identifier, size}
 *   ACTION image_block_transfer (2) xN   {block number from 0, block}
 *   GET   image_first_not_transferred_block_number (4) -> resend from there
 *   ACTION image_verify (3)              -> temporary-failure: poll
 *   GET   image_transfer_status (6)      until 3 verified / 4 failed
 *   ACTION image_activate (4)            -> temporary-failure: poll
 *   GET   image_transfer_status (6)      until 6 activated / 7 failed
 *
 * Blocks are pipelined (a window of requests in flight; the client engine
 * sends them in order). Polls are spaced by a timer pulled through
 * ami_read_fw_expiry, so the loop never spins. The meter decides whether
 * the image is acceptable (for OpenAMI meters: an ECDSA P-256 signature by
 * the configured key); this side only transfers and reports.
 */
#include "read_fw.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_axdr.h"

#define FW_WINDOW     8u
#define FW_POLL_MS    200u
#define FW_MAX_POLLS  300u
#define FW_STATUS_ATT 6

static const uint8_t IMAGE_LN[6] = {0, 0, 44, 0, 0, 255};

typedef enum {
  S_BLOCK_SIZE,
  S_ENABLED,
  S_INITIATE,
  S_BLOCKS,
  S_CHECK,
  S_VERIFY,
  S_VERIFY_POLL,
  S_ACTIVATE,
  S_ACTIVATE_POLL,
  S_DONE
} fw_state;

struct ami_read_fw {
  uint8_t *image;
  size_t size;
  char ident[64];
  fw_state st;
  uint32_t block_size, nblocks;
  uint32_t next_block; /* next block number to send */
  uint32_t in_flight;  /* block requests outstanding */
  uint32_t ids[FW_WINDOW + 2];
  size_t nids;
  uint64_t poll_at; /* UINT64_MAX: no poll pending */
  unsigned polls;
  uint32_t resent;
  bool failed;
  char msg[256];
};

/* ---- requests ---------------------------------------------------------- */

static void track(ami_read_fw *fw, uint32_t id) {
  if (fw->nids < sizeof fw->ids / sizeof fw->ids[0])
    fw->ids[fw->nids++] = id;
}

static void fail(ami_read_fw *fw, const char *what) {
  fw->failed = true;
  fw->st = S_DONE;
  snprintf(fw->msg, sizeof fw->msg, "%s", what);
}

static void get_attr(ami_read_fw *fw, ami_client *c, int8_t attr) {
  ami_apdu_desc d = {18, {0}, attr};
  memcpy(d.obis, IMAGE_LN, 6);
  uint32_t id;
  int rc = ami_client_get(c, &d, NULL, &id);
  if (rc != AMI_OK)
    fail(fw, ami_strerror(rc));
  else
    track(fw, id);
}

static void action(ami_read_fw *fw, ami_client *c, int8_t method,
                   const uint8_t *params, size_t n) {
  ami_apdu_desc d = {18, {0}, method};
  memcpy(d.obis, IMAGE_LN, 6);
  uint32_t id;
  int rc = ami_client_action(c, &d, ami_span_make(params, n), &id);
  if (rc != AMI_OK)
    fail(fw, ami_strerror(rc));
  else
    track(fw, id);
}

/* image_block_transfer for block `num`: structure {double-long-unsigned,
 * octet-string}. */
static void send_block(ami_read_fw *fw, ami_client *c, uint32_t num) {
  size_t off = (size_t)num * fw->block_size;
  size_t len =
      fw->size - off < fw->block_size ? fw->size - off : fw->block_size;
  size_t cap = len + 16;
  uint8_t *p = malloc(cap);
  if (!p) {
    fail(fw, "out of memory");
    return;
  }
  ami_wr w;
  ami_wr_init(&w, p, cap);
  ami_axdr_put_struct(&w, 2);
  ami_axdr_put_u32(&w, num);
  ami_axdr_put_octets(&w, fw->image + off, len);
  action(fw, c, 2, p, w.len);
  free(p);
  fw->in_flight++;
}

static void fill_window(ami_read_fw *fw, ami_client *c) {
  while (fw->st == S_BLOCKS && fw->in_flight < FW_WINDOW &&
         fw->next_block < fw->nblocks)
    send_block(fw, c, fw->next_block++);
  if (fw->st == S_BLOCKS && fw->in_flight == 0 &&
      fw->next_block >= fw->nblocks) {
    fw->st = S_CHECK;
    get_attr(fw, c, 4);
  }
}

static void verify_or_activate(ami_read_fw *fw, ami_client *c, int8_t m) {
  static const uint8_t zero[] = {0x0F, 0x00}; /* integer 0 */
  action(fw, c, m, zero, sizeof zero);
}

/* ---- API ---------------------------------------------------------------- */

int ami_read_fw_new(ami_read_fw **out, const char *path, const char *ident) {
  *out = NULL;
  size_t n = 0;
  char *img = ami_cli_read_all(path, &n);
  if (!img)
    return -1;
  if (n == 0) {
    fprintf(stderr, "ami read: %s is empty\n", path);
    free(img);
    return -1;
  }
  ami_read_fw *fw = calloc(1, sizeof *fw);
  if (!fw) {
    free(img);
    return -1;
  }
  fw->image = (uint8_t *)img;
  fw->size = n;
  fw->poll_at = UINT64_MAX;
  if (ident) {
    snprintf(fw->ident, sizeof fw->ident, "%s", ident);
  } else if (n >= 48 && !memcmp(img, "OAFW", 4)) {
    /* An OpenAMI signed image (include/ami/ami_meter_image.h): the
     * identifier the meter will check is in its header, bytes 24..39. */
    size_t k = 0;
    while (k < 16 && img[24 + k])
      k++;
    memcpy(fw->ident, img + 24, k);
    fw->ident[k] = '\0';
  } else { /* the file's base name without its extension */
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(fw->ident, sizeof fw->ident, "%s", b);
    char *dot = strrchr(fw->ident, '.');
    if (dot && dot != fw->ident)
      *dot = '\0';
  }
  *out = fw;
  return 0;
}

void ami_read_fw_free(ami_read_fw *fw) {
  if (!fw)
    return;
  free(fw->image);
  free(fw);
}

void ami_read_fw_start(ami_read_fw *fw, ami_client *c) {
  fw->st = S_BLOCK_SIZE;
  get_attr(fw, c, 2);
}

bool ami_read_fw_owns(const ami_read_fw *fw, uint32_t id) {
  for (size_t i = 0; i < fw->nids; i++)
    if (fw->ids[i] == id)
      return true;
  return false;
}

static void untrack(ami_read_fw *fw, uint32_t id) {
  for (size_t i = 0; i < fw->nids; i++)
    if (fw->ids[i] == id) {
      fw->ids[i] = fw->ids[--fw->nids];
      return;
    }
}

/* A response's single result: its DAR / action-result, and its Data. */
static uint8_t result_of(const ami_client_response *r, ami_span *data) {
  *data = ami_span_make(NULL, 0);
  if (r->error != AMI_OK || r->count < 1)
    return 0xFF;
  *data = r->results[0].data;
  return r->results[0].dar;
}

static void poll_later(ami_read_fw *fw, uint64_t now) {
  if (++fw->polls > FW_MAX_POLLS) {
    fail(fw, "the meter did not finish in time");
    return;
  }
  fw->poll_at = now + FW_POLL_MS;
}

static void on_status(ami_read_fw *fw, ami_client *c, uint8_t status,
                      uint64_t now) {
  (void)c;
  if (fw->st == S_VERIFY_POLL) {
    if (status == 3) { /* verification successful */
      fprintf(stderr, "ami read: image verified\n");
      fw->st = S_ACTIVATE;
      fw->polls = 0;
      verify_or_activate(fw, c, 4);
    } else if (status == 4) {
      fail(fw, "image verification failed (image_transfer_status 4): the "
               "meter rejected the image (signature, size or target)");
    } else {
      poll_later(fw, now);
    }
  } else if (fw->st == S_ACTIVATE_POLL) {
    if (status == 6) {
      fw->st = S_DONE;
      snprintf(fw->msg, sizeof fw->msg, "image '%s' activated", fw->ident);
    } else if (status == 7) {
      fail(fw, "image activation failed (image_transfer_status 7)");
    } else {
      poll_later(fw, now);
    }
  }
}

void ami_read_fw_on_response(ami_read_fw *fw, ami_client *c,
                             const ami_client_response *r, uint64_t now) {
  untrack(fw, r->id);
  if (fw->st == S_DONE)
    return;
  ami_span data;
  uint8_t res = result_of(r, &data);
  if (r->error != AMI_OK) {
    char m[128];
    snprintf(m, sizeof m, "image transfer step failed: %s",
             ami_strerror(r->error));
    fail(fw, m);
    return;
  }
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, data.p, data.len);
  char m[160];
  switch (fw->st) {
  case S_BLOCK_SIZE: {
    uint32_t bs = 0;
    if (res != 0 || ami_axdr_get_u32(&d, &bs) != AMI_OK || bs == 0) {
      snprintf(m, sizeof m,
               "cannot read image_block_size of 0-0:44.0.0 (result %u)", res);
      fail(fw, m);
      return;
    }
    fw->block_size = bs;
    fw->nblocks = (uint32_t)((fw->size + bs - 1) / bs);
    fw->st = S_ENABLED;
    get_attr(fw, c, 5);
    return;
  }
  case S_ENABLED: {
    bool en = false;
    if (res != 0 || ami_axdr_get_bool(&d, &en) != AMI_OK || !en) {
      fail(fw, "image transfer is not enabled in the meter "
               "(image_transfer_enabled false or unreadable)");
      return;
    }
    fprintf(stderr, "ami read: sending '%s', %zu bytes in %u blocks of %u\n",
            fw->ident, fw->size, fw->nblocks, fw->block_size);
    uint8_t p[96];
    ami_wr w;
    ami_wr_init(&w, p, sizeof p);
    ami_axdr_put_struct(&w, 2);
    ami_axdr_put_octets(&w, fw->ident, strlen(fw->ident));
    ami_axdr_put_u32(&w, (uint32_t)fw->size);
    fw->st = S_INITIATE;
    action(fw, c, 1, p, w.len);
    return;
  }
  case S_INITIATE:
    if (res != 0) {
      snprintf(m, sizeof m, "image_transfer_initiate refused (result %u)", res);
      fail(fw, m);
      return;
    }
    fw->st = S_BLOCKS;
    fill_window(fw, c);
    return;
  case S_BLOCKS:
    fw->in_flight--;
    if (res != 0) {
      snprintf(m, sizeof m, "image_block_transfer refused (result %u)", res);
      fail(fw, m);
      return;
    }
    fill_window(fw, c);
    return;
  case S_CHECK: {
    uint32_t first = 0;
    if (res != 0 || ami_axdr_get_u32(&d, &first) != AMI_OK) {
      fail(fw, "cannot read image_first_not_transferred_block_number");
      return;
    }
    if (first < fw->nblocks) { /* the meter lost some: resend from there */
      if (++fw->resent > fw->nblocks) {
        fail(fw, "the meter keeps missing blocks");
        return;
      }
      fw->next_block = first;
      fw->st = S_BLOCKS;
      fill_window(fw, c);
      return;
    }
    fprintf(stderr, "ami read: %u blocks transferred, verifying\n",
            fw->nblocks);
    fw->st = S_VERIFY;
    verify_or_activate(fw, c, 3);
    return;
  }
  case S_VERIFY:
  case S_ACTIVATE:
    if (res == 0) {
      if (fw->st == S_VERIFY) {
        fprintf(stderr, "ami read: image verified\n");
        fw->st = S_ACTIVATE;
        verify_or_activate(fw, c, 4);
      } else {
        fw->st = S_DONE;
        snprintf(fw->msg, sizeof fw->msg, "image '%s' activated", fw->ident);
      }
    } else if (res == 2) { /* temporary-failure: in progress, poll */
      fw->st = fw->st == S_VERIFY ? S_VERIFY_POLL : S_ACTIVATE_POLL;
      poll_later(fw, now);
    } else {
      snprintf(m, sizeof m, "%s refused (action-result %u)%s",
               fw->st == S_VERIFY ? "image_verify" : "image_activate", res,
               fw->st == S_VERIFY ? ": the image did not verify" : "");
      fail(fw, m);
    }
    return;
  case S_VERIFY_POLL:
  case S_ACTIVATE_POLL: {
    uint8_t status = 0;
    if (res != 0 || ami_axdr_get_enum(&d, &status) != AMI_OK) {
      fail(fw, "cannot read image_transfer_status");
      return;
    }
    on_status(fw, c, status, now);
    return;
  }
  case S_DONE:
    return;
  }
}

uint64_t ami_read_fw_expiry(const ami_read_fw *fw) {
  return fw->st == S_DONE ? UINT64_MAX : fw->poll_at;
}

void ami_read_fw_handle_expiry(ami_read_fw *fw, ami_client *c, uint64_t now) {
  if (fw->poll_at == UINT64_MAX || now < fw->poll_at || fw->st == S_DONE)
    return;
  fw->poll_at = UINT64_MAX;
  get_attr(fw, c, FW_STATUS_ATT);
}

bool ami_read_fw_done(const ami_read_fw *fw) {
  return fw->st == S_DONE;
}

bool ami_read_fw_failed(const ami_read_fw *fw, const char **msg) {
  *msg = fw->msg;
  return fw->failed;
}

void ami_read_fw_link_lost(ami_read_fw *fw) {
  if (fw->st == S_ACTIVATE || fw->st == S_ACTIVATE_POLL) {
    /* Meters often restart into the new image right away. */
    fw->st = S_DONE;
    snprintf(fw->msg, sizeof fw->msg,
             "image '%s' activation started; the meter closed the link "
             "(restarting?) -- read 1-0:0.2.0 to confirm",
             fw->ident);
  } else if (fw->st != S_DONE) {
    fail(fw, "the link was lost during the image transfer");
  }
}
