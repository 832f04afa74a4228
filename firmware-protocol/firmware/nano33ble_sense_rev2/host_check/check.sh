#!/bin/sh
# Type-check the sketch on a PC without an ARM toolchain or a board: g++ -fsyntax-only against the
# REAL headers of ArduinoBLE and Arduino_BMI270_BMM150 plus the small Arduino-core stand-ins here.
# This catches API misuse (wrong names, signatures, types); it proves nothing about timing or radio.
#
#   sh check.sh PATH/TO/ArduinoBLE PATH/TO/Arduino_BMI270_BMM150     (library checkouts)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ble=$1
bosch=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
cp "$here/../../../c/sensorkit_protocol.h" "$work/src/"
{ echo '#include <Arduino.h>'; cat "$here/../sensorkit_imu/sensorkit_imu.ino"; } > "$work/sketch.cpp"
g++ -std=gnu++17 -fsyntax-only -Wall -Wextra -Werror -I"$here" -I"$ble/src" -I"$bosch/src" -I"$work" "$work/sketch.cpp"
gcc -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only "$here/../../../c/sensorkit_protocol.c"
echo "sketch type-checks against $ble and $bosch"
