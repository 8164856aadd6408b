/* bench_gcm_peers.h -- AES-128-GCM peers for the benchmark (see the .c). */
#ifndef AMI_BENCH_GCM_PEERS_H
#define AMI_BENCH_GCM_PEERS_H
#include <stddef.h>
#include <stdint.h>

struct peer_mbedtls;
struct peer_gcrypt;
int peer_mbedtls_init(struct peer_mbedtls **out, const uint8_t key[16]);
int peer_mbedtls_seal(struct peer_mbedtls *p, const uint8_t iv[12],
                      const uint8_t *aad, size_t aadlen, const uint8_t *in,
                      size_t n, uint8_t *out, uint8_t tag[12]);
int peer_mbedtls_open(struct peer_mbedtls *p, const uint8_t iv[12],
                      const uint8_t *aad, size_t aadlen, const uint8_t *in,
                      size_t n, uint8_t *out, const uint8_t tag[12]);
int peer_gcrypt_init(struct peer_gcrypt **out, const uint8_t key[16]);
int peer_gcrypt_seal(struct peer_gcrypt *p, const uint8_t iv[12],
                     const uint8_t *aad, size_t aadlen, const uint8_t *in,
                     size_t n, uint8_t *out, uint8_t tag[12]);
int peer_gcrypt_open(struct peer_gcrypt *p, const uint8_t iv[12],
                     const uint8_t *aad, size_t aadlen, const uint8_t *in,
                     size_t n, uint8_t *out, const uint8_t tag[12]);
#endif
