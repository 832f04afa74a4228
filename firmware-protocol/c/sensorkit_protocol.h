/*
 * SensorKit open IMU protocol v1: portable encoder/decoder (see ../SPEC.md).
 *
 * One .h/.c pair for the board and for host tools: C99, no dynamic allocation, no libc beyond
 * <stdint.h>, <stddef.h> and <string.h>, and every multi-byte field is assembled byte by byte in
 * little-endian order, so the code gives the same bytes on any CPU. All functions are reentrant;
 * state lives only in the caller's structs.
 *
 * Tested on the host against ../vectors/ by test_vectors.c (tests/test_firmware_protocol_c.py).
 */
#ifndef SENSORKIT_PROTOCOL_H
#define SENSORKIT_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SKP_PROTOCOL_VERSION 1u
#define SKP_HEADER_SIZE 8u
#define SKP_MAX_SAMPLES 19u
#define SKP_SAMPLE_SIZE_GYRO 12u
#define SKP_SAMPLE_SIZE_ACC 6u
#define SKP_MAX_PACKET_SIZE (SKP_HEADER_SIZE + SKP_MAX_SAMPLES * SKP_SAMPLE_SIZE_GYRO) /* 236 */
#define SKP_CONFIG_SIZE 20u
#define SKP_MAX_COMMAND_SIZE 9u
#define SKP_RATE_MIN_HZ 10u
#define SKP_RATE_MAX_HZ 400u
#define SKP_IDENTIFY_MAX_PATTERN 3u
#define SKP_IDENTIFY_MAX_MS 10000u

#define SKP_SERVICE_UUID "5e450001-8e2a-4c1b-9d3f-6a7b8c9d0e1f"
#define SKP_DATA_UUID "5e450002-8e2a-4c1b-9d3f-6a7b8c9d0e1f"
#define SKP_CONTROL_UUID "5e450003-8e2a-4c1b-9d3f-6a7b8c9d0e1f"
#define SKP_CONFIG_UUID "5e450004-8e2a-4c1b-9d3f-6a7b8c9d0e1f"
#define SKP_NAME_PREFIX "SensorKit"

/* Data packet flags (byte 1). */
#define SKP_FLAG_GYRO 0x01u
#define SKP_FLAG_BATTERY_LOW 0x02u
#define SKP_FLAG_CLIPPED 0x04u
#define SKP_FLAGS_DEFINED 0x07u

/* Config status bits (byte 1). */
#define SKP_STATUS_STREAMING 0x01u
#define SKP_STATUS_GYRO 0x02u
#define SKP_STATUS_BATTERY_LOW 0x04u
#define SKP_STATUS_DEFINED 0x07u

/* Control opcodes. */
#define SKP_OP_START 0x01u
#define SKP_OP_STOP 0x02u
#define SKP_OP_SET_RATE 0x03u
#define SKP_OP_SET_RANGES 0x04u
#define SKP_OP_SET_SAMPLES_PER_PACKET 0x05u
#define SKP_OP_TIME_SYNC 0x06u
#define SKP_OP_IDENTIFY 0x07u

/* ATT application errors a device answers a rejected control write with (0 = accepted). */
#define SKP_ATT_OK 0x00u
#define SKP_ATT_UNKNOWN_OPCODE 0x80u
#define SKP_ATT_INVALID_PARAMETER 0x81u
#define SKP_ATT_NOT_ALLOWED_WHILE_STREAMING 0x82u

/* Why bytes do not decode (or a struct does not encode); the names match the vectors' "error". */
typedef enum {
    SKP_OK = 0,
    SKP_ERR_SHORT,    /* fewer bytes than the fixed header */
    SKP_ERR_VERSION,  /* protocol version is not 1 */
    SKP_ERR_RESERVED, /* a reserved bit is set */
    SKP_ERR_COUNT,    /* samples per packet outside 1..19 */
    SKP_ERR_RANGE,    /* a range code or configuration value outside its defined values */
    SKP_ERR_LENGTH,   /* total length does not match the header */
    SKP_ERR_BUFFER    /* the caller's output buffer is too small */
} skp_status;

/* The name used for a status in the test vectors ("short", "version", ...); "ok" for SKP_OK. */
const char *skp_status_name(skp_status status);

typedef struct {
    int16_t acc[3]; /* raw counts, x y z */
    int16_t gyr[3]; /* raw counts; ignored when the packet has no gyro */
} skp_sample;

/* One data notification in raw counts. */
typedef struct {
    uint8_t flags;     /* SKP_FLAG_*; SKP_FLAG_GYRO decides whether gyr[] goes on the air */
    uint8_t acc_range; /* 0..3: +-2, 4, 8, 16 g */
    uint8_t gyr_range; /* 0..4: +-125, 250, 500, 1000, 2000 deg/s */
    uint8_t n;         /* samples used, 1..SKP_MAX_SAMPLES */
    uint32_t counter;  /* device counter of samples[0]; sample k has counter + k (mod 2^32) */
    skp_sample samples[SKP_MAX_SAMPLES];
} skp_packet;

/* Bytes of a packet of n samples. */
size_t skp_packet_size(uint8_t n, int with_gyro);

/* Samples that fit one notification at an ATT MTU (payload MTU - 3), capped at SKP_MAX_SAMPLES;
 * 0 when not even one fits. */
uint8_t skp_samples_fit(uint16_t att_mtu, int with_gyro);

/* Start an empty packet (n = 0) whose first sample will carry `counter`. */
void skp_packet_begin(skp_packet *packet, uint32_t counter, uint8_t acc_range, uint8_t gyr_range,
                      int with_gyro, int battery_low);

/* Append one sample; sets SKP_FLAG_CLIPPED when a value is at full scale (-32768 or 32767).
 * Returns the new sample count, or 0 when the packet was already full (nothing appended). */
uint8_t skp_packet_push(skp_packet *packet, const skp_sample *sample);

/* Write the packet's bytes to out[0..cap); *out_len receives the size. Checks the packet like the
 * decoder would (so a device cannot send what a collector rejects). */
skp_status skp_encode_packet(const skp_packet *packet, uint8_t *out, size_t cap, size_t *out_len);

/* Parse a notification strictly, in the check order of SPEC.md section 2. Samples beyond n and
 * the gyro values of an accelerometer-only packet are set to 0. */
skp_status skp_decode_packet(const uint8_t *bytes, size_t len, skp_packet *packet);

/* Full scale of a range code (g or deg/s), 0 for an undefined code. */
uint16_t skp_acc_full_scale_g(uint8_t acc_range);
uint16_t skp_gyr_full_scale_dps(uint8_t gyr_range);

/* Raw counts to g and deg/s: raw * full_scale / 32768 (exact in double). */
double skp_acc_g(int16_t raw, uint8_t acc_range);
double skp_gyr_dps(int16_t raw, uint8_t gyr_range);

/* A control write. Only the fields of `opcode` are meaningful. */
typedef struct {
    uint8_t opcode;
    uint16_t rate_hz;           /* SET_RATE: 10..400 */
    uint8_t acc_range;          /* SET_RANGES: 0..3 */
    uint8_t gyr_range;          /* SET_RANGES: 0..4 */
    uint8_t samples_per_packet; /* SET_SAMPLES_PER_PACKET: 1..19 */
    uint64_t host_unix_us;      /* TIME_SYNC: not 0 */
    uint8_t pattern;            /* IDENTIFY: 0..3 */
    uint16_t duration_ms;       /* IDENTIFY: 0..10000, 0 cancels */
} skp_command;

/* Parse and check a control write as a device must: returns SKP_ATT_OK, SKP_ATT_UNKNOWN_OPCODE or
 * SKP_ATT_INVALID_PARAMETER (wrong length, value outside its range). Device-specific limits (a
 * rate or range the IMU lacks) are the firmware's own extra check. */
uint8_t skp_parse_command(const uint8_t *bytes, size_t len, skp_command *command);

/* SKP_ATT_NOT_ALLOWED_WHILE_STREAMING for configuration changes while streaming, else SKP_ATT_OK. */
uint8_t skp_command_allowed(const skp_command *command, int streaming);

/* Bytes of a command (for host tools); values are checked as skp_parse_command does. */
skp_status skp_encode_command(const skp_command *command, uint8_t *out, size_t cap, size_t *out_len);

/* The config characteristic's value. */
typedef struct {
    uint8_t version;            /* SKP_PROTOCOL_VERSION */
    uint8_t status;             /* SKP_STATUS_* */
    uint16_t rate_hz;           /* 10..400 */
    uint8_t acc_range;          /* 0..3 */
    uint8_t gyr_range;          /* 0..4 */
    uint8_t samples_per_packet; /* configured maximum, 1..19 */
    uint32_t sync_counter;      /* counter when the last time sync arrived */
    uint64_t sync_host_unix_us; /* host time sent with it; 0 = no sync record */
    uint8_t battery_low_pct;    /* 0..100 */
    uint8_t imu_chip;           /* informational chip code, any value */
} skp_config;

skp_status skp_encode_config(const skp_config *config, uint8_t *out, size_t cap, size_t *out_len);
skp_status skp_decode_config(const uint8_t *bytes, size_t len, skp_config *config);

#ifdef __cplusplus
}
#endif

#endif /* SENSORKIT_PROTOCOL_H */
