/*
 * ami_meter_image.h -- firmware update of the meter through the COSEM Image
 * Transfer interface class (class_id 18, version 0, IEC 62056-6-2 §4.4.6 /
 * DLMS UA Blue Book "Image transfer"), accepting only images signed with
 * ECDSA P-256 by the key the meter was configured with.
 *
 * THE PROCESS (Blue Book, Image transfer, "Image transfer process"):
 *   1. the client reads image_block_size and checks image_transfer_enabled;
 *   2. image_transfer_initiate(identifier, size): a new transfer starts, the
 *      block bitmap is cleared (a second initiate restarts cleanly);
 *   3. image_block_transfer(number, value), blocks in any order, repeats
 *      allowed; image_transferred_blocks_status (bit n = block n received)
 *      and image_first_not_transferred_block_number tell what is missing;
 *   4. image_verify: all blocks present, the format and the signature are
 *      checked (synchronously: the Blue Book allows an asynchronous verify
 *      answering temporary-failure, which this meter never needs);
 *   5. image_activate: only an image whose verification succeeded (an image
 *      transferred but not yet verified is verified first, as the Blue Book
 *      allows). The application's on_activate installs it.
 *
 * image_transfer_status (attribute 6, Blue Book enum; the values as the
 * public spodes-rs class library lists them for IEC 62056-6-2 §4.4.6.4):
 *   0 not initiated, 1 transfer initiated, 2 verification initiated,
 *   3 verification successful, 4 verification failed, 5 activation
 *   initiated, 6 activation successful, 7 activation failed.
 * Attribute and method types are lib/cosem's class 18 description
 * (cosem_classes.c), which also matches the Gurux GXDLMSImageTransfer
 * attribute types (7 attributes, 4 methods).
 * image_to_activate_info (attribute 7) is empty until a verification
 * succeeds; then one entry {size, identification, signature (the 64-byte
 * r || s)}.
 *
 * Action-Results (IEC 62056-5-3 Action-Result): success 0; type-unmatched 12
 * for parameters of the wrong shape (checked by lib/cosem); other-reason 250
 * for everything this meter refuses: transfer not enabled, a size over the
 * configured maximum or too small to be a signed image, a block number out
 * of range or of the wrong length, a method called in a state that does not
 * allow it, a verification that fails, an activation of an image that is
 * not (or fails to be) verified, an application that refuses to activate.
 *
 * THE SIGNED IMAGE FORMAT (OpenAMI firmware image, format version 1). All
 * integers big-endian. The whole image is what image_transfer_initiate
 * announces and the blocks carry:
 *
 *   offset  size  field
 *   0       4     magic "OAFW"
 *   4       1     format version = 1
 *   5       3     reserved, zero
 *   8       16    target: the device type the image is for (e.g. "OPENAMI-
 *                 METER-1"), zero padded; must equal the meter's target
 *   24      16    firmware identifier, zero padded (the value the active
 *                 firmware identifier register shows after activation); must
 *                 equal the identifier given to image_transfer_initiate
 *   40      4     payload length P
 *   44      4     reserved, zero
 *   48      P     payload (the firmware itself; opaque here)
 *   48+P    64    ECDSA P-256 signature r || s over SHA-256 of bytes
 *                 0 .. 48+P-1 (header and payload)
 *
 * so the image size is exactly 112 + P. The public key (65-byte SEC1
 * uncompressed point) is configured; there is no key in the image. Tools:
 * `ami fw-keygen`, `ami fw-sign` (apps/ami/cmd_fw.c) write this format.
 *
 * STORAGE is injected: the image is written block by block through a sink
 * and read back through it for verification (flash on a meter, memory in the
 * emulator and tests); the library holds only the block bitmap. No files.
 *
 * MEMORY: ami_meter_image_new allocates one object (bitmap included, sized
 * by max_image_size / block_size) through the injected allocator.
 * THREADS: like the model it is bound to, one thread at a time.
 */
#ifndef AMI_METER_IMAGE_H
#define AMI_METER_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_alloc.h"
#include "ami/ami_buf.h"
#include "ami/ami_cosem.h"
#include "ami/ami_crypto.h"
#include "ami/ami_meter_events.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The format constants (see the file comment). */
#define AMI_METER_IMAGE_MAGIC      "OAFW"
#define AMI_METER_IMAGE_FORMAT     1u
#define AMI_METER_IMAGE_HEADER_LEN 48u
#define AMI_METER_IMAGE_TARGET_LEN 16u
#define AMI_METER_IMAGE_ID_LEN     16u
#define AMI_METER_IMAGE_SIG_LEN    64u
#define AMI_METER_IMAGE_OVERHEAD   112u /* header + signature */

/* Longest image_identifier image_transfer_initiate accepts (octets). */
#define AMI_METER_IMAGE_MAX_IDENT 32u

/* image_transfer_status values (Blue Book, class 18 attribute 6). */
typedef enum ami_meter_image_status {
  AMI_METER_IMAGE_NOT_INITIATED = 0,
  AMI_METER_IMAGE_TRANSFER_INITIATED = 1,
  AMI_METER_IMAGE_VERIFY_INITIATED = 2,
  AMI_METER_IMAGE_VERIFY_OK = 3,
  AMI_METER_IMAGE_VERIFY_FAILED = 4,
  AMI_METER_IMAGE_ACTIVATE_INITIATED = 5,
  AMI_METER_IMAGE_ACTIVATE_OK = 6,
  AMI_METER_IMAGE_ACTIVATE_FAILED = 7
} ami_meter_image_status;

/* Where the image bytes live. `write` stores len bytes at offset (offsets
 * are below the announced size; blocks may come in any order and again);
 * `view` returns a borrowed span of stored bytes starting at offset, at
 * most len long and at least 1 byte (it may be shorter: a flash page), valid
 * until the next write or reset (memory-mapped flash, a RAM buffer: the
 * verification hashes several views in one call); `reset` (may be NULL)
 * prepares for a new image of `size` bytes (erase). Each returns AMI_OK or an
 * error that is passed up unchanged (through the model to the engine, which
 * answers other-reason and reports the code through its on_error). */
typedef struct ami_meter_image_sink {
  int (*write)(void *user_data, uint32_t offset, const uint8_t *p, size_t len);
  int (*view)(void *user_data, uint32_t offset, size_t len, ami_span *out);
  int (*reset)(void *user_data, uint32_t size);
  void *user_data; /* borrowed */
} ami_meter_image_sink;

/* What on_activate is told: the verified image. Spans borrow the sink's or
 * the module's memory and are valid during the call only. */
typedef struct ami_meter_image_info {
  ami_span identifier; /* firmware identifier (zero padding removed) */
  ami_span target;     /* target (zero padding removed) */
  uint32_t payload_offset, payload_len; /* where the firmware is in the sink */
  const uint8_t *signature;             /* AMI_METER_IMAGE_SIG_LEN bytes */
} ami_meter_image_info;

typedef struct ami_meter_image_cfg {
  const ami_crypto *crypto; /* borrowed; sha256 and ecdsa_p256_verify */
  uint8_t pubkey[AMI_CRYPTO_P256_PUB_LEN]; /* the signer's key, SEC1 */
  /* The meter's device type, compared with the image's target field
   * (up to 16 bytes; shorter is zero padded). */
  uint8_t target[AMI_METER_IMAGE_TARGET_LEN];
  uint32_t block_size;     /* image_block_size; 0 = 128 */
  uint32_t max_image_size; /* refuse larger images; 0 = 1 MiB */
  ami_meter_image_sink sink;
  /* Install the verified image (the meter restarts into it, or the
   * emulator swaps its identifier). Return AMI_OK, or an error: status 7
   * (activation failed), the identifier registers are not changed. May
   * be NULL (activation then always succeeds). */
  int (*on_activate)(void *user_data, const ami_meter_image_info *info);
  /* Events for the standard event log: AMI_EV_FIRMWARE_READY (17) after a
   * successful verification, AMI_EV_FIRMWARE_VERIFY_FAILED (20),
   * AMI_EV_FIRMWARE_ACTIVATED (18). The event happens while the engine
   * serves a request: the application stamps it with that request's time.
   * May be NULL. */
  void (*on_event)(void *user_data, ami_meter_event ev);
  void *user_data; /* passed to on_activate and on_event; borrowed */
} ami_meter_image_cfg;

/* Write the 48-byte header of a signed image (format above) for a payload
 * of `payload_len` bytes: magic, format 1, `target` and `identifier` zero
 * padded (each 1..16 bytes, else AMI_E_INVAL). For signing tools; the
 * signature is then ECDSA P-256 over SHA-256(header || payload). */
int ami_meter_image_header_encode(uint8_t out[AMI_METER_IMAGE_HEADER_LEN],
                                  ami_span target, ami_span identifier,
                                  uint32_t payload_len);

typedef struct ami_meter_image ami_meter_image;

/* Create the Image Transfer behaviour (cfg copied; its pointers borrowed,
 * they must outlive the object). AMI_E_INVAL (no sink write/view, a
 * block_size over 65535 or a max_image_size below the format overhead),
 * AMI_E_UNSUPPORTED (crypto without SHA-256 or ECDSA verification),
 * AMI_E_NOMEM. *out receives an owned object. */
int ami_meter_image_new(const ami_allocator *alloc,
                        const ami_meter_image_cfg *cfg, ami_meter_image **out);
/* Free it (accepts NULL). Free it after the model it is bound to, or
 * never serve the model's image object again afterwards. */
void ami_meter_image_free(ami_meter_image *img);

/* Bind to a model: finds or creates the Image Transfer object `ln`
 * (class 18; e.g. 0-0:44.0.0.255) and the active firmware identifier
 * register `fw_id_ln` (Data, class 1; e.g. 1-0:0.2.0.255, IEC 62056-6-1
 * "active firmware identifier"), sets image_transfer_enabled TRUE and the
 * identifier register to `active_id` (copied, an octet-string value), and
 * installs object callbacks on the image object (attributes 2-4, 6, 7 and
 * the four methods come from here; attribute 5 stays in the model: a
 * client may SET it to FALSE to refuse transfers). Putting the objects in
 * associations is the caller's job. *image_obj / *fw_id_obj (may be NULL)
 * receive pointers owned by the model. Errors of ami_cosem_add_object /
 * ami_cosem_set_attr. */
int ami_meter_image_bind(ami_meter_image *img, ami_cosem_model *m, ami_obis ln,
                         ami_obis fw_id_ln, ami_span active_id,
                         ami_cosem_object **image_obj,
                         ami_cosem_object **fw_id_obj);

/* The current image_transfer_status. */
ami_meter_image_status ami_meter_image_get_status(const ami_meter_image *img);

/* The methods, callable directly (the DLMS path calls the same code).
 * Each returns AMI_OK with *result an Action-Result (see above), or a
 * sink error, a crypto backend error (AMI_E_NOMEM, AMI_E_CRYPTO; a
 * signature that does not verify is a result, not an error) or a decoding
 * error of `params` (the method's encoded Data, borrowed). */
int ami_meter_image_initiate(ami_meter_image *img, ami_span params,
                             uint8_t *result);
int ami_meter_image_block(ami_meter_image *img, ami_span params,
                          uint8_t *result);
int ami_meter_image_verify(ami_meter_image *img, uint8_t *result);
int ami_meter_image_activate(ami_meter_image *img, uint8_t *result);

#ifdef __cplusplus
}
#endif
#endif /* AMI_METER_IMAGE_H */
