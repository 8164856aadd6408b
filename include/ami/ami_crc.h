/*
 * ami_crc.h -- CRC-16/X.25 (the HDLC HCS and FCS of IEC 62056-46, ISO/IEC
 * 13239): reflected polynomial 0x8408, initial value 0xFFFF, final XOR 0xFFFF.
 * The 16-bit result is transmitted least significant byte first.
 */
#ifndef AMI_CRC_H
#define AMI_CRC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CRC-16/X.25 of `n` bytes (the complete algorithm: init, reflect, xorout).
 * Check value: "123456789" -> 0x906E. */
uint16_t ami_crc16_x25(const uint8_t *p, size_t n);

/* Incremental form: start with crc = 0xFFFF, feed, finish with ~crc. */
uint16_t ami_crc16_x25_update(uint16_t crc, const uint8_t *p, size_t n);

/* Internal, for tests: the 256-entry byte table. */
const uint16_t *ami__crc16_x25_table(void);

#ifdef __cplusplus
}
#endif
#endif /* AMI_CRC_H */
