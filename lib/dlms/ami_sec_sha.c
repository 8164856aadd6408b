/*
 * ami_sec_sha.c -- HLS-SHA256 (authentication mechanism_id 6) pass 3 and 4
 * values: the digest a party sends to answer its peer's challenge, and the
 * constant-time check of the digest the peer sends back.
 *
 * Green Book (DLMS UA 1000-2) Ed. 8 §9.2.7.4, HLS mechanism 6:
 *   pass 3, client: f(StoC) = SHA-256(HLS-secret || SystemTitle-C ||
 *                                      SystemTitle-S || StoC || CtoS)
 *   pass 4, server: f(CtoS) = SHA-256(HLS-secret || SystemTitle-S ||
 *                                      SystemTitle-C || CtoS || StoC)
 * i.e. secret, the answering party's own title, the peer's title, the
 * challenge being answered, then the challenge the answering party sent.
 * The 32-byte digest is carried as the octet-string itself, without the
 * SC || IC prefix HLS-GMAC uses. The order was checked against the Gurux
 * DLMS implementations (client GXDLMSClient "HIGH_SHA256" pass 3, server
 * GXDLMSAssociationShortName/LogicalName reply_to_HLS_authentication),
 * which concatenate exactly these five parts in this order, and against
 * the pass-3 wording of IEC 62056-5-3 quoted in a Gurux forum thread
 * ("SHA-256 (HLS_Secret || SystemTitle-C || SystemTitle-S || StoC ||
 * CtoS)"). No published vector with both titles was found.
 */
#include "ami_sec_internal.h"

int ami_sec_hls_sha256(const ami_crypto *crypto, ami_span secret,
                       const uint8_t own_title[AMI_SEC_TITLE_LEN],
                       const uint8_t peer_title[AMI_SEC_TITLE_LEN],
                       ami_span answered, ami_span sent,
                       uint8_t out[AMI_CRYPTO_SHA256_LEN]) {
  if (!crypto || !crypto->sha256 || !own_title || !peer_title || !out ||
      (secret.len && !secret.p) || (answered.len && !answered.p) ||
      (sent.len && !sent.p))
    return AMI_E_INVAL;
  ami_span parts[5] = {secret, ami_span_make(own_title, AMI_SEC_TITLE_LEN),
                       ami_span_make(peer_title, AMI_SEC_TITLE_LEN), answered,
                       sent};
  return crypto->sha256(crypto->user_data, parts, 5, out);
}

/* The peer answered our challenge `sent` (and `answered` is the peer's own
 * challenge to us): recompute its digest with the titles swapped and
 * compare every byte whatever the first difference (no timing leak). */
int ami_sec_hls_sha256_verify(const ami_crypto *crypto, ami_span secret,
                              const uint8_t own_title[AMI_SEC_TITLE_LEN],
                              const uint8_t peer_title[AMI_SEC_TITLE_LEN],
                              ami_span sent, ami_span peer_challenge,
                              ami_span response) {
  uint8_t want[AMI_CRYPTO_SHA256_LEN];
  int rc = ami_sec_hls_sha256(crypto, secret, peer_title, own_title, sent,
                              peer_challenge, want);
  if (rc != AMI_OK)
    return rc;
  uint8_t d = response.len == sizeof want ? 0u : 1u;
  for (size_t i = 0; i < sizeof want; i++)
    d |= (uint8_t)(want[i] ^ (i < response.len ? response.p[i] : 0u));
  ami__sec_wipe(want, sizeof want);
  return d == 0 ? AMI_OK : AMI_E_AUTH_FAILED;
}
