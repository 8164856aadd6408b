/*
 * ami_test_link.h -- two ami_link objects wired back to back in memory, with
 * a fake clock and fault injection, for tests of the links themselves and of
 * anything running over them (session engines).
 *
 * The pair moves every byte one side pulls into the other side's recv, frame
 * by frame (HDLC frames or wrapper PDUs), optionally in small chunks. A
 * fault can be set per direction: drop, corrupt (flip one bit) or duplicate
 * the k-th frame sent by one side. Events are recorded per side (counts,
 * last error, a copy of the last APDU) and passed to an optional callback,
 * which may itself call send_apdu (a server answering).
 *
 * Also: a reader of the recorded sessions (shared/vectors/dlms/
 * gurux-sessions/, the .txt files) that keeps each TX/RX line as raw frame
 * bytes.
 */
#ifndef AMI_TEST_LINK_H
#define AMI_TEST_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_link.h"

typedef enum ami_test_link_framing {
  AMI_TEST_LINK_HDLC,
  AMI_TEST_LINK_WRAPPER
} ami_test_link_framing;

typedef enum ami_test_link_fault {
  AMI_TEST_FAULT_NONE,
  AMI_TEST_FAULT_DROP,
  AMI_TEST_FAULT_CORRUPT,  /* flips one bit in the middle of the frame */
  AMI_TEST_FAULT_DUPLICATE /* delivers the frame twice */
} ami_test_link_fault;

#define AMI_TEST_CLIENT 0
#define AMI_TEST_SERVER 1

typedef void (*ami_test_link_event_fn)(void *user, int side,
                                       const ami_link_event *ev);

typedef struct ami_test_link_pair {
  ami_link *link[2]; /* borrowed: [AMI_TEST_CLIENT], [AMI_TEST_SERVER] */
  ami_test_link_framing framing;
  uint64_t now_ms; /* the fake clock */
  size_t chunk;    /* bytes per recv call; 0 = a whole frame */
  struct {
    ami_test_link_fault kind;
    unsigned long at; /* index (from 0) of the frame sent by that side */
  } fault[2];
  unsigned long frames[2]; /* frames sent by each side so far */
  /* Recorded events, per side. */
  unsigned long count[2][AMI_LINK_EV_ERROR + 1];
  int last_error[2]; /* `error` of the last ERROR/DISCONNECTED event */
  uint8_t *apdu[2];  /* owned: copy of the last APDU received */
  size_t apdu_len[2];
  ami_test_link_event_fn on_event; /* optional */
  void *user;
} ami_test_link_pair;

/* Borrows both links; they must outlive the pair. Cannot fail. */
void ami_test_link_pair_init(ami_test_link_pair *p, ami_link *client,
                             ami_link *server, ami_test_link_framing framing);
/* Releases the APDU copies. */
void ami_test_link_pair_free(ami_test_link_pair *p);
/* Arms one fault on the `at`-th frame (counted from 0 over the whole life of
 * the pair) sent by `from_side`. */
void ami_test_link_pair_fault(ami_test_link_pair *p, int from_side,
                              ami_test_link_fault kind, unsigned long at);
/* Moves frames both ways, and runs timers already due, until neither side
 * has anything to send. Returns the number of frames moved. */
size_t ami_test_link_pair_flush(ami_test_link_pair *p);
/* Jumps the clock to the earliest expiry of either side, runs the timers
 * and flushes. Returns false (clock unchanged) when neither has a timer. */
bool ami_test_link_pair_advance(ami_test_link_pair *p);

/* One recorded frame: tx = client to server. */
typedef struct ami_test_rec_frame {
  bool tx;
  uint8_t *bytes; /* owned by the recording */
  size_t len;
} ami_test_rec_frame;

typedef struct ami_test_recording {
  ami_test_rec_frame *f;
  size_t n;
} ami_test_recording;

/* Loads shared/<relative>. Returns false when shared/ or the file is absent
 * (callers skip()); fails the test on a malformed line. */
bool ami_test_recording_load(ami_test_recording *r, const char *relative);
void ami_test_recording_free(ami_test_recording *r);

#endif /* AMI_TEST_LINK_H */
