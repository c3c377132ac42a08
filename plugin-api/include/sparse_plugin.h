/*
 * sparse_plugin.h: the C ABI between sparse-host and a component plugin, version 1.0.
 *
 * This header mirrors plugin-api/src/abi.rs; a test compiles it and compares every
 * struct's size and field offsets with the Rust definitions.
 *
 * A plugin is a shared library exporting exactly one function, sparse_plugin_v1
 * (the ABI major version is part of its name). Rules:
 *  - Strings and JSON cross as sp_str: borrowed UTF-8 (pointer, length), valid only
 *    during the call. Copy what you keep.
 *  - Nothing allocated on one side is freed on the other. Instances are opaque pointers
 *    made by create and freed by destroy, both in the plugin.
 *  - Entry points return a status (SP_STATUS_*). Never let an exception or a longjmp
 *    cross the boundary.
 *  - Host callbacks other than log may only be called on the thread, and during the call,
 *    in which the host called the plugin. log may be called from any thread.
 *  - Every struct starts with struct_size; later minor versions only append fields.
 */
#ifndef SPARSE_PLUGIN_H
#define SPARSE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SP_ABI_MAJOR 1
#define SP_ABI_MINOR 0
#define SP_ENTRY_SYMBOL "sparse_plugin_v1"

#define SP_STATUS_OK 0
#define SP_STATUS_ERROR 1
#define SP_STATUS_PANIC 2
#define SP_STATUS_INVALID 3
#define SP_STATUS_HOST_FAILED 4

#define SP_KIND_SPOUT 1u
#define SP_KIND_BOLT 2u

#define SP_LEVEL_ERROR 1u
#define SP_LEVEL_WARN 2u
#define SP_LEVEL_INFO 3u
#define SP_LEVEL_DEBUG 4u
#define SP_LEVEL_TRACE 5u

typedef struct sp_str {
    const uint8_t *ptr;
    size_t len;
} sp_str;

typedef struct sp_tuple_v1 {
    size_t struct_size;
    sp_str id;        /* raw JSON, echo it unchanged */
    sp_str component; /* empty when Storm sent null */
    sp_str stream;
    int64_t task;
    sp_str values;    /* JSON array */
} sp_tuple_v1;

typedef void (*sp_task_ids_sink)(void *user, const int64_t *ids, size_t len);

typedef struct sp_emit_v1 {
    size_t struct_size;
    sp_str stream;           /* empty = "default" */
    sp_str values;           /* JSON array */
    const sp_str *anchors;   /* bolts: raw JSON ids of inputs */
    size_t anchor_count;
    sp_str message_id;       /* spouts: raw JSON; empty = unreliable */
    int64_t direct_task;     /* 0 = not direct */
    uint32_t need_task_ids;  /* non-zero: ids go to task_ids_sink before emit returns */
    sp_task_ids_sink task_ids_sink;
    void *task_ids_user;
} sp_emit_v1;

typedef struct sp_host_api_v1 {
    size_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;
    int32_t (*emit)(void *ctx, const sp_emit_v1 *emit);
    int32_t (*ack)(void *ctx, sp_str tuple_id);
    int32_t (*fail)(void *ctx, sp_str tuple_id);
    void (*log)(void *ctx, uint32_t level, sp_str target, sp_str msg);
    void (*report_error)(void *ctx, sp_str msg);
    int32_t (*metrics)(void *ctx, sp_str name, sp_str params);
    uint32_t (*max_log_level)(void *ctx);
} sp_host_api_v1;

typedef int32_t (*sp_create_fn)(const sp_host_api_v1 *host, void *ctx, sp_str conf,
                                sp_str context, void **out);
typedef void (*sp_destroy_fn)(void *instance);
typedef int32_t (*sp_tuple_fn)(void *instance, const sp_tuple_v1 *tuple);
typedef int32_t (*sp_command_fn)(void *instance);
typedef int32_t (*sp_message_id_fn)(void *instance, sp_str message_id);

typedef struct sp_component_v1 {
    size_t struct_size;
    sp_str name;
    uint32_t kind;           /* SP_KIND_SPOUT or SP_KIND_BOLT */
    sp_str outputs;          /* {"default":{"fields":["word"],"direct":false}} */
    sp_create_fn create;
    sp_destroy_fn destroy;
    sp_tuple_fn process;     /* bolts (NULL otherwise) */
    sp_tuple_fn tick;        /* bolts: tick tuples, acked by the component */
    sp_command_fn next_tuple;/* spouts */
    sp_message_id_fn ack;
    sp_message_id_fn fail;
    sp_command_fn activate;
    sp_command_fn deactivate;
} sp_component_v1;

typedef struct sp_plugin_v1 {
    size_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;
    sp_str plugin_name;
    sp_str plugin_version;
    sp_str build_info;
    const sp_component_v1 *components;
    size_t component_count;
} sp_plugin_v1;

/* The one exported symbol. Return NULL to refuse a host. */
typedef const sp_plugin_v1 *(*sp_entry_fn)(const sp_host_api_v1 *host);

#ifdef __cplusplus
}
#endif

#endif /* SPARSE_PLUGIN_H */
