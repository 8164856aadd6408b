/*
 * ami_test_server.h -- a trivial test double of ami_link for the server
 * engine: each recv() chunk is one whole APDU (reported as one
 * AMI_LINK_EV_APDU from the configured client address), and each APDU the
 * engine sends comes back out of pull() as one chunk. It stands in for the
 * wrapper/HDLC links in unit tests and in fuzz_server. Not cmocka-dependent
 * (the fuzz target includes the .c directly).
 */
#ifndef AMI_TEST_SERVER_H
#define AMI_TEST_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_link.h"

#define AMI_TEST_SERVER_QUEUE 16

typedef struct ami_test_server_link {
  ami_link base; /* give &base to the engine */
  uint16_t peer; /* reported as the client address */
  uint16_t own;  /* reported as the server address */
  bool connected;
  bool drop_pending;                 /* next recv() reports EV_DISCONNECTED */
  uint8_t *rx;                       /* owned copy of the APDU being reported */
  uint8_t *q[AMI_TEST_SERVER_QUEUE]; /* owned queued APDUs */
  size_t qn[AMI_TEST_SERVER_QUEUE];
  size_t head, count;
  size_t max_apdu; /* send_apdu refuses larger APDUs (AMI_E_LIMIT) */
} ami_test_server_link;

void ami_test_server_link_init(ami_test_server_link *l, uint16_t peer,
                               uint16_t own);
/* Make the next recv() report a disconnect (the peer went away). */
void ami_test_server_link_drop(ami_test_server_link *l);

#endif /* AMI_TEST_SERVER_H */
