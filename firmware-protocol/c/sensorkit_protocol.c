/* SensorKit open IMU protocol v1: portable encoder/decoder. See sensorkit_protocol.h and ../SPEC.md. */
#include "sensorkit_protocol.h"

#include <string.h>

static const uint16_t ACC_FULL_SCALE_G[4] = {2u, 4u, 8u, 16u};
static const uint16_t GYR_FULL_SCALE_DPS[5] = {125u, 250u, 500u, 1000u, 2000u};

#define RANGE_RESERVED_BITS 0xE0u
#define GYR_RANGE_COUNT 5u
#define ACC_RANGE_COUNT 4u

/* -- little-endian fields, byte by byte (independent of the CPU's byte order) ---------------- */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, (uint16_t)(v & 0xFFFFu));
    put_u16(p + 2, (uint16_t)(v >> 16));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)(v & 0xFFFFFFFFu));
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static void put_i16(uint8_t *p, int16_t v)
{
    put_u16(p, (uint16_t)v); /* conversion to unsigned is defined: two's complement bits */
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | ((uint16_t)p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)get_u16(p) | ((uint32_t)get_u16(p + 2) << 16);
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

static int16_t get_i16(const uint8_t *p)
{
    uint16_t u = get_u16(p);
    /* Converting an out-of-range value to int16_t is implementation-defined in C99; this is not. */
    return u < 0x8000u ? (int16_t)u : (int16_t)((int32_t)u - 65536);
}

/* -- data packets ------------------------------------------------------------------------------ */

const char *skp_status_name(skp_status status)
{
    switch (status) {
    case SKP_OK: return "ok";
    case SKP_ERR_SHORT: return "short";
    case SKP_ERR_VERSION: return "version";
    case SKP_ERR_RESERVED: return "reserved";
    case SKP_ERR_COUNT: return "count";
    case SKP_ERR_RANGE: return "range";
    case SKP_ERR_LENGTH: return "length";
    case SKP_ERR_BUFFER: return "buffer";
    }
    return "unknown";
}

static size_t sample_size(int with_gyro)
{
    return with_gyro ? SKP_SAMPLE_SIZE_GYRO : SKP_SAMPLE_SIZE_ACC;
}

size_t skp_packet_size(uint8_t n, int with_gyro)
{
    return SKP_HEADER_SIZE + (size_t)n * sample_size(with_gyro);
}

uint8_t skp_samples_fit(uint16_t att_mtu, int with_gyro)
{
    size_t payload = att_mtu > 3u ? (size_t)att_mtu - 3u : 0u;
    size_t fit = payload > SKP_HEADER_SIZE ? (payload - SKP_HEADER_SIZE) / sample_size(with_gyro) : 0u;
    return (uint8_t)(fit > SKP_MAX_SAMPLES ? SKP_MAX_SAMPLES : fit);
}

void skp_packet_begin(skp_packet *packet, uint32_t counter, uint8_t acc_range, uint8_t gyr_range,
                      int with_gyro, int battery_low)
{
    memset(packet, 0, sizeof *packet);
    packet->counter = counter;
    packet->acc_range = acc_range;
    packet->gyr_range = gyr_range;
    packet->flags = (uint8_t)((with_gyro ? SKP_FLAG_GYRO : 0u) | (battery_low ? SKP_FLAG_BATTERY_LOW : 0u));
}

static int at_full_scale(int16_t v)
{
    return v == INT16_MIN || v == INT16_MAX;
}

uint8_t skp_packet_push(skp_packet *packet, const skp_sample *sample)
{
    int axis;
    int with_gyro = (packet->flags & SKP_FLAG_GYRO) != 0u;
    if (packet->n >= SKP_MAX_SAMPLES) {
        return 0u;
    }
    packet->samples[packet->n] = *sample;
    for (axis = 0; axis < 3; ++axis) {
        if (at_full_scale(sample->acc[axis]) || (with_gyro && at_full_scale(sample->gyr[axis]))) {
            packet->flags |= SKP_FLAG_CLIPPED;
        }
    }
    packet->n++;
    return packet->n;
}

/* The header checks shared by encoder and decoder, in SPEC.md's order (after version). */
static skp_status check_header(uint8_t flags, uint8_t n, uint8_t ranges)
{
    if ((flags & (uint8_t)~SKP_FLAGS_DEFINED) != 0u) {
        return SKP_ERR_RESERVED;
    }
    if (n == 0u || n > SKP_MAX_SAMPLES) {
        return SKP_ERR_COUNT;
    }
    if ((ranges & RANGE_RESERVED_BITS) != 0u) {
        return SKP_ERR_RESERVED;
    }
    if (((ranges >> 2) & 0x07u) >= GYR_RANGE_COUNT) {
        return SKP_ERR_RANGE;
    }
    return SKP_OK;
}

skp_status skp_encode_packet(const skp_packet *packet, uint8_t *out, size_t cap, size_t *out_len)
{
    int with_gyro = (packet->flags & SKP_FLAG_GYRO) != 0u;
    size_t size = skp_packet_size(packet->n, with_gyro);
    uint8_t ranges;
    uint8_t *p;
    uint8_t k;
    int axis;
    skp_status status;

    if (packet->acc_range >= ACC_RANGE_COUNT || packet->gyr_range >= GYR_RANGE_COUNT) {
        return SKP_ERR_RANGE;
    }
    ranges = (uint8_t)(packet->acc_range | (packet->gyr_range << 2));
    status = check_header(packet->flags, packet->n, ranges);
    if (status != SKP_OK) {
        return status;
    }
    if (cap < size) {
        return SKP_ERR_BUFFER;
    }
    out[0] = (uint8_t)SKP_PROTOCOL_VERSION;
    out[1] = packet->flags;
    out[2] = packet->n;
    out[3] = ranges;
    put_u32(out + 4, packet->counter);
    p = out + SKP_HEADER_SIZE;
    for (k = 0; k < packet->n; ++k) {
        for (axis = 0; axis < 3; ++axis, p += 2) {
            put_i16(p, packet->samples[k].acc[axis]);
        }
        for (axis = 0; with_gyro && axis < 3; ++axis, p += 2) {
            put_i16(p, packet->samples[k].gyr[axis]);
        }
    }
    *out_len = size;
    return SKP_OK;
}

skp_status skp_decode_packet(const uint8_t *bytes, size_t len, skp_packet *packet)
{
    const uint8_t *p;
    uint8_t k;
    int axis;
    int with_gyro;
    skp_status status;

    if (len < SKP_HEADER_SIZE) {
        return SKP_ERR_SHORT;
    }
    if (bytes[0] != SKP_PROTOCOL_VERSION) {
        return SKP_ERR_VERSION;
    }
    status = check_header(bytes[1], bytes[2], bytes[3]);
    if (status != SKP_OK) {
        return status;
    }
    with_gyro = (bytes[1] & SKP_FLAG_GYRO) != 0u;
    if (len != skp_packet_size(bytes[2], with_gyro)) {
        return SKP_ERR_LENGTH;
    }
    memset(packet, 0, sizeof *packet);
    packet->flags = bytes[1];
    packet->n = bytes[2];
    packet->acc_range = (uint8_t)(bytes[3] & 0x03u);
    packet->gyr_range = (uint8_t)((bytes[3] >> 2) & 0x07u);
    packet->counter = get_u32(bytes + 4);
    p = bytes + SKP_HEADER_SIZE;
    for (k = 0; k < packet->n; ++k) {
        for (axis = 0; axis < 3; ++axis, p += 2) {
            packet->samples[k].acc[axis] = get_i16(p);
        }
        for (axis = 0; with_gyro && axis < 3; ++axis, p += 2) {
            packet->samples[k].gyr[axis] = get_i16(p);
        }
    }
    return SKP_OK;
}

uint16_t skp_acc_full_scale_g(uint8_t acc_range)
{
    return acc_range < ACC_RANGE_COUNT ? ACC_FULL_SCALE_G[acc_range] : 0u;
}

uint16_t skp_gyr_full_scale_dps(uint8_t gyr_range)
{
    return gyr_range < GYR_RANGE_COUNT ? GYR_FULL_SCALE_DPS[gyr_range] : 0u;
}

double skp_acc_g(int16_t raw, uint8_t acc_range)
{
    return (double)raw * (double)skp_acc_full_scale_g(acc_range) / 32768.0;
}

double skp_gyr_dps(int16_t raw, uint8_t gyr_range)
{
    return (double)raw * (double)skp_gyr_full_scale_dps(gyr_range) / 32768.0;
}

/* -- control commands -------------------------------------------------------------------------- */

/* Parameter bytes after the opcode; -1 for an opcode v1 does not define. */
static int param_size(uint8_t opcode)
{
    switch (opcode) {
    case SKP_OP_START:
    case SKP_OP_STOP: return 0;
    case SKP_OP_SET_RATE: return 2;
    case SKP_OP_SET_RANGES: return 2;
    case SKP_OP_SET_SAMPLES_PER_PACKET: return 1;
    case SKP_OP_TIME_SYNC: return 8;
    case SKP_OP_IDENTIFY: return 3;
    default: return -1;
    }
}

static int command_values_valid(const skp_command *c)
{
    switch (c->opcode) {
    case SKP_OP_SET_RATE: return c->rate_hz >= SKP_RATE_MIN_HZ && c->rate_hz <= SKP_RATE_MAX_HZ;
    case SKP_OP_SET_RANGES: return c->acc_range < ACC_RANGE_COUNT && c->gyr_range < GYR_RANGE_COUNT;
    case SKP_OP_SET_SAMPLES_PER_PACKET: return c->samples_per_packet >= 1u && c->samples_per_packet <= SKP_MAX_SAMPLES;
    case SKP_OP_TIME_SYNC: return c->host_unix_us != 0u;
    case SKP_OP_IDENTIFY: return c->pattern <= SKP_IDENTIFY_MAX_PATTERN && c->duration_ms <= SKP_IDENTIFY_MAX_MS;
    default: return 1;
    }
}

uint8_t skp_parse_command(const uint8_t *bytes, size_t len, skp_command *command)
{
    int size;
    memset(command, 0, sizeof *command);
    if (len == 0u || (size = param_size(bytes[0])) < 0) {
        return SKP_ATT_UNKNOWN_OPCODE;
    }
    if (len != (size_t)size + 1u) {
        return SKP_ATT_INVALID_PARAMETER;
    }
    command->opcode = bytes[0];
    switch (command->opcode) {
    case SKP_OP_SET_RATE: command->rate_hz = get_u16(bytes + 1); break;
    case SKP_OP_SET_RANGES:
        command->acc_range = bytes[1];
        command->gyr_range = bytes[2];
        break;
    case SKP_OP_SET_SAMPLES_PER_PACKET: command->samples_per_packet = bytes[1]; break;
    case SKP_OP_TIME_SYNC: command->host_unix_us = get_u64(bytes + 1); break;
    case SKP_OP_IDENTIFY:
        command->pattern = bytes[1];
        command->duration_ms = get_u16(bytes + 2);
        break;
    default: break;
    }
    return command_values_valid(command) ? SKP_ATT_OK : SKP_ATT_INVALID_PARAMETER;
}

uint8_t skp_command_allowed(const skp_command *command, int streaming)
{
    int changes_config = command->opcode == SKP_OP_SET_RATE || command->opcode == SKP_OP_SET_RANGES ||
                         command->opcode == SKP_OP_SET_SAMPLES_PER_PACKET;
    return streaming && changes_config ? SKP_ATT_NOT_ALLOWED_WHILE_STREAMING : SKP_ATT_OK;
}

skp_status skp_encode_command(const skp_command *command, uint8_t *out, size_t cap, size_t *out_len)
{
    int size = param_size(command->opcode);
    if (size < 0 || !command_values_valid(command)) {
        return SKP_ERR_RANGE;
    }
    if (cap < (size_t)size + 1u) {
        return SKP_ERR_BUFFER;
    }
    out[0] = command->opcode;
    switch (command->opcode) {
    case SKP_OP_SET_RATE: put_u16(out + 1, command->rate_hz); break;
    case SKP_OP_SET_RANGES:
        out[1] = command->acc_range;
        out[2] = command->gyr_range;
        break;
    case SKP_OP_SET_SAMPLES_PER_PACKET: out[1] = command->samples_per_packet; break;
    case SKP_OP_TIME_SYNC: put_u64(out + 1, command->host_unix_us); break;
    case SKP_OP_IDENTIFY:
        out[1] = command->pattern;
        put_u16(out + 2, command->duration_ms);
        break;
    default: break;
    }
    *out_len = (size_t)size + 1u;
    return SKP_OK;
}

/* -- configuration read-back ------------------------------------------------------------------- */

static skp_status check_config(const skp_config *c)
{
    if (c->version != SKP_PROTOCOL_VERSION) {
        return SKP_ERR_VERSION;
    }
    if ((c->status & (uint8_t)~SKP_STATUS_DEFINED) != 0u) {
        return SKP_ERR_RESERVED;
    }
    if (c->acc_range >= ACC_RANGE_COUNT || c->gyr_range >= GYR_RANGE_COUNT ||
        c->rate_hz < SKP_RATE_MIN_HZ || c->rate_hz > SKP_RATE_MAX_HZ ||
        c->samples_per_packet < 1u || c->samples_per_packet > SKP_MAX_SAMPLES || c->battery_low_pct > 100u) {
        return SKP_ERR_RANGE;
    }
    return SKP_OK;
}

skp_status skp_encode_config(const skp_config *config, uint8_t *out, size_t cap, size_t *out_len)
{
    skp_status status = check_config(config);
    if (status != SKP_OK) {
        return status;
    }
    if (cap < SKP_CONFIG_SIZE) {
        return SKP_ERR_BUFFER;
    }
    out[0] = config->version;
    out[1] = config->status;
    put_u16(out + 2, config->rate_hz);
    out[4] = (uint8_t)(config->acc_range | (config->gyr_range << 2));
    out[5] = config->samples_per_packet;
    put_u32(out + 6, config->sync_counter);
    put_u64(out + 10, config->sync_host_unix_us);
    out[18] = config->battery_low_pct;
    out[19] = config->imu_chip;
    *out_len = SKP_CONFIG_SIZE;
    return SKP_OK;
}

skp_status skp_decode_config(const uint8_t *bytes, size_t len, skp_config *config)
{
    skp_config c;
    skp_status status;
    if (len != SKP_CONFIG_SIZE) {
        return SKP_ERR_LENGTH;
    }
    if (bytes[0] != SKP_PROTOCOL_VERSION) {
        return SKP_ERR_VERSION;
    }
    if ((bytes[1] & (uint8_t)~SKP_STATUS_DEFINED) != 0u || (bytes[4] & RANGE_RESERVED_BITS) != 0u) {
        return SKP_ERR_RESERVED;
    }
    c.version = bytes[0];
    c.status = bytes[1];
    c.rate_hz = get_u16(bytes + 2);
    c.acc_range = (uint8_t)(bytes[4] & 0x03u);
    c.gyr_range = (uint8_t)((bytes[4] >> 2) & 0x07u);
    c.samples_per_packet = bytes[5];
    c.sync_counter = get_u32(bytes + 6);
    c.sync_host_unix_us = get_u64(bytes + 10);
    c.battery_low_pct = bytes[18];
    c.imu_chip = bytes[19];
    status = check_config(&c); /* the value ranges; version and reserved bits passed above */
    if (status == SKP_OK) {
        *config = c;
    }
    return status;
}
