/*
 * ami_sec.h -- DLMS/COSEM symmetric security: security suites 0 (AES-GCM-128)
 * and 2 (AES-GCM-256) ciphering of xDLMS APDUs, HLS-GMAC authentication,
 * challenges and AES key wrap.
 *
 * References: DLMS UA 1000-2 "Green Book" Ed. 8, §9.2.3.7 (security suites),
 * §9.2.7.2 (cryptographic protection with AES-GCM: security header, IV, AAD,
 * ciphered APDUs), HLS mechanism_id(5) (HLS-GMAC), Security Setup key_transfer
 * (AES key wrap, RFC 3394); IEC 62056-5-3 §5 (security).
 *
 * Sans-I/O: no allocation, no I/O. All cryptography goes through the injected
 * crypto plugin (ami_crypto.h); keys become plugin key handles once, when set.
 *
 * Ciphered APDU shapes this module builds and parses (lengths are A-XDR:
 * one byte below 0x80, else 0x8N followed by N big-endian bytes):
 *
 *   service-specific glo-/ded-ciphering (glo-get-request 0xC8, ...):
 *     tag | len | SC | IC(4) | payload | [tag(12) when SC has A]
 *   general-glo-ciphering 0xDB / general-ded-ciphering 0xDC:
 *     tag | 08 | system-title(8) | len | SC | IC(4) | payload | [tag(12)]
 *
 *   IV  = system title of the SENDER (8) || IC (4, big-endian)
 *   A+E : payload = GCM ciphertext,      AAD = SC || AK
 *   A   : payload = the plaintext,       AAD = SC || AK || plaintext
 *   E   : payload = GCM ciphertext without tag (AES-CTR), no AAD
 *
 * Invocation counters (IC). Each key (unicast, broadcast, dedicated) has its
 * own counter state, exposed plainly in `ami_sec_ctx.ic[]` so that the caller
 * can persist and restore it (persistence is the caller's job):
 *   - sending uses `tx_next` and increments it on success; when `tx_next`
 *     reaches 0xFFFFFFFF the key is exhausted and nothing more is encrypted
 *     with it (AMI_E_IC_EXHAUSTED): renew the key;
 *   - receiving requires IC > `rx_last` once `rx_valid` is set
 *     (AMI_E_REPLAY otherwise), and updates `rx_last` only after the APDU
 *     authenticated (or, for encryption-only APDUs which carry no tag, after
 *     it decrypted -- such APDUs can be forged by anyone, counter included;
 *     set AMI_SEC_POLICY_REQUIRE_AUTH where that matters).
 *   Setting (or clearing) a key resets its counters to zero/invalid:
 *   restore saved counters after setting the keys.
 *
 * Policy (ami_sec_ctx.policy, flags below):
 *   AMI_SEC_POLICY_REQUIRE_AUTH / _REQUIRE_ENC  reject received APDUs whose SC
 *     lacks the A / E bit (AMI_E_SECURITY_CONTROL).
 *   AMI_SEC_POLICY_LAX_SUITE  accept a received security suite id that differs
 *     from ours when its symmetric cipher is the same: ids 0 and 1 are both
 *     AES-GCM-128 (suite 1 only adds ECDSA/ECDH, which ciphering does not use).
 *     Real meters send this: the Kaifa MA309 (Austria) pushes SC 0x21 --
 *     encryption only, suite id 1 -- ciphered with AES-GCM-128 and a 16-byte
 *     key. Off by default: the id must then equal `suite`.
 *   Always rejected: the compression bit (not supported), suite ids 3..15,
 *   an SC with neither A nor E, a broadcast key set with dedicated ciphering.
 */
#ifndef AMI_SEC_H
#define AMI_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_buf.h"
#include "ami/ami_crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Security control byte (Green Book §9.2.7.2.4.2). */
#define AMI_SEC_SC_SUITE_MASK 0x0Fu
#define AMI_SEC_SC_AUTH       0x10u /* A: authentication applied */
#define AMI_SEC_SC_ENC        0x20u /* E: encryption applied */
#define AMI_SEC_SC_BROADCAST  0x40u /* key set: 0 unicast, 1 broadcast */
#define AMI_SEC_SC_COMPRESS   0x80u /* compression (not supported) */

#define AMI_SEC_TITLE_LEN     8u  /* system title */
#define AMI_SEC_TAG_LEN       12u /* GCM tag length used by DLMS */
#define AMI_SEC_HEADER_LEN    5u  /* SC || IC */
#define AMI_SEC_GMAC_LEN      17u /* HLS-GMAC f(): SC || IC || tag */
#define AMI_SEC_CHALLENGE_MIN 8u  /* HLS challenge length, octets */
#define AMI_SEC_CHALLENGE_MAX 64u
#define AMI_SEC_KEY_MAX       32u
#define AMI_SEC_IC_EXHAUSTED  0xFFFFFFFFu

/* The most bytes ciphering adds to a plaintext APDU: tag (1), title with its
 * length (9), a 5-byte length, SC || IC (5), the GCM tag (12). */
#define AMI_SEC_OVERHEAD_MAX                                                   \
  (1u + 9u + 5u + AMI_SEC_HEADER_LEN + AMI_SEC_TAG_LEN)

/* Which key protects an APDU. */
typedef enum ami_sec_key_kind {
  AMI_SEC_KEY_UNICAST = 0,   /* global unicast encryption key (EK/GUEK) */
  AMI_SEC_KEY_BROADCAST = 1, /* global broadcast encryption key (GBEK) */
  AMI_SEC_KEY_DEDICATED = 2, /* dedicated key of the current association */
  AMI_SEC_KEY_COUNT = 3
} ami_sec_key_kind;

/* The shape of a ciphered APDU. */
typedef enum ami_sec_form {
  AMI_SEC_FORM_GLO = 0,         /* service-specific glo-ciphering */
  AMI_SEC_FORM_DED = 1,         /* service-specific ded-ciphering */
  AMI_SEC_FORM_GENERAL_GLO = 2, /* general-glo-ciphering, tag 0xDB */
  AMI_SEC_FORM_GENERAL_DED = 3  /* general-ded-ciphering, tag 0xDC */
} ami_sec_form;

#define AMI_SEC_TAG_GENERAL_GLO 0xDBu
#define AMI_SEC_TAG_GENERAL_DED 0xDCu

/* Policy flags for ami_sec_ctx.policy. */
#define AMI_SEC_POLICY_REQUIRE_AUTH 0x1u
#define AMI_SEC_POLICY_REQUIRE_ENC  0x2u
#define AMI_SEC_POLICY_LAX_SUITE    0x4u

/* Invocation-counter state of one key. Plain data: save and restore it. */
typedef struct ami_sec_counter {
  uint32_t tx_next; /* IC of the next APDU we send with this key */
  uint32_t rx_last; /* highest IC accepted from the peer (if rx_valid) */
  bool rx_valid;    /* false until the first APDU from the peer is accepted */
} ami_sec_counter;

/* A security context: one per association (or per peer for push). Fields may
 * be read freely; change keys only through the setters. Initialise with
 * ami_sec_init, release with ami_sec_free. Not thread-safe (it owns key
 * handles and counters): one thread at a time. */
typedef struct ami_sec_ctx {
  const ami_crypto *crypto;               /* borrows; outlives the ctx */
  ami_crypto_key *key[AMI_SEC_KEY_COUNT]; /* owned; NULL = not set */
  ami_sec_counter ic[AMI_SEC_KEY_COUNT];  /* per-key invocation counters */
  uint8_t ak[AMI_SEC_KEY_MAX];            /* authentication key AK */
  size_t ak_len;                          /* 0 = no AK */
  uint8_t own_title[AMI_SEC_TITLE_LEN];   /* our system title */
  uint8_t peer_title[AMI_SEC_TITLE_LEN];  /* the peer's system title */
  bool has_own_title;
  bool has_peer_title;
  uint8_t suite;   /* security suite id sent in SCs: 0 (default), 1 or 2 */
  unsigned policy; /* AMI_SEC_POLICY_* flags */
} ami_sec_ctx;

/* What a ciphered APDU says about itself (filled by ami_sec_parse and
 * ami_sec_decrypt). The spans borrow the input and are valid as long as it. */
typedef struct ami_sec_info {
  ami_sec_form form;
  uint8_t tag;       /* the ciphered APDU's tag (0xC8, 0xDB, ...) */
  uint8_t plain_tag; /* service-specific forms: the tag the plaintext
                        carries (0xC0 for 0xC8); 0 for general forms */
  uint8_t sc;        /* security control byte */
  uint32_t ic;       /* invocation counter */
  ami_span title;    /* general forms: the system title field (length 8,
                        or 0 when the sender left it empty); else empty */
  ami_span payload;  /* ciphertext, or plaintext when SC is auth-only */
  ami_span auth_tag; /* 12-byte GCM tag, empty when SC has no A bit */
} ami_sec_info;

/* ---------------------------------------------------------------------- */
/* Context lifecycle and keys */

/* Initialise `s` with the crypto plugin `crypto` (borrowed: it must outlive
 * the context), suite 0, no keys, no titles, policy 0. Cannot fail. */
void ami_sec_init(ami_sec_ctx *s, const ami_crypto *crypto);

/* Free every key handle and wipe the AK; the context may be re-initialised.
 * Accepts a zeroed context. */
void ami_sec_free(ami_sec_ctx *s);

/* Set (replace) one encryption key: `len` bytes at `key` (borrowed, copied
 * into a plugin key handle). The length must fit the suite: 16 bytes for
 * suites 0/1, 32 for suite 2 (AMI_E_INVAL). Resets that key's counters.
 * AMI_E_UNSUPPORTED when the plugin struct is unusable; the plugin's
 * AMI_E_NOMEM / AMI_E_CRYPTO unchanged. On error the old key is kept. */
int ami_sec_set_key(ami_sec_ctx *s, ami_sec_key_kind kind, const uint8_t *key,
                    size_t len);

/* Forget one key (e.g. the dedicated key when the association is released). */
void ami_sec_clear_key(ami_sec_ctx *s, ami_sec_key_kind kind);

/* Set the authentication key AK (copied; 16 or 32 bytes to fit the suite). */
int ami_sec_set_ak(ami_sec_ctx *s, const uint8_t *ak, size_t len);

/* Set our / the peer's 8-byte system title (copied). */
void ami_sec_set_own_title(ami_sec_ctx *s, const uint8_t title[8]);
void ami_sec_set_peer_title(ami_sec_ctx *s, const uint8_t title[8]);

/* ---------------------------------------------------------------------- */
/* Ciphered APDUs */

/* Protect the xDLMS APDU `plain` (borrowed) and append the ciphered APDU to
 * `out`. `form` picks the shape; for the service-specific forms the tag is
 * derived from plain.p[0] (AMI_E_APDU_TAG when the service has no ciphered
 * form). `security` is AMI_SEC_SC_AUTH and/or AMI_SEC_SC_ENC, optionally with
 * AMI_SEC_SC_BROADCAST (glo forms only); the suite id comes from the context.
 * Uses and then increments the IC of the key chosen (the dedicated key for
 * ded forms, else unicast or broadcast). Errors: AMI_E_INVAL (bad security
 * bits, empty plaintext), AMI_E_UNSUPPORTED (compression), AMI_E_NO_KEY (key,
 * AK or own title missing), AMI_E_IC_EXHAUSTED, AMI_E_LIMIT (content too long
 * for a 4-byte length), AMI_E_BUFFER_FULL (also set in out->err), the
 * plugin's codes. On error out->len is unchanged and the
 * counter is not consumed. `plain` must not overlap `out`'s free space. */
int ami_sec_encrypt(ami_sec_ctx *s, ami_sec_form form, uint8_t security,
                    ami_span plain, ami_wr *out);

/* Parse a ciphered APDU without any cryptography or policy: fills *info with
 * spans borrowing `in`. Exact: the APDU must fill `in`. Errors:
 * AMI_E_TRUNCATED (input ends early: every proper prefix of a valid APDU
 * gives this), AMI_E_APDU_TAG (not a ciphered APDU tag), AMI_E_BAD_LENGTH
 * (length field malformed, system title not 0 or 8 bytes, content too short
 * for SC || IC (|| tag)), AMI_E_TRAILING (bytes after the APDU). */
int ami_sec_parse(ami_span in, ami_sec_info *info);

/* Verify and decipher the ciphered APDU `in` (borrowed) and append the
 * plaintext APDU to `out`; *info describes the APDU (filled as soon as it
 * parsed, so it is meaningful for policy, key, replay and tag errors too).
 * Errors: those of ami_sec_parse; AMI_E_SECURITY_CONTROL (SC refused by the
 * policy, see the top of this file); AMI_E_NO_KEY (key, AK or the sender's
 * system title unknown, or a general APDU carries a title other than the
 * peer's); AMI_E_REPLAY (IC not greater than the last accepted);
 * AMI_E_AUTH_FAILED; AMI_E_INCONSISTENT (the plaintext of a service-specific
 * APDU does not start with the matching plain tag); AMI_E_BUFFER_FULL; the
 * plugin's codes. On error out->len is unchanged, nothing is released into
 * `out` and the counters are untouched.
 * Fuzzing builds (AMI_FUZZING) do not enforce the GCM tag -- the plaintext is
 * recovered with the keystream and processing goes on -- so that a fuzzer can
 * explore what lies behind it. Never ship such a build. */
int ami_sec_decrypt(ami_sec_ctx *s, ami_span in, ami_wr *out,
                    ami_sec_info *info);

/* Tag mapping between plain xDLMS APDUs and their service-specific ciphered
 * forms (Green Book xDLMS-APDU ASN.1). Each returns 0 when there is none. */
uint8_t ami_sec_glo_tag(uint8_t plain_tag);
uint8_t ami_sec_ded_tag(uint8_t plain_tag);
/* The plain tag of a service-specific ciphered tag; *form (may be NULL)
 * receives AMI_SEC_FORM_GLO or _DED. */
uint8_t ami_sec_plain_tag(uint8_t ciphered_tag, ami_sec_form *form);

/* ---------------------------------------------------------------------- */
/* HLS-GMAC authentication (mechanism_id 5), challenges, key wrap */

/* Compute our answer to the peer's challenge: f(challenge) = SC || IC ||
 * GMAC, where SC = 0x10 | suite, IC = the unicast key's tx_next (then
 * incremented), and GMAC = the 12-byte GCM tag with the unicast key EK, IV =
 * own title || IC, AAD = SC || AK || challenge, empty plaintext. A client
 * computes f(StoC) with this, a server f(CtoS). Writes AMI_SEC_GMAC_LEN bytes
 * to `out`. Errors as for ami_sec_encrypt. */
int ami_sec_hls_gmac(ami_sec_ctx *s, ami_span challenge,
                     uint8_t out[AMI_SEC_GMAC_LEN]);

/* Verify the peer's answer `response` to the challenge we sent: the same
 * computation with the peer's system title and the IC carried in the
 * response. AMI_E_TRUNCATED / AMI_E_TRAILING when the response is not 17
 * bytes, AMI_E_SECURITY_CONTROL when its SC is not authentication-only of an
 * acceptable suite, AMI_E_NO_KEY, AMI_E_AUTH_FAILED. The IC is not checked
 * against the replay counter: the freshness of our random challenge already
 * defeats replay, and implementations draw it from the counter they also use
 * for the APDU that carries it (so it is lower than that APDU's IC). */
int ami_sec_hls_gmac_verify(ami_sec_ctx *s, ami_span challenge,
                            ami_span response);

/* HLS-SHA256 (mechanism_id 6, Green Book §9.2.7.4): our answer to the
 * peer's challenge, f = SHA-256(secret || own_title || peer_title ||
 * answered || sent), where `answered` is the peer's challenge and `sent`
 * ours. A client computes f(StoC) with (ST-C, ST-S, StoC, CtoS), a server
 * f(CtoS) with (ST-S, ST-C, CtoS, StoC). Writes 32 bytes to `out`; all
 * inputs are borrowed for the call. AMI_E_INVAL for NULL arguments, else
 * the plugin's sha256 result. No security context is needed: mechanism 6
 * works in plain contexts too. */
int ami_sec_hls_sha256(const ami_crypto *crypto, ami_span secret,
                       const uint8_t own_title[AMI_SEC_TITLE_LEN],
                       const uint8_t peer_title[AMI_SEC_TITLE_LEN],
                       ami_span answered, ami_span sent,
                       uint8_t out[AMI_CRYPTO_SHA256_LEN]);

/* Verify the peer's HLS-SHA256 answer `response` to our challenge `sent`
 * (`peer_challenge` is the one the peer sent us), comparing in constant
 * time: AMI_OK, AMI_E_AUTH_FAILED (also when the length is not 32), or
 * the errors of ami_sec_hls_sha256. */
int ami_sec_hls_sha256_verify(const ami_crypto *crypto, ami_span secret,
                              const uint8_t own_title[AMI_SEC_TITLE_LEN],
                              const uint8_t peer_title[AMI_SEC_TITLE_LEN],
                              ami_span sent, ami_span peer_challenge,
                              ami_span response);

/* Fill `buf` with a random challenge of `len` bytes (AMI_SEC_CHALLENGE_MIN..
 * MAX, else AMI_E_RANGE) from the plugin's CSPRNG. */
int ami_sec_challenge(const ami_crypto *crypto, uint8_t *buf, size_t len);

/* AES key wrap (RFC 3394) of a 16- or 32-byte `key` with the key-encrypting
 * key `kek` (16 or 32 bytes; the master key), as Security Setup key_transfer
 * carries it. Writes key.len + 8 bytes to `out` (capacity `cap`,
 * AMI_E_BUFFER_FULL) and the length to *out_len. AMI_E_INVAL for other
 * lengths. */
int ami_sec_key_wrap(const ami_crypto *crypto, ami_span kek, ami_span key,
                     uint8_t *out, size_t cap, size_t *out_len);

/* Unwrap a 24- or 40-byte wrapped key (AMI_E_BAD_LENGTH otherwise) into
 * `out`; AMI_E_KEY_UNWRAP when its integrity check fails (out is zeroed). */
int ami_sec_key_unwrap(const ami_crypto *crypto, ami_span kek, ami_span wrapped,
                       uint8_t *out, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif /* AMI_SEC_H */
