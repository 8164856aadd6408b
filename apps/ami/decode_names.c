/*
 * decode_names.c -- names of COSEM interface classes, attributes and
 * methods (DLMS UA Blue Book, IEC 62056-6-2) for readable decoder output.
 *
 * Only names live here; the full class descriptions (types, access, the
 * generic dispatch) belong to the COSEM object model.
 */
#include <string.h>

#include "ami/ami_obis.h"
#include "ami_cli.h"
#include "decode_int.h"

static const struct {
  uint16_t id;
  const char *name;
} classes[] = {
    {1, "Data"},
    {3, "Register"},
    {4, "Extended register"},
    {5, "Demand register"},
    {6, "Register activation"},
    {7, "Profile generic"},
    {8, "Clock"},
    {9, "Script table"},
    {10, "Schedule"},
    {11, "Special days table"},
    {12, "Association SN"},
    {15, "Association LN"},
    {17, "SAP assignment"},
    {18, "Image transfer"},
    {19, "IEC local port setup"},
    {20, "Activity calendar"},
    {21, "Register monitor"},
    {22, "Single action schedule"},
    {23, "IEC HDLC setup"},
    {26, "Utility tables"},
    {27, "Modem configuration"},
    {28, "Auto answer"},
    {29, "Auto connect"},
    {40, "Push setup"},
    {41, "TCP-UDP setup"},
    {42, "IPv4 setup"},
    {43, "MAC address setup"},
    {44, "PPP setup"},
    {45, "GPRS modem setup"},
    {47, "GSM diagnostic"},
    {48, "IPv6 setup"},
    {61, "Register table"},
    {62, "Compact data"},
    {63, "Status mapping"},
    {64, "Security setup"},
    {65, "Parameter monitor"},
    {67, "Sensor manager"},
    {68, "Arbitrator"},
    {70, "Disconnect control"},
    {71, "Limiter"},
    {72, "M-Bus client"},
    {111, "Account"},
    {112, "Credit"},
    {113, "Charge"},
    {115, "Token gateway"},
    {122, "Function control"},
    {123, "Array manager"},
    {124, "Communication port protection"},
};

/* kind: 'a' attribute, 'm' method. */
static const struct {
  uint16_t class_id;
  char kind;
  uint8_t id;
  const char *name;
} members[] = {
    {1, 'a', 2, "value"},
    {3, 'a', 2, "value"},
    {3, 'a', 3, "scaler_unit"},
    {3, 'm', 1, "reset"},
    {4, 'a', 2, "value"},
    {4, 'a', 3, "scaler_unit"},
    {4, 'a', 4, "status"},
    {4, 'a', 5, "capture_time"},
    {5, 'a', 2, "current_average_value"},
    {5, 'a', 3, "last_average_value"},
    {5, 'a', 4, "scaler_unit"},
    {5, 'a', 5, "status"},
    {5, 'a', 6, "capture_time"},
    {5, 'a', 7, "start_time_current"},
    {5, 'a', 8, "period"},
    {5, 'a', 9, "number_of_periods"},
    {5, 'm', 1, "reset"},
    {5, 'm', 2, "next_period"},
    {7, 'a', 2, "buffer"},
    {7, 'a', 3, "capture_objects"},
    {7, 'a', 4, "capture_period"},
    {7, 'a', 5, "sort_method"},
    {7, 'a', 6, "sort_object"},
    {7, 'a', 7, "entries_in_use"},
    {7, 'a', 8, "profile_entries"},
    {7, 'm', 1, "reset"},
    {7, 'm', 2, "capture"},
    {8, 'a', 2, "time"},
    {8, 'a', 3, "time_zone"},
    {8, 'a', 4, "status"},
    {8, 'a', 5, "daylight_savings_begin"},
    {8, 'a', 6, "daylight_savings_end"},
    {8, 'a', 7, "daylight_savings_deviation"},
    {8, 'a', 8, "daylight_savings_enabled"},
    {8, 'a', 9, "clock_base"},
    {8, 'm', 1, "adjust_to_quarter"},
    {8, 'm', 2, "adjust_to_measuring_period"},
    {8, 'm', 3, "adjust_to_minute"},
    {8, 'm', 4, "adjust_to_preset_time"},
    {8, 'm', 5, "preset_adjusting_time"},
    {8, 'm', 6, "shift_time"},
    {15, 'a', 2, "object_list"},
    {15, 'a', 3, "associated_partners_id"},
    {15, 'a', 4, "application_context_name"},
    {15, 'a', 5, "xDLMS_context_info"},
    {15, 'a', 6, "authentication_mechanism_name"},
    {15, 'a', 7, "secret"},
    {15, 'a', 8, "association_status"},
    {15, 'a', 9, "security_setup_reference"},
    {15, 'a', 10, "user_list"},
    {15, 'a', 11, "current_user"},
    {15, 'm', 1, "reply_to_HLS_authentication"},
    {15, 'm', 2, "change_HLS_secret"},
    {15, 'm', 3, "add_object"},
    {15, 'm', 4, "remove_object"},
    {17, 'a', 2, "SAP_assignment_list"},
    {18, 'a', 2, "image_block_size"},
    {18, 'a', 3, "image_transferred_blocks_status"},
    {18, 'a', 4, "image_first_not_transferred_block_number"},
    {18, 'a', 5, "image_transfer_enabled"},
    {18, 'a', 6, "image_transfer_status"},
    {18, 'a', 7, "image_to_activate_info"},
    {18, 'm', 1, "image_transfer_initiate"},
    {18, 'm', 2, "image_block_transfer"},
    {18, 'm', 3, "image_verify"},
    {18, 'm', 4, "image_activate"},
    {23, 'a', 2, "comm_speed"},
    {23, 'a', 3, "window_size_transmit"},
    {23, 'a', 4, "window_size_receive"},
    {23, 'a', 5, "max_info_field_length_transmit"},
    {23, 'a', 6, "max_info_field_length_receive"},
    {23, 'a', 7, "inter_octet_time_out"},
    {23, 'a', 8, "inactivity_time_out"},
    {23, 'a', 9, "device_address"},
    {40, 'a', 2, "push_object_list"},
    {40, 'a', 3, "send_destination_and_method"},
    {40, 'a', 4, "communication_window"},
    {40, 'a', 5, "randomisation_start_interval"},
    {40, 'a', 6, "number_of_retries"},
    {40, 'a', 7, "repetition_delay"},
    {40, 'm', 1, "push"},
    {64, 'a', 2, "security_policy"},
    {64, 'a', 3, "security_suite"},
    {64, 'a', 4, "client_system_title"},
    {64, 'a', 5, "server_system_title"},
    {64, 'a', 6, "certificates"},
    {64, 'm', 1, "security_activate"},
    {64, 'm', 2, "key_transfer"},
    {64, 'm', 3, "key_agreement"},
    {64, 'm', 4, "generate_key_pair"},
    {64, 'm', 5, "generate_certificate_request"},
    {64, 'm', 6, "import_certificate"},
    {64, 'm', 7, "export_certificate"},
    {64, 'm', 8, "remove_certificate"},
    {70, 'a', 2, "output_state"},
    {70, 'a', 3, "control_state"},
    {70, 'a', 4, "control_mode"},
    {70, 'm', 1, "remote_disconnect"},
    {70, 'm', 2, "remote_reconnect"},
    {71, 'a', 2, "monitored_value"},
    {71, 'a', 3, "threshold_active"},
    {71, 'a', 4, "threshold_normal"},
    {71, 'a', 5, "threshold_emergency"},
    {71, 'a', 6, "min_over_threshold_duration"},
    {71, 'a', 7, "min_under_threshold_duration"},
    {71, 'a', 8, "emergency_profile"},
    {71, 'a', 9, "emergency_profile_group_id_list"},
    {71, 'a', 10, "emergency_profile_active"},
    {71, 'a', 11, "actions"},
};

const char *dec_class_name(uint16_t class_id) {
  for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
    if (classes[i].id == class_id)
      return classes[i].name;
  return NULL;
}

static const char *member(uint16_t class_id, char kind, int id) {
  if (kind == 'a' && id == 1)
    return "logical_name";
  for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
    if (members[i].class_id == class_id && members[i].kind == kind &&
        members[i].id == id)
      return members[i].name;
  return NULL;
}

const char *dec_attribute_name(uint16_t class_id, int attr) {
  return member(class_id, 'a', attr);
}

const char *dec_method_name(uint16_t class_id, int method) {
  return member(class_id, 'm', method);
}

json_t *dec_desc_json(const ami_apdu_desc *d, bool method) {
  json_t *o = json_object();
  char obis[AMI_OBIS_TEXT_MAX];
  ami_obis ob = ami_obis_from_bytes(d->obis);
  ami_obis_format(&ob, obis, sizeof obis);
  const char *cn = dec_class_name(d->class_id);
  ami_cli_set(o, "class", json_integer(d->class_id));
  if (cn)
    ami_cli_set(o, "class_name", json_string(cn));
  ami_cli_set(o, "obis", json_string(obis));
  ami_cli_set(o, method ? "method" : "attribute", json_integer(d->id));
  const char *mn = method ? dec_method_name(d->class_id, d->id)
                          : dec_attribute_name(d->class_id, d->id);
  if (mn)
    ami_cli_set(o, "name", json_string(mn));
  return o;
}
