/*
 * ami_hex.h -- hexadecimal text <-> bytes, as used on command lines, in
 * recorded sessions and in test vectors.
 */
#ifndef AMI_HEX_H
#define AMI_HEX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Decode hex text into `out` (capacity `cap`). Whitespace, ':' and '-'
 * between byte pairs are skipped; a pair may not be split by them. An
 * optional "0x" prefix is allowed at the start. Returns the number of bytes
 * written (>= 0), AMI_E_SYNTAX for a non-hex character or an odd number of
 * digits, AMI_E_BUFFER_FULL if `cap` is too small. `err_pos`, if not NULL,
 * receives the offset of the offending character. */
long ami_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t cap,
                    size_t *err_pos);

/* Encode `n` bytes as upper-case hex into `out` with an optional separator
 * character between bytes (0 for none). Always NUL-terminates when cap > 0.
 * Returns the number of characters needed (excluding the NUL), like
 * snprintf. */
size_t ami_hex_encode(const uint8_t *src, size_t n, char sep, char *out,
                      size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* AMI_HEX_H */
