/*
 * ami_err.c -- names and messages generated from AMI_ERR_MAP (ami_err.h).
 */
#include "ami/ami_err.h"

const char *ami_err_name(int err) {
  switch (err) {
#define AMI__ERR_NAME(name, value, msg)                                        \
  case (value):                                                                \
    return "AMI_E_" #name;
    AMI_ERR_MAP(AMI__ERR_NAME)
#undef AMI__ERR_NAME
  default:
    return "AMI_E_UNKNOWN";
  }
}

const char *ami_strerror(int err) {
  switch (err) {
#define AMI__ERR_MSG(name, value, msg)                                         \
  case (value):                                                                \
    return msg;
    AMI_ERR_MAP(AMI__ERR_MSG)
#undef AMI__ERR_MSG
  default:
    return "unknown error";
  }
}
