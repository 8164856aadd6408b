/*
 * ami_ber.h -- the subset of BER (ITU-T X.690) that the ACSE APDUs of
 * IEC 62056-5-3 need: identifier and definite-length octets, primitive
 * INTEGER and OBJECT IDENTIFIER contents, and an in-place "wrap" that lets an
 * encoder write contents first and prepend their header afterwards.
 *
 * Only definite lengths are accepted (X.690 §8.1.3.3 short form and
 * §8.1.3.5 long form with up to four length octets); the indefinite form
 * (0x80, §8.1.3.6) is refused with AMI_E_BER_INDEFINITE, as DLMS never uses
 * it. Decoders borrow the caller's input: every span points into it.
 */
#ifndef AMI_BER_H
#define AMI_BER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Identifier octet bits (X.690 §8.1.2.2). */
#define AMI_BER_UNIVERSAL   0x00u
#define AMI_BER_APPLICATION 0x40u
#define AMI_BER_CONTEXT     0x80u
#define AMI_BER_PRIVATE     0xC0u
#define AMI_BER_CLASS_MASK  0xC0u
#define AMI_BER_CONSTRUCTED 0x20u

/* Universal tags used by ACSE. */
#define AMI_BER_INTEGER      0x02u
#define AMI_BER_BIT_STRING   0x03u
#define AMI_BER_OCTET_STRING 0x04u
#define AMI_BER_OID          0x06u

/* One decoded element. `id` is the first identifier octet as received (class,
 * constructed bit and, for tag numbers below 31, the number itself); `number`
 * is the full tag number (X.690 §8.1.2.4 allows several octets). `value`
 * borrows the contents octets from the decoder's input. */
typedef struct ami_ber_tlv {
  uint8_t id;
  uint32_t number;
  ami_span value;
} ami_ber_tlv;

/* Read definite length octets. AMI_E_TRUNCATED if the input ends inside
 * them, AMI_E_BER_INDEFINITE for 0x80, AMI_E_BAD_LENGTH for more than four
 * length octets or the reserved 0xFF. Does not check the contents exist. */
int ami_ber_read_len(ami_rd *r, size_t *len);

/* Read one whole element (identifier, length and contents). AMI_E_TRUNCATED
 * if the input ends before the element does; AMI_E_BAD_TAG for a tag number
 * longer than four octets. On error the reader does not move. */
int ami_ber_read_tlv(ami_rd *r, ami_ber_tlv *out);

/* Decode `in` as exactly one element whose identifier octet is `id` and
 * borrow its contents. The element must fill `in` completely: `in` is assumed
 * to be a complete container, so a length running past its end is
 * AMI_E_BAD_LENGTH (not TRUNCATED) and left-over bytes are AMI_E_TRAILING;
 * a different identifier is AMI_E_BAD_TAG. */
int ami_ber_expect(ami_span in, uint8_t id, ami_span *contents);

/* Number of octets the definite length `len` takes (1..5). */
size_t ami_ber_len_size(size_t len);

/* Write definite length octets in their shortest form. */
void ami_ber_write_len(ami_wr *w, size_t len);

/* Write identifier octet `id` (tag number below 31), the length of `n` and
 * the `n` contents octets copied from `value`. */
void ami_ber_write_tlv(ami_wr *w, uint8_t id, const void *value, size_t n);

/* Turn everything written to `w` since offset `start` into the contents of a
 * new element with identifier octet `id`: the header is inserted in front of
 * it (memmove), so encoders need not know lengths in advance. Returns the
 * writer's sticky error (AMI_E_BUFFER_FULL when the header did not fit). */
int ami_ber_wrap(ami_wr *w, size_t start, uint8_t id);

/* INTEGER contents (X.690 §8.3, two's complement, 1..4 octets) to a C value.
 * AMI_E_BAD_LENGTH for empty contents, AMI_E_RANGE for more than four
 * octets. Non-minimal encodings are accepted. */
int ami_ber_get_int(ami_span contents, int32_t *out);

/* Write a complete INTEGER element with identifier `id` (0x02 for a plain
 * INTEGER, or a context tag when IMPLICIT), in the minimal encoding. */
void ami_ber_write_int(ami_wr *w, uint8_t id, int32_t v);

/* Check OBJECT IDENTIFIER contents for well-formedness (X.690 §8.19): not
 * empty and the last subidentifier complete. */
bool ami_ber_oid_valid(ami_span contents);

#ifdef __cplusplus
}
#endif
#endif /* AMI_BER_H */
