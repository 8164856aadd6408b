/*
 * ami_test_session.h -- read the recorded sessions of
 * shared/vectors/dlms/gurux-sessions/ and hand every APDU to a callback.
 *
 * The files hold "TX:" (client to server) and "RX:" lines of hex, each one
 * complete frame: a wrapper frame (IEC 62056-47: 00 01, source, destination,
 * length, APDU) or an HDLC frame (IEC 62056-46: 7E, format, addresses,
 * control, HCS, LLC + information, FCS, 7E). Segmented HDLC information
 * fields are joined per direction; frames without an APDU (SNRM, UA, RR,
 * DISC) are passed over. This is a test-side reader that trusts the
 * recordings; it is not the library's deframer and checks no CRCs.
 */
#ifndef AMI_TEST_SESSION_H
#define AMI_TEST_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called once per APDU; `apdu` is valid only during the call. */
typedef void (*ami_test_apdu_fn)(const uint8_t *apdu, size_t n, bool tx,
                                 void *user_data);

/* Returns the number of APDUs delivered, or -1 when the file is absent
 * (callers then skip()). Fails the running test on a malformed line. */
int ami_test_session_apdus(const char *relative, ami_test_apdu_fn fn,
                           void *user_data);

#endif /* AMI_TEST_SESSION_H */
