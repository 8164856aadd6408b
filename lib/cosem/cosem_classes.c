/*
 * cosem_classes.c -- the interface classes of the DLMS UA Blue Book
 * (IEC 62056-6-2 §4.5) as DATA: one description per class (id, version,
 * attributes with type descriptions and access, methods with parameter
 * types). Everything generic (SET type checks, default values, the
 * object_list's access rights) is driven from this table; there is no
 * per-class codec anywhere.
 *
 * Attribute and method lists and types were checked against the Blue Book
 * as the public Gurux libraries implement it (GXDLMS*.py getDataType and
 * getValue) for Account, Credit, Charge and Push Setup; the others are
 * from the Blue Book as remembered and cross-checked on the recorded
 * Gurux server's object_list (attribute and method counts of classes 1, 3,
 * 8, 15, 17, 64).
 *
 * Type descriptions use the prefix notation documented in ami_cosem.h.
 * Access: R = the class allows read only, W = read-write, WO = write only
 * (secrets).
 */
#include "ami/ami_cosem.h"

#include "ami/ami_axdr.h"

/* Tags, short. */
#define NUL  AMI_AXDR_NULL
#define ARR  AMI_AXDR_ARRAY
#define ST   AMI_AXDR_STRUCTURE
#define BOOL AMI_AXDR_BOOLEAN
#define BITS AMI_AXDR_BIT_STRING
#define I32  AMI_AXDR_DOUBLE_LONG
#define U32  AMI_AXDR_DOUBLE_LONG_UNSIGNED
#define OCT  AMI_AXDR_OCTET_STRING
#define VIS  AMI_AXDR_VISIBLE_STRING
#define I8   AMI_AXDR_INTEGER
#define I16  AMI_AXDR_LONG
#define U8   AMI_AXDR_UNSIGNED
#define U16  AMI_AXDR_LONG_UNSIGNED
#define ENUM AMI_AXDR_ENUM
#define LN   AMI_COSEM_TD_LN
#define DT   AMI_COSEM_TD_DATETIME
#define DATE AMI_COSEM_TD_DATE
#define TIME AMI_COSEM_TD_TIME
#define ANY  AMI_COSEM_TD_ANY

#define R  AMI_COSEM_ACC_READ
#define W  AMI_COSEM_ACC_RW
#define WO AMI_COSEM_ACC_WRITE

/* Shared type descriptions. */
static const uint8_t t_ln[] = {LN};
static const uint8_t t_any[] = {ANY};
static const uint8_t t_dt[] = {DT};
static const uint8_t t_oct[] = {OCT};
static const uint8_t t_bool[] = {BOOL};
static const uint8_t t_bits[] = {BITS};
static const uint8_t t_enum[] = {ENUM};
static const uint8_t t_i8[] = {I8};
static const uint8_t t_i16[] = {I16};
static const uint8_t t_i32[] = {I32};
static const uint8_t t_u8[] = {U8};
static const uint8_t t_u16[] = {U16};
static const uint8_t t_u32[] = {U32};
/* scal_unit_type ::= structure { scaler integer, unit enum } */
static const uint8_t t_scaler_unit[] = {ST, 2, I8, ENUM};
/* capture_object_definition (Profile Generic, Push Setup) */
static const uint8_t t_cod[] = {ST, 4, U16, LN, I8, U16};
static const uint8_t t_cod_array[] = {ARR, ST, 4, U16, LN, I8, U16};
/* value_definition ::= structure { class_id, logical_name, attribute_index } */
static const uint8_t t_value_def[] = {ST, 3, U16, LN, I8};
/* script ::= structure { script_logical_name, script_selector } */
static const uint8_t t_script_ref[] = {ST, 2, LN, U16};
static const uint8_t t_action_pair[] = {ST, 2, ST, 2, LN, U16, ST, 2, LN, U16};

#define A(i, n, t, acc)                                                        \
  { i, n, t, (uint8_t)sizeof(t), acc }
#define M(i, n, t)                                                             \
  { i, n, t, (uint8_t)sizeof(t) }
#define LN_ATTR A(1, "logical_name", t_ln, R)
#define CLASS(id, ver, name, attrs, methods)                                   \
  {                                                                            \
    id, ver, name, attrs, (uint8_t)(sizeof(attrs) / sizeof(attrs[0])),         \
        methods, (uint8_t)(sizeof(methods) / sizeof(methods[0]))               \
  }
#define CLASS_NM(id, ver, name, attrs)                                         \
  { id, ver, name, attrs, (uint8_t)(sizeof(attrs) / sizeof(attrs[0])), NULL, 0 }

/* Data (class 1, version 0). */
static const ami_cosem_attr_desc data_a[] = {LN_ATTR, A(2, "value", t_any, W)};

/* Register (class 3, version 0). */
static const ami_cosem_attr_desc register_a[] = {
    LN_ATTR, A(2, "value", t_any, W), A(3, "scaler_unit", t_scaler_unit, R)};
static const ami_cosem_method_desc reset_m[] = {M(1, "reset", t_i8)};

/* Extended register (class 4, version 0). */
static const ami_cosem_attr_desc ext_register_a[] = {
    LN_ATTR, A(2, "value", t_any, W), A(3, "scaler_unit", t_scaler_unit, R),
    A(4, "status", t_any, R), A(5, "capture_time", t_dt, R)};

/* Demand register (class 5, version 0). */
static const ami_cosem_attr_desc demand_a[] = {
    LN_ATTR,
    A(2, "current_average_value", t_any, R),
    A(3, "last_average_value", t_any, R),
    A(4, "scaler_unit", t_scaler_unit, R),
    A(5, "status", t_any, R),
    A(6, "capture_time", t_dt, R),
    A(7, "start_time_current", t_dt, R),
    A(8, "period", t_u32, W),
    A(9, "number_of_periods", t_u16, W)};
static const ami_cosem_method_desc demand_m[] = {M(1, "reset", t_i8),
                                                 M(2, "next_period", t_i8)};

/* Profile generic (class 7, version 1). The buffer is an array of rows
 * whose structure depends on capture_objects: ANY. */
static const uint8_t t_buffer[] = {ARR, ANY};
static const ami_cosem_attr_desc profile_a[] = {
    LN_ATTR,
    A(2, "buffer", t_buffer, R),
    A(3, "capture_objects", t_cod_array, W),
    A(4, "capture_period", t_u32, W),
    A(5, "sort_method", t_enum, W),
    A(6, "sort_object", t_cod, W),
    A(7, "entries_in_use", t_u32, R),
    A(8, "profile_entries", t_u32, W)};
static const ami_cosem_method_desc profile_m[] = {M(1, "reset", t_i8),
                                                  M(2, "capture", t_i8)};

/* Clock (class 8, version 0). */
static const uint8_t t_preset[] = {ST, 3, DT, DT, DT};
static const ami_cosem_attr_desc clock_a[] = {
    LN_ATTR,
    A(2, "time", t_dt, W),
    A(3, "time_zone", t_i16, W),
    A(4, "status", t_u8, R),
    A(5, "daylight_savings_begin", t_dt, W),
    A(6, "daylight_savings_end", t_dt, W),
    A(7, "daylight_savings_deviation", t_i8, W),
    A(8, "daylight_savings_enabled", t_bool, W),
    A(9, "clock_base", t_enum, R)};
static const ami_cosem_method_desc clock_m[] = {
    M(1, "adjust_to_quarter", t_i8),
    M(2, "adjust_to_measuring_period", t_i8),
    M(3, "adjust_to_minute", t_i8),
    M(4, "adjust_to_preset_time", t_i8),
    M(5, "preset_adjusting_time", t_preset),
    M(6, "shift_time", t_i16)};

/* Script table (class 9, version 0). */
static const uint8_t t_scripts[] = {ARR, ST,   2,   U16, ARR, ST,
                                    5,   ENUM, U16, LN,  I8,  ANY};
static const ami_cosem_attr_desc script_a[] = {LN_ATTR,
                                               A(2, "scripts", t_scripts, W)};
static const ami_cosem_method_desc script_m[] = {M(1, "execute", t_u16)};

/* Special days table (class 11, version 0). */
static const uint8_t t_spec_day[] = {ST, 3, U16, DATE, U8};
static const uint8_t t_spec_days[] = {ARR, ST, 3, U16, DATE, U8};
static const ami_cosem_attr_desc special_days_a[] = {
    LN_ATTR, A(2, "entries", t_spec_days, W)};
static const ami_cosem_method_desc special_days_m[] = {
    M(1, "insert", t_spec_day), M(2, "delete", t_u16)};

/* Association LN (class 15, version 2). object_list_element ::= structure
 * { class_id, version, logical_name, access_rights }, access_rights ::=
 * structure { array attribute_access_item { attribute_id integer,
 * access_mode enum, access_selectors null-data | array of integer },
 * array method_access_item { method_id integer, access_mode enum } }. */
static const uint8_t t_object_list[] = {ARR, ST,  4,  U16, U8,  LN,   ST,
                                        2,   ARR, ST, 3,   I8,  ENUM, ANY,
                                        ARR, ST,  2,  I8,  ENUM};
static const uint8_t t_partners[] = {ST, 2, I8, U16};
static const uint8_t t_context_name[] = {ST, 7, U8, U8, U16, U8, U8, U8, U8};
static const uint8_t t_xdlms_info[] = {ST, 6, BITS, U16, U16, U8, I8, OCT};
static const uint8_t t_user_list[] = {ARR, ST, 2, U8, VIS};
static const uint8_t t_user[] = {ST, 2, U8, VIS};
static const uint8_t t_obj_ref[] = {ST, 4, U16, U8, LN, ANY};
static const ami_cosem_attr_desc assoc_ln_a[] = {
    LN_ATTR,
    A(2, "object_list", t_object_list, R),
    A(3, "associated_partners_id", t_partners, R),
    A(4, "application_context_name", t_context_name, R),
    A(5, "xDLMS_context_info", t_xdlms_info, R),
    A(6, "authentication_mechanism_name", t_context_name, R),
    A(7, "secret", t_oct, WO), /* never readable */
    A(8, "association_status", t_enum, R),
    A(9, "security_setup_reference", t_ln, R),
    A(10, "user_list", t_user_list, R),
    A(11, "current_user", t_user, R)};
static const ami_cosem_method_desc assoc_ln_m[] = {
    M(1, "reply_to_HLS_authentication", t_oct),
    M(2, "change_HLS_secret", t_oct),
    M(3, "add_object", t_obj_ref),
    M(4, "remove_object", t_obj_ref),
    M(5, "add_user", t_user),
    M(6, "remove_user", t_user)};

/* SAP assignment (class 17, version 0). */
static const uint8_t t_sap_list[] = {ARR, ST, 2, U16, OCT};
static const uint8_t t_sap_item[] = {ST, 2, U16, OCT};
static const ami_cosem_attr_desc sap_a[] = {
    LN_ATTR, A(2, "SAP_assignment_list", t_sap_list, R)};
static const ami_cosem_method_desc sap_m[] = {
    M(1, "connect_logical_device", t_sap_item)};

/* Image transfer (class 18, version 0). */
static const uint8_t t_image_info[] = {ARR, ST, 3, U32, OCT, OCT};
static const uint8_t t_image_init[] = {ST, 2, OCT, U32};
static const uint8_t t_image_block[] = {ST, 2, U32, OCT};
static const ami_cosem_attr_desc image_a[] = {
    LN_ATTR,
    A(2, "image_block_size", t_u32, R),
    A(3, "image_transferred_blocks_status", t_bits, R),
    A(4, "image_first_not_transferred_block_number", t_u32, R),
    A(5, "image_transfer_enabled", t_bool, W),
    A(6, "image_transfer_status", t_enum, R),
    A(7, "image_to_activate_info", t_image_info, R)};
static const ami_cosem_method_desc image_m[] = {
    M(1, "image_transfer_initiate", t_image_init),
    M(2, "image_block_transfer", t_image_block), M(3, "image_verify", t_i8),
    M(4, "image_activate", t_i8)};

/* Activity calendar (class 20, version 0). */
static const uint8_t t_seasons[] = {ARR, ST, 3, OCT, DT, OCT};
static const uint8_t t_weeks[] = {ARR, ST, 8, OCT, U8, U8, U8, U8, U8, U8, U8};
static const uint8_t t_days[] = {ARR, ST, 2, U8, ARR, ST, 3, TIME, LN, U16};
static const ami_cosem_attr_desc calendar_a[] = {
    LN_ATTR,
    A(2, "calendar_name_active", t_oct, R),
    A(3, "season_profile_active", t_seasons, R),
    A(4, "week_profile_table_active", t_weeks, R),
    A(5, "day_profile_table_active", t_days, R),
    A(6, "calendar_name_passive", t_oct, W),
    A(7, "season_profile_passive", t_seasons, W),
    A(8, "week_profile_table_passive", t_weeks, W),
    A(9, "day_profile_table_passive", t_days, W),
    A(10, "activate_passive_calendar_time", t_dt, W)};
static const ami_cosem_method_desc calendar_m[] = {
    M(1, "activate_passive_calendar", t_i8)};

/* Register monitor (class 21, version 0). */
static const uint8_t t_thresholds[] = {ARR, ANY};
static const uint8_t t_actions[] = {ARR, ST, 2, ST, 2, LN, U16, ST, 2, LN, U16};
static const ami_cosem_attr_desc reg_monitor_a[] = {
    LN_ATTR, A(2, "thresholds", t_thresholds, W),
    A(3, "monitored_value", t_value_def, W), A(4, "actions", t_actions, W)};

/* Single action schedule (class 22, version 0). */
static const uint8_t t_exec_times[] = {ARR, ST, 2, TIME, DATE};
static const ami_cosem_attr_desc schedule_a[] = {
    LN_ATTR, A(2, "executed_script", t_script_ref, W), A(3, "type", t_enum, W),
    A(4, "execution_time", t_exec_times, W)};

/* IEC HDLC setup (class 23, version 1). */
static const ami_cosem_attr_desc hdlc_setup_a[] = {
    LN_ATTR,
    A(2, "comm_speed", t_enum, W),
    A(3, "window_size_transmit", t_u8, W),
    A(4, "window_size_receive", t_u8, W),
    A(5, "max_info_field_length_transmit", t_u16, W),
    A(6, "max_info_field_length_receive", t_u16, W),
    A(7, "inter_octet_time_out", t_u16, W),
    A(8, "inactivity_time_out", t_u16, W),
    A(9, "device_address", t_u16, W)};

/* Push setup (class 40, version 0). */
static const uint8_t t_destination[] = {ST, 3, ENUM, OCT, ENUM};
static const uint8_t t_windows[] = {ARR, ST, 2, DT, DT};
static const ami_cosem_attr_desc push_a[] = {
    LN_ATTR,
    A(2, "push_object_list", t_cod_array, W),
    A(3, "send_destination_and_method", t_destination, W),
    A(4, "communication_window", t_windows, W),
    A(5, "randomisation_start_interval", t_u16, W),
    A(6, "number_of_retries", t_u8, W),
    A(7, "repetition_delay", t_u16, W)};
static const ami_cosem_method_desc push_m[] = {M(1, "push", t_i8)};

/* Security setup (class 64, version 1). */
static const uint8_t t_certs[] = {ARR, ST,  6,   ENUM, ENUM,
                                  OCT, OCT, OCT, OCT,  OCT};
static const uint8_t t_key_list[] = {ARR, ST, 2, ENUM, OCT};
static const uint8_t t_key_agree[] = {ARR, ST, 2, ENUM, OCT};
static const uint8_t t_cert_id[] = {ST, 2, ENUM, ANY};
static const ami_cosem_attr_desc security_a[] = {
    LN_ATTR,
    A(2, "security_policy", t_enum, R),
    A(3, "security_suite", t_enum, R),
    A(4, "client_system_title", t_oct, W),
    A(5, "server_system_title", t_oct, R),
    A(6, "certificates", t_certs, R)};
static const ami_cosem_method_desc security_m[] = {
    M(1, "security_activate", t_enum),
    M(2, "key_transfer", t_key_list),
    M(3, "key_agreement", t_key_agree),
    M(4, "generate_key_pair", t_enum),
    M(5, "generate_certificate_request", t_enum),
    M(6, "import_certificate", t_oct),
    M(7, "export_certificate", t_cert_id),
    M(8, "remove_certificate", t_cert_id)};

/* Disconnect control (class 70, version 0). */
static const ami_cosem_attr_desc disconnect_a[] = {
    LN_ATTR, A(2, "output_state", t_bool, R), A(3, "control_state", t_enum, R),
    A(4, "control_mode", t_enum, W)};
static const ami_cosem_method_desc disconnect_m[] = {
    M(1, "remote_disconnect", t_i8), M(2, "remote_reconnect", t_i8)};

/* Limiter (class 71, version 0). */
static const uint8_t t_emergency[] = {ST, 3, U16, DT, U32};
static const uint8_t t_group_ids[] = {ARR, U16};
static const ami_cosem_attr_desc limiter_a[] = {
    LN_ATTR,
    A(2, "monitored_value", t_value_def, W),
    A(3, "threshold_active", t_any, W),
    A(4, "threshold_normal", t_any, W),
    A(5, "threshold_emergency", t_any, W),
    A(6, "min_over_threshold_duration", t_u32, W),
    A(7, "min_under_threshold_duration", t_u32, W),
    A(8, "emergency_profile", t_emergency, W),
    A(9, "emergency_profile_group_id_list", t_group_ids, W),
    A(10, "emergency_profile_active", t_bool, R),
    A(11, "actions", t_action_pair, W)};

/* Account (class 111, version 0). */
static const uint8_t t_mode_status[] = {ST, 2, ENUM, ENUM};
static const uint8_t t_ln_array[] = {ARR, LN};
static const uint8_t t_cc_config[] = {ARR, ST, 3, LN, LN, BITS};
static const uint8_t t_token_gw[] = {ARR, ST, 2, LN, U8};
static const uint8_t t_currency[] = {ST, 3, AMI_AXDR_UTF8_STRING, I8, ENUM};
static const ami_cosem_attr_desc account_a[] = {
    LN_ATTR,
    A(2, "account_mode_and_status", t_mode_status, R),
    A(3, "current_credit_in_use", t_u8, R),
    A(4, "current_credit_status", t_bits, R),
    A(5, "available_credit", t_i32, R),
    A(6, "amount_to_clear", t_i32, R),
    A(7, "clearance_threshold", t_i32, W),
    A(8, "aggregated_debt", t_i32, R),
    A(9, "credit_reference_list", t_ln_array, W),
    A(10, "charge_reference_list", t_ln_array, W),
    A(11, "credit_charge_configuration", t_cc_config, W),
    A(12, "token_gateway_configuration", t_token_gw, W),
    A(13, "account_activation_time", t_dt, W),
    A(14, "account_closure_time", t_dt, W),
    A(15, "currency", t_currency, W),
    A(16, "low_credit_threshold", t_i32, W),
    A(17, "next_credit_available_threshold", t_i32, W),
    A(18, "max_provision", t_u16, W),
    A(19, "max_provision_period", t_i32, W)};
static const ami_cosem_method_desc account_m[] = {
    M(1, "activate_account", t_i8), M(2, "close_account", t_i8),
    M(3, "reset_account", t_i8)};

/* Credit (class 112, version 0). */
static const ami_cosem_attr_desc credit_a[] = {
    LN_ATTR,
    A(2, "current_credit_amount", t_i32, R),
    A(3, "credit_type", t_enum, W),
    A(4, "priority", t_u8, W),
    A(5, "warning_threshold", t_i32, W),
    A(6, "limit", t_i32, W),
    A(7, "credit_configuration", t_bits, W),
    A(8, "credit_status", t_enum, R),
    A(9, "preset_credit_amount", t_i32, W),
    A(10, "credit_available_threshold", t_i32, W),
    A(11, "period", t_dt, W)};
static const ami_cosem_method_desc credit_m[] = {
    M(1, "update_amount", t_i32), M(2, "set_amount_to_value", t_i32),
    M(3, "invoke_credit", t_enum)};

/* Charge (class 113, version 0). unit_charge ::= structure {
 * charge_per_unit_scaling { commodity_scale integer, price_scale integer },
 * commodity { class_id, logical_name, attribute_index },
 * charge_table array { index octet-string, charge_per_unit long } }. */
static const uint8_t t_unit_charge[] = {ST,  3,  ST, 2,   I8, I8, ST,  3,
                                        U16, LN, I8, ARR, ST, 2,  OCT, I16};
static const ami_cosem_attr_desc charge_a[] = {
    LN_ATTR,
    A(2, "total_amount_paid", t_i32, R),
    A(3, "charge_type", t_enum, W),
    A(4, "priority", t_u8, W),
    A(5, "unit_charge_active", t_unit_charge, R),
    A(6, "unit_charge_passive", t_unit_charge, W),
    A(7, "unit_charge_activation_time", t_dt, W),
    A(8, "period", t_u32, W),
    A(9, "charge_configuration", t_bits, W),
    A(10, "last_collection_time", t_dt, R),
    A(11, "last_collection_amount", t_i32, R),
    A(12, "total_amount_remaining", t_i32, R),
    A(13, "proportion", t_u16, W)};
static const ami_cosem_method_desc charge_m[] = {
    M(1, "update_unit_charge", t_unit_charge),
    M(2, "activate_passive_unit_charge", t_i8), M(3, "collect", t_i8),
    M(4, "update_total_amount_remaining", t_i32),
    M(5, "set_total_amount_remaining", t_i32)};

/* Token gateway (class 115, version 0): the last token entered, when,
 * its description, how it came (0 remote, 1 local, 2 manual) and its
 * status { status_code enum, data_value bit-string }; method enter. */
static const uint8_t t_oct_array[] = {ARR, OCT};
static const uint8_t t_token_status[] = {ST, 2, ENUM, BITS};
static const ami_cosem_attr_desc token_gw_a[] = {
    LN_ATTR,
    A(2, "token", t_oct, R),
    A(3, "token_time", t_dt, R),
    A(4, "token_description", t_oct_array, R),
    A(5, "token_delivery_method", t_enum, R),
    A(6, "token_status", t_token_status, R)};
static const ami_cosem_method_desc token_gw_m[] = {M(1, "enter", t_oct)};

/* The table, ascending class id. */
static const ami_cosem_class_desc classes[] = {
    CLASS_NM(1, 0, "Data", data_a),
    CLASS(3, 0, "Register", register_a, reset_m),
    CLASS(4, 0, "Extended register", ext_register_a, reset_m),
    CLASS(5, 0, "Demand register", demand_a, demand_m),
    CLASS(7, 1, "Profile generic", profile_a, profile_m),
    CLASS(8, 0, "Clock", clock_a, clock_m),
    CLASS(9, 0, "Script table", script_a, script_m),
    CLASS(11, 0, "Special days table", special_days_a, special_days_m),
    CLASS(15, 2, "Association LN", assoc_ln_a, assoc_ln_m),
    CLASS(17, 0, "SAP assignment", sap_a, sap_m),
    CLASS(18, 0, "Image transfer", image_a, image_m),
    CLASS(20, 0, "Activity calendar", calendar_a, calendar_m),
    CLASS_NM(21, 0, "Register monitor", reg_monitor_a),
    CLASS_NM(22, 0, "Single action schedule", schedule_a),
    CLASS_NM(23, 1, "IEC HDLC setup", hdlc_setup_a),
    CLASS(40, 0, "Push setup", push_a, push_m),
    CLASS(64, 1, "Security setup", security_a, security_m),
    CLASS(70, 0, "Disconnect control", disconnect_a, disconnect_m),
    CLASS_NM(71, 0, "Limiter", limiter_a),
    CLASS(111, 0, "Account", account_a, account_m),
    CLASS(112, 0, "Credit", credit_a, credit_m),
    CLASS(113, 0, "Charge", charge_a, charge_m),
    CLASS(115, 0, "Token gateway", token_gw_a, token_gw_m),
};

const ami_cosem_class_desc *ami_cosem_classes(size_t *count) {
  *count = sizeof classes / sizeof classes[0];
  return classes;
}

const ami_cosem_class_desc *ami_cosem_class_find(uint16_t class_id) {
  for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
    if (classes[i].class_id == class_id)
      return &classes[i];
  return NULL;
}

const ami_cosem_attr_desc *ami_cosem_class_attr(const ami_cosem_class_desc *c,
                                                unsigned index) {
  if (c && index >= 1 && index <= c->nattrs &&
      c->attrs[index - 1].index == index)
    return &c->attrs[index - 1];
  for (uint8_t i = 0; c && i < c->nattrs; i++)
    if (c->attrs[i].index == index)
      return &c->attrs[i];
  return NULL;
}

const ami_cosem_method_desc *
ami_cosem_class_method(const ami_cosem_class_desc *c, unsigned index) {
  for (uint8_t i = 0; c && i < c->nmethods; i++)
    if (c->methods[i].index == index)
      return &c->methods[i];
  return NULL;
}
