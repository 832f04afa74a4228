/*
 * Host test: check the C codec against every test vector, in both directions.
 *
 *   python vectors_to_text.py vectors.txt
 *   cc -std=c99 -Wall -Wextra -Werror -pedantic sensorkit_protocol.c test_vectors.c -o test_vectors
 *   ./test_vectors vectors.txt      (prints "checked N vectors, F failed"; exit 0 only when F == 0)
 *
 * Lines "XD name hex", "XC name hex", "XG name hex" (any bytes, for the differential test against
 * the Python codec)
 * are not checked here: the program prints what it decodes from them, one line each, e.g.
 * "XD ok <flags> <n> <acc_range> <gyr_range> <counter> <raw...>" or "XD length".
 *
 * The line format is described in vectors_to_text.py. This program may use the host's libc (stdio,
 * stdlib); the codec itself does not.
 */
#include "sensorkit_protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 8192
#define MAX_BYTES 512

static int failures;
static const char *current;

static void fail(const char *what)
{
    ++failures;
    printf("FAIL %s: %s\n", current, what);
}

static const char *next_token(void)
{
    const char *token = strtok(NULL, " \n");
    return token ? token : "";
}

static unsigned long long next_u(void)
{
    return strtoull(next_token(), NULL, 10);
}

static long next_i(void)
{
    return strtol(next_token(), NULL, 10);
}

static size_t parse_hex(const char *hex, uint8_t *out)
{
    size_t n = 0;
    if (strcmp(hex, "-") == 0) {
        return 0;
    }
    for (; hex[0] && hex[1] && n < MAX_BYTES; hex += 2) {
        char pair[3] = {hex[0], hex[1], 0};
        out[n++] = (uint8_t)strtoul(pair, NULL, 16);
    }
    return n;
}

static void expect_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
    if (got_len != want_len || memcmp(got, want, want_len) != 0) {
        fail("encoded bytes differ from the vector");
    }
}

static void expect_status(skp_status got, const char *want)
{
    if (strcmp(skp_status_name(got), want) != 0) {
        char message[96];
        sprintf(message, "status %s, expected %s", skp_status_name(got), want);
        fail(message);
    }
}

static int same_double(double a, double b)
{
    double scale = (b < 0 ? -b : b) > 1.0 ? (b < 0 ? -b : b) : 1.0;
    double diff = a - b;
    return (diff < 0 ? -diff : diff) <= 1e-12 * scale;
}

static void check_data(const uint8_t *bytes, size_t len)
{
    skp_packet want, got;
    uint8_t out[MAX_BYTES];
    size_t out_len = 0;
    int k, axis, with_gyro;
    const char *verdict = next_token();

    if (strcmp(verdict, "ERR") == 0) {
        expect_status(skp_decode_packet(bytes, len, &got), next_token());
        return;
    }
    memset(&want, 0, sizeof want);
    want.flags = (uint8_t)next_u();
    want.n = (uint8_t)next_u();
    want.acc_range = (uint8_t)next_u();
    want.gyr_range = (uint8_t)next_u();
    want.counter = (uint32_t)next_u();
    with_gyro = (want.flags & SKP_FLAG_GYRO) != 0u;
    for (k = 0; k < want.n; ++k) {
        for (axis = 0; axis < 3; ++axis) want.samples[k].acc[axis] = (int16_t)next_i();
        for (axis = 0; with_gyro && axis < 3; ++axis) want.samples[k].gyr[axis] = (int16_t)next_i();
    }

    expect_status(skp_decode_packet(bytes, len, &got), "ok");
    if (got.flags != want.flags || got.n != want.n || got.acc_range != want.acc_range ||
        got.gyr_range != want.gyr_range || got.counter != want.counter) {
        fail("decoded header differs");
    }
    if (memcmp(got.samples, want.samples, sizeof want.samples) != 0) {
        fail("decoded raw samples differ");
    }
    for (k = 0; k < want.n; ++k) {
        for (axis = 0; axis < 3; ++axis) {
            if (!same_double(skp_acc_g(got.samples[k].acc[axis], got.acc_range), strtod(next_token(), NULL))) {
                fail("acceleration in g differs");
            }
        }
        for (axis = 0; with_gyro && axis < 3; ++axis) {
            if (!same_double(skp_gyr_dps(got.samples[k].gyr[axis], got.gyr_range), strtod(next_token(), NULL))) {
                fail("angular rate in deg/s differs");
            }
        }
    }
    expect_status(skp_encode_packet(&want, out, sizeof out, &out_len), "ok");
    expect_bytes(out, out_len, bytes, len);
}

/* The same packet built sample by sample must give the same bytes (CLIPPED derived from values). */
static void check_push_builds_clipped_flag(const uint8_t *bytes, size_t len)
{
    skp_packet decoded, built;
    uint8_t out[MAX_BYTES];
    size_t out_len = 0;
    int k;
    if (skp_decode_packet(bytes, len, &decoded) != SKP_OK) {
        return;
    }
    skp_packet_begin(&built, decoded.counter, decoded.acc_range, decoded.gyr_range,
                     (decoded.flags & SKP_FLAG_GYRO) != 0u, (decoded.flags & SKP_FLAG_BATTERY_LOW) != 0u);
    for (k = 0; k < decoded.n; ++k) {
        skp_packet_push(&built, &decoded.samples[k]);
    }
    if (skp_encode_packet(&built, out, sizeof out, &out_len) != SKP_OK) {
        fail("packet built with skp_packet_push does not encode");
        return;
    }
    expect_bytes(out, out_len, bytes, len);
}

static void check_control(const uint8_t *bytes, size_t len)
{
    int streaming = (int)next_u();
    unsigned want_error = (unsigned)next_u();
    const char *opcode = next_token();
    skp_command got, want;
    uint8_t out[MAX_BYTES];
    size_t out_len = 0;
    uint8_t error = skp_parse_command(bytes, len, &got);

    if (error == SKP_ATT_OK) {
        error = skp_command_allowed(&got, streaming);
    }
    if (error != want_error) {
        char message[64];
        sprintf(message, "ATT error 0x%02x, expected 0x%02x", error, want_error);
        fail(message);
    }
    if (strcmp(opcode, "-") == 0) {
        return;
    }
    memset(&want, 0, sizeof want);
    want.opcode = (uint8_t)strtoul(opcode, NULL, 10);
    switch (want.opcode) {
    case SKP_OP_SET_RATE: want.rate_hz = (uint16_t)next_u(); break;
    case SKP_OP_SET_RANGES:
        want.acc_range = (uint8_t)next_u();
        want.gyr_range = (uint8_t)next_u();
        break;
    case SKP_OP_SET_SAMPLES_PER_PACKET: want.samples_per_packet = (uint8_t)next_u(); break;
    case SKP_OP_TIME_SYNC: want.host_unix_us = (uint64_t)next_u(); break;
    case SKP_OP_IDENTIFY:
        want.pattern = (uint8_t)next_u();
        want.duration_ms = (uint16_t)next_u();
        break;
    default: break;
    }
    if (got.opcode != want.opcode || got.rate_hz != want.rate_hz || got.acc_range != want.acc_range ||
        got.gyr_range != want.gyr_range || got.samples_per_packet != want.samples_per_packet ||
        got.host_unix_us != want.host_unix_us || got.pattern != want.pattern || got.duration_ms != want.duration_ms) {
        fail("parsed command differs");
    }
    expect_status(skp_encode_command(&want, out, sizeof out, &out_len), "ok");
    expect_bytes(out, out_len, bytes, len);
}

static void check_config(const uint8_t *bytes, size_t len)
{
    skp_config want, got;
    uint8_t out[MAX_BYTES];
    size_t out_len = 0;
    const char *verdict = next_token();

    if (strcmp(verdict, "ERR") == 0) {
        expect_status(skp_decode_config(bytes, len, &got), next_token());
        return;
    }
    memset(&want, 0, sizeof want);
    memset(&got, 0, sizeof got);
    want.version = (uint8_t)next_u();
    want.status = (uint8_t)next_u();
    want.rate_hz = (uint16_t)next_u();
    want.acc_range = (uint8_t)next_u();
    want.gyr_range = (uint8_t)next_u();
    want.samples_per_packet = (uint8_t)next_u();
    want.sync_counter = (uint32_t)next_u();
    want.sync_host_unix_us = (uint64_t)next_u();
    want.battery_low_pct = (uint8_t)next_u();
    want.imu_chip = (uint8_t)next_u();
    expect_status(skp_decode_config(bytes, len, &got), "ok");
    if (got.version != want.version || got.status != want.status || got.rate_hz != want.rate_hz ||
        got.acc_range != want.acc_range || got.gyr_range != want.gyr_range ||
        got.samples_per_packet != want.samples_per_packet || got.sync_counter != want.sync_counter ||
        got.sync_host_unix_us != want.sync_host_unix_us || got.battery_low_pct != want.battery_low_pct ||
        got.imu_chip != want.imu_chip) {
        fail("decoded config differs");
    }
    expect_status(skp_encode_config(&want, out, sizeof out, &out_len), "ok");
    expect_bytes(out, out_len, bytes, len);
}

/* Facts of SPEC.md section 8 that no vector states as bytes. */
static void check_sizing(void)
{
    current = "sizing";
    if (skp_samples_fit(23, 1) != 1 || skp_samples_fit(23, 0) != 2 || skp_samples_fit(247, 1) != 19 ||
        skp_samples_fit(247, 0) != 19 || skp_samples_fit(19, 1) != 0 || skp_samples_fit(0, 1) != 0) {
        fail("samples per MTU");
    }
    if (skp_packet_size(19, 1) != 236 || skp_packet_size(1, 1) != 20 || SKP_MAX_PACKET_SIZE != 236) {
        fail("packet sizes");
    }
}

/* Differential mode: print the C codec's reading of arbitrary bytes. */
static void report(const char *kind, const uint8_t *bytes, size_t len)
{
    if (strcmp(kind, "XD") == 0) {
        skp_packet p;
        skp_status status = skp_decode_packet(bytes, len, &p);
        int k, axis;
        printf("XD %s", skp_status_name(status));
        if (status == SKP_OK) {
            printf(" %u %u %u %u %lu", p.flags, p.n, p.acc_range, p.gyr_range, (unsigned long)p.counter);
            for (k = 0; k < p.n; ++k) {
                for (axis = 0; axis < 3; ++axis) printf(" %d", p.samples[k].acc[axis]);
                for (axis = 0; (p.flags & SKP_FLAG_GYRO) && axis < 3; ++axis) printf(" %d", p.samples[k].gyr[axis]);
            }
        }
    } else if (strcmp(kind, "XC") == 0) {
        skp_command c;
        uint8_t error = skp_parse_command(bytes, len, &c);
        printf("XC %u", error);
        if (error == SKP_ATT_OK) {
            printf(" %u %u %u %u %u %llu %u %u", c.opcode, c.rate_hz, c.acc_range, c.gyr_range,
                   c.samples_per_packet, (unsigned long long)c.host_unix_us, c.pattern, c.duration_ms);
        }
    } else {
        skp_config c;
        skp_status status = skp_decode_config(bytes, len, &c);
        printf("XG %s", skp_status_name(status));
        if (status == SKP_OK) {
            printf(" %u %u %u %u %u %u %lu %llu %u %u", c.version, c.status, c.rate_hz, c.acc_range,
                   c.gyr_range, c.samples_per_packet, (unsigned long)c.sync_counter,
                   (unsigned long long)c.sync_host_unix_us, c.battery_low_pct, c.imu_chip);
        }
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    static char line[MAX_LINE];
    uint8_t bytes[MAX_BYTES];
    int checked = 0;
    int reported = 0;
    FILE *file;

    if (argc != 2 || (file = fopen(argv[1], "r")) == NULL) {
        fprintf(stderr, "usage: %s VECTORS.txt (from vectors_to_text.py)\n", argv[0]);
        return 2;
    }
    while (fgets(line, sizeof line, file)) {
        const char *kind = strtok(line, " \n");
        static char name[128];
        size_t len;
        if (kind == NULL) {
            continue;
        }
        sprintf(name, "%.1s %.120s", kind, next_token());
        current = name;
        len = parse_hex(next_token(), bytes);
        if (kind[0] == 'X') {
            report(kind, bytes, len);
            ++reported;
            continue;
        }
        if (strcmp(kind, "D") == 0) {
            check_data(bytes, len);
            check_push_builds_clipped_flag(bytes, len);
        } else if (strcmp(kind, "C") == 0) {
            check_control(bytes, len);
        } else if (strcmp(kind, "G") == 0) {
            check_config(bytes, len);
        } else {
            fail("unknown line kind");
        }
        ++checked;
    }
    fclose(file);
    check_sizing();
    printf("checked %d vectors, %d failed\n", checked, failures);
    return failures == 0 && checked + reported > 0 ? 0 : 1;
}
