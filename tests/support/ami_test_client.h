/*
 * ami_test_client.h -- a test double of ami_link for the client engine
 * tests: every recv() chunk is one whole APDU (reported as EV_APDU), every
 * APDU sent comes out of pull() as one chunk. connect() succeeds at once and
 * reports EV_CONNECTED from the next handle_expiry() or recv(). Fault
 * switches make send_apdu fail or the link drop. TEST ONLY.
 */
#ifndef AMI_TEST_CLIENT_H
#define AMI_TEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_link.h"

#define AMI_TEST_CLIENT_LINK_QUEUE 8
#define AMI_TEST_CLIENT_LINK_MAX   4096

typedef struct ami_test_client_link {
  ami_link base; /* give &base to the engine */
  bool connected;
  bool connect_pending;    /* EV_CONNECTED not yet reported */
  bool disconnect_pending; /* EV_DISCONNECTED not yet reported */
  int send_rc;             /* when not 0, send_apdu returns it */
  unsigned connects;       /* connect() calls */
  /* Sent APDUs not yet pulled. */
  uint8_t out[AMI_TEST_CLIENT_LINK_QUEUE][AMI_TEST_CLIENT_LINK_MAX];
  size_t out_len[AMI_TEST_CLIENT_LINK_QUEUE];
  unsigned out_head, out_count;
  /* A copy of the last received chunk (EV_APDU borrows it). */
  uint8_t in[AMI_TEST_CLIENT_LINK_MAX + 1];
} ami_test_client_link;

void ami_test_client_link_init(ami_test_client_link *l);
/* Make the next recv()/handle_expiry() report EV_DISCONNECTED. */
void ami_test_client_link_drop(ami_test_client_link *l);

#endif /* AMI_TEST_CLIENT_H */
