#!/bin/sh
# Build (and optionally flash) the reference firmware with arduino-cli.
#
#   sh build.sh                      compile only
#   sh build.sh upload /dev/ttyACM0  compile and flash (macOS: /dev/cu.usbmodem...; Windows: COM3)
#
# Arduino compiles only files inside the sketch folder, so the shared codec is copied into
# sensorkit_imu/src/ first (that copy is ignored by git; ../../c/ is the one source).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fqbn=arduino:mbed_nano:nano33ble   # Nano 33 BLE, BLE Sense and BLE Sense Rev2 share this core
mkdir -p "$here/sensorkit_imu/src"
cp "$here/../../c/sensorkit_protocol.h" "$here/../../c/sensorkit_protocol.c" "$here/sensorkit_imu/src/"
arduino-cli core install arduino:mbed_nano
arduino-cli lib install "ArduinoBLE@2.0.1" "Arduino_BMI270_BMM150@1.2.3"
arduino-cli compile --fqbn "$fqbn" "$here/sensorkit_imu"
if [ "${1:-}" = upload ]; then
    arduino-cli upload --port "$2" --fqbn "$fqbn" "$here/sensorkit_imu"
fi
