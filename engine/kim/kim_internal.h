/* Private to the KIM module: limits shared by kim.c and kim_codec.c. */
#ifndef PSH_KIM_INTERNAL_H
#define PSH_KIM_INTERNAL_H

#define PSH_KIM_SCHEMA_VERSION 1
#define PSH_KIM_ATTRS_VERSION 1
#define PSH_KIM_KEY_ID_VERSION 1

/* Largest key size a record may carry (PSA allows up to 0xfff8). */
#define PSH_KIM_MAX_KEY_BITS 65536u
/* Largest provider key id we store or read back. */
#define PSH_KIM_MAX_KEY_ID 65536u
/* Largest application, key or provider name, in bytes. */
#define PSH_KIM_MAX_NAME (1u << 20)
/* Most rows one listing returns (bounds memory on a huge or hostile database). */
#ifndef PSH_KIM_LIST_MAX
#define PSH_KIM_LIST_MAX 1000000u
#endif

#endif
