/*
 * ami_apdu_items.c -- schemas of the building blocks shared by several xDLMS
 * APDUs (IEC 62056-5-3 §8 "Useful types"), and of every list item type.
 */
#include "ami_apdu_internal.h"

/* Cosem-Attribute-Descriptor / Cosem-Method-Descriptor: class-id Unsigned16,
 * instance-id OCTET STRING (SIZE(6)), attribute-/method-id Integer8. */
static const ami__field desc_f[] = {
    AMI__F(U16, ami_apdu_desc, class_id),
    AMI__F(OBIS, ami_apdu_desc, obis),
    AMI__F(I8, ami_apdu_desc, id),
};
const ami__schema ami__desc_schema = AMI__SCHEMA(desc_f);

/* Selective-Access-Descriptor: access-selector Unsigned8, access-parameters
 * Data. Always used OPTIONAL (presence in `present`). */
static const ami__field selection_f[] = {
    AMI__F(U8, ami_apdu_selection, selector),
    AMI__F(DATA, ami_apdu_selection, params),
};
const ami__schema ami__selection_schema = AMI__SCHEMA(selection_f);

/* Cosem-Attribute-Descriptor-With-Selection. */
static const ami__field attr_sel_f[] = {
    AMI__F_SEQ(ami_apdu_attr_sel, attr, &ami__desc_schema),
    AMI__F_OPT_SEQ(ami_apdu_attr_sel, sel, sel.present, &ami__selection_schema),
};
static const ami__schema attr_sel_schema = AMI__SCHEMA(attr_sel_f);

/* Get-Data-Result ::= CHOICE { data [0] Data, data-access-result [1]
 * IMPLICIT Data-Access-Result }. */
static const ami__field get_result_data_f[] = {
    AMI__F(DATA, ami_apdu_get_result, data),
};
static const ami__field get_result_dar_f[] = {
    AMI__F(U8, ami_apdu_get_result, dar),
};
static const ami__alt get_result_alts[] = {
    AMI__ALT(0, get_result_data_f),
    AMI__ALT(1, get_result_dar_f),
};
static const ami__choice get_result_choice = AMI__CHOICE_OF(get_result_alts);
static const ami__field get_result_f[] = {
    AMI__F_CHOICE(ami_apdu_get_result, choice, &get_result_choice),
};
const ami__schema ami__get_result_schema = AMI__SCHEMA(get_result_f);

/* Action-Response-With-Optional-Data: result Action-Result,
 * return-parameters Get-Data-Result OPTIONAL. */
static const ami__field action_result_f[] = {
    AMI__F(U8, ami_apdu_action_result, result),
    AMI__F_OPT_SEQ(ami_apdu_action_result, ret, has_return,
                   &ami__get_result_schema),
};
const ami__schema ami__action_result_schema = AMI__SCHEMA(action_result_f);

/* DataBlock-SA: last-block BOOLEAN, block-number Unsigned32, raw-data
 * OCTET STRING. */
static const ami__field datablock_f[] = {
    AMI__F(BOOL, ami_apdu_datablock, last),
    AMI__F(U32, ami_apdu_datablock, block_number),
    AMI__F(OCTETS, ami_apdu_datablock, raw),
};
const ami__schema ami__datablock_schema = AMI__SCHEMA(datablock_f);

/* DataBlock-G: last-block, block-number, result CHOICE { raw-data [0]
 * OCTET STRING, data-access-result [1] Data-Access-Result }. */
static const ami__field block_g_raw_f[] = {
    AMI__F(OCTETS, ami_apdu_datablock_g, raw),
};
static const ami__field block_g_dar_f[] = {
    AMI__F(U8, ami_apdu_datablock_g, dar),
};
static const ami__alt block_g_alts[] = {
    AMI__ALT(0, block_g_raw_f),
    AMI__ALT(1, block_g_dar_f),
};
static const ami__choice block_g_choice = AMI__CHOICE_OF(block_g_alts);
static const ami__field datablock_g_f[] = {
    AMI__F(BOOL, ami_apdu_datablock_g, last),
    AMI__F(U32, ami_apdu_datablock_g, block_number),
    AMI__F_CHOICE(ami_apdu_datablock_g, choice, &block_g_choice),
};
const ami__schema ami__datablock_g_schema = AMI__SCHEMA(datablock_g_f);

/* Items that are a single value. */
static const ami__field data_item_f[] = {{.kind = AMI__K_DATA, .off = 0}};
static const ami__schema data_item_schema = AMI__SCHEMA(data_item_f);
static const ami__field dar_item_f[] = {{.kind = AMI__K_U8, .off = 0}};
static const ami__schema dar_item_schema = AMI__SCHEMA(dar_item_f);

/* Variable-Access-Specification (SN referencing). */
static const ami__field va_name_f[] = {
    AMI__F(U16, ami_apdu_var_access, name),
};
static const ami__field va_param_f[] = {
    AMI__F(U16, ami_apdu_var_access, name),
    AMI__F(U8, ami_apdu_var_access, selector),
    AMI__F(DATA, ami_apdu_var_access, params),
};
static const ami__field va_block_f[] = {
    AMI__F(U16, ami_apdu_var_access, block_number),
};
static const ami__field va_read_block_f[] = {
    AMI__F(BOOL, ami_apdu_var_access, last),
    AMI__F(U16, ami_apdu_var_access, block_number),
    AMI__F(OCTETS, ami_apdu_var_access, raw),
};
static const ami__field va_write_block_f[] = {
    AMI__F(BOOL, ami_apdu_var_access, last),
    AMI__F(U16, ami_apdu_var_access, block_number),
};
static const ami__alt var_access_alts[] = {
    AMI__ALT(2, va_name_f),        AMI__ALT(4, va_param_f),
    AMI__ALT(5, va_block_f),       AMI__ALT(6, va_read_block_f),
    AMI__ALT(7, va_write_block_f),
};
static const ami__choice var_access_choice = AMI__CHOICE_OF(var_access_alts);
static const ami__field var_access_f[] = {
    AMI__F_CHOICE(ami_apdu_var_access, choice, &var_access_choice),
};
static const ami__schema var_access_schema = AMI__SCHEMA(var_access_f);

/* ReadResponse item ::= CHOICE { data [0], data-access-error [1],
 * data-block-result [2] (last-block, block-number Unsigned16, raw-data),
 * block-number [3] Unsigned16 }. */
static const ami__field rr_data_f[] = {
    AMI__F(DATA, ami_apdu_read_result, data),
};
static const ami__field rr_dar_f[] = {
    AMI__F(U8, ami_apdu_read_result, dar),
};
static const ami__field rr_block_f[] = {
    AMI__F(BOOL, ami_apdu_read_result, last),
    AMI__F(U16, ami_apdu_read_result, block_number),
    AMI__F(OCTETS, ami_apdu_read_result, raw),
};
static const ami__field rr_number_f[] = {
    AMI__F(U16, ami_apdu_read_result, block_number),
};
static const ami__alt read_result_alts[] = {
    AMI__ALT(0, rr_data_f),
    AMI__ALT(1, rr_dar_f),
    AMI__ALT(2, rr_block_f),
    AMI__ALT(3, rr_number_f),
};
static const ami__choice read_result_choice = AMI__CHOICE_OF(read_result_alts);
static const ami__field read_result_f[] = {
    AMI__F_CHOICE(ami_apdu_read_result, choice, &read_result_choice),
};
static const ami__schema read_result_schema = AMI__SCHEMA(read_result_f);

/* WriteResponse item ::= CHOICE { success [0] NULL, data-access-error [1],
 * block-number [2] Unsigned16 }. */
static const ami__field wr_dar_f[] = {
    AMI__F(U8, ami_apdu_write_result, dar),
};
static const ami__field wr_number_f[] = {
    AMI__F(U16, ami_apdu_write_result, block_number),
};
static const ami__alt write_result_alts[] = {
    AMI__ALT_EMPTY(0),
    AMI__ALT(1, wr_dar_f),
    AMI__ALT(2, wr_number_f),
};
static const ami__choice write_result_choice =
    AMI__CHOICE_OF(write_result_alts);
static const ami__field write_result_f[] = {
    AMI__F_CHOICE(ami_apdu_write_result, choice, &write_result_choice),
};
static const ami__schema write_result_schema = AMI__SCHEMA(write_result_f);

const ami__elem_info ami__elems[AMI_APDU_ELEM_COUNT] = {
    [AMI_APDU_ELEM_ATTR_SEL] = {&attr_sel_schema, sizeof(ami_apdu_attr_sel)},
    [AMI_APDU_ELEM_METHOD_DESC] = {&ami__desc_schema, sizeof(ami_apdu_desc)},
    [AMI_APDU_ELEM_DATA] = {&data_item_schema, sizeof(ami_span)},
    [AMI_APDU_ELEM_DAR] = {&dar_item_schema, sizeof(uint8_t)},
    [AMI_APDU_ELEM_GET_RESULT] = {&ami__get_result_schema,
                                  sizeof(ami_apdu_get_result)},
    [AMI_APDU_ELEM_ACTION_RESULT] = {&ami__action_result_schema,
                                     sizeof(ami_apdu_action_result)},
    [AMI_APDU_ELEM_VAR_ACCESS] = {&var_access_schema,
                                  sizeof(ami_apdu_var_access)},
    [AMI_APDU_ELEM_READ_RESULT] = {&read_result_schema,
                                   sizeof(ami_apdu_read_result)},
    [AMI_APDU_ELEM_WRITE_RESULT] = {&write_result_schema,
                                    sizeof(ami_apdu_write_result)},
};
