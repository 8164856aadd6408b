/*
 * ami_test_dlms.h -- the whole DLMS stack in one process for meter-layer
 * tests: an ami_client and an ami_server joined by two wrapper links in
 * memory, the server answering from a COSEM model the test built, a fake
 * clock. The client opens the management association (client address
 * AMI_TEST_DLMS_CLIENT, LLS with AMI_TEST_DLMS_PASSWORD; the test adds a
 * model association for that address). Requests are run to completion and
 * their outcome kept; DataNotifications the client receives are kept too.
 * TEST ONLY (cmocka asserts inside).
 */
#ifndef AMI_TEST_DLMS_H
#define AMI_TEST_DLMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_client.h"
#include "ami/ami_cosem.h"
#include "ami/ami_server.h"
#include "ami/ami_wrapper_link.h"

#define AMI_TEST_DLMS_CLIENT   1
#define AMI_TEST_DLMS_PASSWORD "12345678"
#define AMI_TEST_DLMS_DATA_MAX 8192

typedef struct ami_test_dlms {
  ami_wrapper_link cl, sl;
  ami_link *clink, *slink;
  ami_client *c;
  ami_server *s;
  ami_server_assoc_cfg assoc;
  uint64_t now;
  int assoc_result;
  /* the last response */
  int responses;
  int last_error;
  uint8_t last_dar; /* data-access-result / action-result */
  uint8_t data[AMI_TEST_DLMS_DATA_MAX];
  size_t data_len;
  /* the last DataNotification received */
  int pushes;
  uint32_t push_iip;
  uint8_t push[AMI_TEST_DLMS_DATA_MAX];
  size_t push_len;
} ami_test_dlms;

/* Open a session to `m` (borrowed; must outlive the session) and
 * associate; asserts the association succeeded. */
void ami_test_dlms_open(ami_test_dlms *t, ami_cosem_model *m);
/* The same with HLS-GMAC in a ciphered context (suite 0, fixed test keys,
 * every APDU authenticated and encrypted), as IDIS meters push. */
void ami_test_dlms_open_ciphered(ami_test_dlms *t, ami_cosem_model *m);
/* Release (if associated) and free everything but the model. */
void ami_test_dlms_close(ami_test_dlms *t);
/* Shuttle bytes both ways until both sides are quiet. */
void ami_test_dlms_pump(ami_test_dlms *t);
/* Run one request to its response; the outcome is in t->last_*. */
void ami_test_dlms_get(ami_test_dlms *t, uint16_t cls, ami_obis ln,
                       int8_t attr);
uint8_t ami_test_dlms_set(ami_test_dlms *t, uint16_t cls, ami_obis ln,
                          int8_t attr, const uint8_t *value, size_t len);
/* Returns the Action-Result. */
uint8_t ami_test_dlms_action(ami_test_dlms *t, uint16_t cls, ami_obis ln,
                             int8_t method, const uint8_t *params, size_t len);

#endif /* AMI_TEST_DLMS_H */
