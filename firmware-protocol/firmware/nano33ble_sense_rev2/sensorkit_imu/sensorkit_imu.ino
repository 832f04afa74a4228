/*
 * SensorKit open IMU protocol v1 (../../../SPEC.md): reference firmware for the
 * Arduino Nano 33 BLE Sense Rev2 (nRF52840, BMI270 on the internal I2C bus Wire1),
 * built on ArduinoBLE 2.x and Arduino_BMI270_BMM150 1.2.x.
 *
 * NOT COMPILED OR RUN by the SensorKit project: there was no ARM toolchain and no board. The
 * protocol bytes come from the shared C codec in src/ (a copy of ../../../c/, made by build.sh),
 * which is tested on the host against the protocol's test vectors. See ../README.md.
 *
 * Shape: one loop, no RTOS threads of our own. The loop polls BLE (which runs the control handler)
 * and the BMI270's data-ready flag; each sample goes into the packet being filled; a full packet is
 * one notification. The sample counter counts sample *slots* at the configured rate, so a slot the
 * loop missed (a long BLE.poll, a blocked notification) becomes a gap the collector can see rather
 * than a silent shift of every later sample time.
 */
#include <ArduinoBLE.h>
#include <Arduino_BMI270_BMM150.h>

#include "src/sensorkit_protocol.h"

namespace {

const uint8_t IMU_CHIP_BMI270 = 1;        // config byte 19 (SPEC.md section 4)
const uint8_t BATTERY_LOW_PCT = 15;       // config byte 18
const uint32_t RESUME_WINDOW_MS = 60000;  // keep counting this long after a link loss (SPEC 3.4)
const uint32_t FAST_ADVERTISING_MS = 30000;
const uint16_t FAST_ADV_INTERVAL = 160;   // 0.625 ms units: 100 ms
const uint16_t SLOW_ADV_INTERVAL = 1600;  // 1 s
const uint32_t BATTERY_PERIOD_MS = 60000;

// ---- the BMI270, configured by us and read as raw counts --------------------------------------

// The library converts to g/deg/s with fixed factors (it assumes +-4 g and +-2000 deg/s) and swaps
// axes for the Nano; the protocol wants raw counts at the configured range in the chip's frame, so
// this subclass keeps the bmi2_dev the library hands to configure_sensor() and reads it directly.
class SensorKitBmi270 : public BoschSensorClass {
 public:
  SensorKitBmi270() : BoschSensorClass(Wire1) {}

  // Rate and ranges for the next begin()/apply(); false when the BMI270 has no such setting.
  bool select(uint16_t rate_hz, uint8_t acc_range, uint8_t gyr_range) {
    uint8_t odr;
    switch (rate_hz) {
      case 25: odr = BMI2_ACC_ODR_25HZ; break;
      case 50: odr = BMI2_ACC_ODR_50HZ; break;
      case 100: odr = BMI2_ACC_ODR_100HZ; break;
      case 200: odr = BMI2_ACC_ODR_200HZ; break;
      case 400: odr = BMI2_ACC_ODR_400HZ; break;
      default: return false;  // other rates would need decimation; rejected (SPEC 3.2)
    }
    static const uint8_t ACC_RANGES[4] = {BMI2_ACC_RANGE_2G, BMI2_ACC_RANGE_4G, BMI2_ACC_RANGE_8G,
                                          BMI2_ACC_RANGE_16G};
    static const uint8_t GYR_RANGES[5] = {BMI2_GYR_RANGE_125, BMI2_GYR_RANGE_250, BMI2_GYR_RANGE_500,
                                          BMI2_GYR_RANGE_1000, BMI2_GYR_RANGE_2000};
    if (acc_range > 3 || gyr_range > 4) return false;
    odr_ = odr;
    acc_range_ = ACC_RANGES[acc_range];
    gyr_range_ = GYR_RANGES[gyr_range];
    return true;
  }

  // Push the selected settings to the chip (only while not streaming).
  bool apply() { return dev_ != nullptr && configure_sensor(dev_) == BMI2_OK; }

  // True once per new sample (accelerometer and gyroscope share the output data rate).
  bool dataReady() {
    uint16_t status = 0;
    return dev_ != nullptr && bmi2_get_int_status(&status, dev_) == BMI2_OK &&
           (status & BMI2_ACC_DRDY_INT_MASK) != 0;
  }

  bool read(skp_sample *sample) {
    struct bmi2_sens_data data;
    if (dev_ == nullptr || bmi2_get_sensor_data(&data, dev_) != BMI2_OK) return false;
    sample->acc[0] = data.acc.x;
    sample->acc[1] = data.acc.y;
    sample->acc[2] = data.acc.z;
    sample->gyr[0] = data.gyr.x;
    sample->gyr[1] = data.gyr.y;
    sample->gyr[2] = data.gyr.z;
    return true;
  }

 protected:
  int8_t configure_sensor(struct bmi2_dev *dev) override {
    dev_ = dev;
    struct bmi2_int_pin_config pin;
    pin.pin_type = BMI2_INT1;
    pin.int_latch = BMI2_INT_NON_LATCH;
    pin.pin_cfg[0].lvl = BMI2_INT_ACTIVE_HIGH;
    pin.pin_cfg[0].od = BMI2_INT_PUSH_PULL;
    pin.pin_cfg[0].output_en = BMI2_INT_OUTPUT_ENABLE;
    pin.pin_cfg[0].input_en = BMI2_INT_INPUT_DISABLE;

    struct bmi2_sens_config cfg[2];
    cfg[0].type = BMI2_ACCEL;
    cfg[0].cfg.acc.bwp = BMI2_ACC_NORMAL_AVG4;
    cfg[0].cfg.acc.odr = odr_;
    cfg[0].cfg.acc.filter_perf = BMI2_PERF_OPT_MODE;
    cfg[0].cfg.acc.range = acc_range_;
    cfg[1].type = BMI2_GYRO;
    cfg[1].cfg.gyr.filter_perf = BMI2_PERF_OPT_MODE;
    cfg[1].cfg.gyr.bwp = BMI2_GYR_NORMAL_MODE;
    cfg[1].cfg.gyr.odr = odr_;  // BMI2_GYR_ODR_* share the BMI2_ACC_ODR_* codes for 25..400 Hz
    cfg[1].cfg.gyr.range = gyr_range_;
    cfg[1].cfg.gyr.ois_range = BMI2_GYR_OIS_2000;

    uint8_t sensors[2] = {BMI2_ACCEL, BMI2_GYRO};
    int8_t rslt = bmi2_set_int_pin_config(&pin, dev);
    if (rslt == BMI2_OK) rslt = bmi2_map_data_int(BMI2_DRDY_INT, BMI2_INT1, dev);
    if (rslt == BMI2_OK) rslt = bmi2_set_sensor_config(cfg, 2, dev);
    if (rslt == BMI2_OK) rslt = bmi2_sensor_enable(sensors, 2, dev);
    return rslt;
  }

 private:
  struct bmi2_dev *dev_ = nullptr;
  uint8_t odr_ = BMI2_ACC_ODR_100HZ;
  uint8_t acc_range_ = BMI2_ACC_RANGE_16G;
  uint8_t gyr_range_ = BMI2_GYR_RANGE_2000;
};

SensorKitBmi270 imu;

// ---- GATT (SPEC.md section 1) -------------------------------------------------------------------

BLEService imuService(SKP_SERVICE_UUID);
BLECharacteristic dataChar(SKP_DATA_UUID, BLENotify, SKP_MAX_PACKET_SIZE, false);
BLECharacteristic controlChar(SKP_CONTROL_UUID, BLEWrite, SKP_MAX_COMMAND_SIZE, false);
BLECharacteristic configChar(SKP_CONFIG_UUID, BLERead, SKP_CONFIG_SIZE, true);

BLEService batteryService("180F");
BLEUnsignedCharCharacteristic batteryLevelChar("2A19", BLERead | BLENotify);

BLEService deviceInfoService("180A");
BLECharacteristic manufacturerChar("2A29", BLERead, "SensorKit DIY");
BLECharacteristic modelChar("2A24", BLERead, "Nano33BLESenseRev2/BMI270");
BLECharacteristic firmwareChar("2A26", BLERead, "1.0.0 protocol 1");

char deviceName[] = "SensorKit-XXXX";

// ---- protocol state ---------------------------------------------------------------------------

skp_config config;         // exactly what the config characteristic reads back
uint32_t nextCounter = 0;  // the counter the next sample will carry
uint32_t lastSampleUs = 0;
skp_packet packet;
bool connected = false;
uint32_t disconnectedAtMs = 0;
uint32_t advertisingSinceMs = 0;
bool advertisingFast = true;
uint32_t batteryCheckedAtMs = 0;

uint32_t identifyUntilMs = 0;
uint8_t identifyPattern = 0;

bool streaming() { return (config.status & SKP_STATUS_STREAMING) != 0; }
bool batteryLow() { return (config.status & SKP_STATUS_BATTERY_LOW) != 0; }

void publishConfig() {
  uint8_t bytes[SKP_CONFIG_SIZE];
  size_t len = 0;
  if (skp_encode_config(&config, bytes, sizeof bytes, &len) == SKP_OK) {
    configChar.writeValue(bytes, (int)len);
  }
}

// The nRF52840 board has no battery gauge: report 100 % (SPEC.md section 6). A board with a LiPo
// and a divider on an analog pin maps its voltage to percent here.
uint8_t readBatteryPercent() { return 100; }

void updateBattery() {
  uint8_t level = readBatteryPercent();
  batteryLevelChar.writeValue(level);
  if (level <= config.battery_low_pct) {
    config.status |= SKP_STATUS_BATTERY_LOW;
  } else {
    config.status &= (uint8_t)~SKP_STATUS_BATTERY_LOW;
  }
  publishConfig();
}

void beginPacket() {
  skp_packet_begin(&packet, nextCounter, config.acc_range, config.gyr_range, 1, batteryLow());
}

// Send the packet being filled (if any): dropped, not queued, when nobody listens (SPEC 3.4).
void flushPacket() {
  if (packet.n > 0 && connected && dataChar.subscribed()) {
    uint8_t bytes[SKP_MAX_PACKET_SIZE];
    size_t len = 0;
    if (skp_encode_packet(&packet, bytes, sizeof bytes, &len) == SKP_OK) {
      dataChar.writeValue(bytes, (int)len);  // ArduinoBLE waits for a free radio buffer here
    }
  }
  beginPacket();
}

void clearSyncRecord() {
  config.sync_counter = 0;
  config.sync_host_unix_us = 0;
}

void startStreaming() {
  if (streaming()) return;  // a reconnecting collector restarts: the counter keeps running
  nextCounter = 0;
  lastSampleUs = 0;
  config.status |= SKP_STATUS_STREAMING;
  beginPacket();
}

void stopStreaming() {
  if (!streaming()) return;
  flushPacket();
  config.status &= (uint8_t)~SKP_STATUS_STREAMING;
  clearSyncRecord();  // the next Start begins a new counter
}

// Apply one accepted command. ArduinoBLE acknowledges every write before this handler runs and
// cannot answer with an ATT application error, so a rejected command is simply ignored; the
// collector reads config back after configuring and sees what took effect (SPEC.md 3.3).
void applyCommand(const skp_command &cmd) {
  switch (cmd.opcode) {
    case SKP_OP_START: startStreaming(); break;
    case SKP_OP_STOP: stopStreaming(); break;
    case SKP_OP_SET_RATE:
      if (imu.select(cmd.rate_hz, config.acc_range, config.gyr_range) && imu.apply()) config.rate_hz = cmd.rate_hz;
      break;
    case SKP_OP_SET_RANGES:
      if (imu.select(config.rate_hz, cmd.acc_range, cmd.gyr_range) && imu.apply()) {
        config.acc_range = cmd.acc_range;
        config.gyr_range = cmd.gyr_range;
      }
      break;
    case SKP_OP_SET_SAMPLES_PER_PACKET: config.samples_per_packet = cmd.samples_per_packet; break;
    case SKP_OP_TIME_SYNC:
      config.sync_host_unix_us = cmd.host_unix_us;
      config.sync_counter = streaming() ? nextCounter : 0;
      break;
    case SKP_OP_IDENTIFY:
      identifyPattern = cmd.pattern;
      identifyUntilMs = millis() + cmd.duration_ms;
      break;
  }
}

void onControlWritten(BLEDevice, BLECharacteristic characteristic) {
  skp_command cmd;
  if (skp_parse_command(characteristic.value(), (size_t)characteristic.valueLength(), &cmd) != SKP_ATT_OK) return;
  if (skp_command_allowed(&cmd, streaming()) != SKP_ATT_OK) return;
  applyCommand(cmd);
  publishConfig();
}

void startAdvertising(uint16_t interval) {
  BLE.stopAdvertise();
  BLE.setAdvertisingInterval(interval);
  BLE.advertise();
  advertisingFast = interval == FAST_ADV_INTERVAL;
}

void onConnected(BLEDevice) { connected = true; }

void onDisconnected(BLEDevice) {
  connected = false;
  disconnectedAtMs = millis();
  advertisingSinceMs = millis();
  startAdvertising(FAST_ADV_INTERVAL);
}

// "SensorKit-" + the last two address bytes, so several sensors can be told apart (SPEC 7).
void makeDeviceName() {
  String address = BLE.address();  // "aa:bb:cc:dd:ee:ff"
  address.toUpperCase();
  const char *a = address.c_str();
  if (address.length() == 17) {
    deviceName[10] = a[12];
    deviceName[11] = a[13];
    deviceName[12] = a[15];
    deviceName[13] = a[16];
  }
}

// A fault the user must see (no IMU, no radio): blink fast forever.
void haltBlinking() {
  while (true) {
    digitalWrite(LED_BUILTIN, (millis() / 100) % 2 ? HIGH : LOW);
  }
}

void setupBle() {
  if (!BLE.begin()) haltBlinking();
  makeDeviceName();
  BLE.setLocalName(deviceName);  // ArduinoBLE puts this in the scan response
  BLE.setDeviceName(deviceName);
  BLE.setAdvertisedService(imuService);  // ... and the 128-bit UUID in the advertising data
  BLE.setConnectionInterval(12, 24);  // 1.25 ms units: 15-30 ms preferred (SPEC 7)

  imuService.addCharacteristic(dataChar);
  imuService.addCharacteristic(controlChar);
  imuService.addCharacteristic(configChar);
  BLE.addService(imuService);
  batteryService.addCharacteristic(batteryLevelChar);
  BLE.addService(batteryService);
  deviceInfoService.addCharacteristic(manufacturerChar);
  deviceInfoService.addCharacteristic(modelChar);
  deviceInfoService.addCharacteristic(firmwareChar);
  BLE.addService(deviceInfoService);

  controlChar.setEventHandler(BLEWritten, onControlWritten);
  BLE.setEventHandler(BLEConnected, onConnected);
  BLE.setEventHandler(BLEDisconnected, onDisconnected);
  advertisingSinceMs = millis();
  startAdvertising(FAST_ADV_INTERVAL);
}

// One sample: count the slots missed since the last one (a gap for the collector), then add it.
void takeSample() {
  skp_sample sample;
  uint32_t now = micros();
  if (!imu.read(&sample)) return;
  if (lastSampleUs != 0) {
    uint32_t period = 1000000UL / config.rate_hz;
    uint32_t slots = (now - lastSampleUs + period / 2) / period;
    if (slots > 1) {  // samples the loop did not read: their counters are skipped, never reused
      flushPacket();
      nextCounter += slots - 1;
      packet.counter = nextCounter;
    }
  }
  lastSampleUs = now;
  skp_packet_push(&packet, &sample);
  nextCounter++;
  if (packet.n >= config.samples_per_packet) flushPacket();
}

void runIdentify() {
  uint32_t now = millis();
  bool on = false;
  if ((int32_t)(identifyUntilMs - now) > 0) {
    switch (identifyPattern) {
      case 0: on = true; break;                        // continuous
      case 1: on = (now % 200) < 100; break;           // short pulses
      case 2: on = (now % 600) < 400; break;           // long pulses
      case 3: on = (now % 600) < 100 || ((now % 600) >= 200 && (now % 600) < 300); break;  // double
    }
  }
  digitalWrite(LED_BUILTIN, on ? HIGH : LOW);
}

}  // namespace

void setup() {
  pinMode(LED_BUILTIN, OUTPUT);
  config.version = SKP_PROTOCOL_VERSION;
  config.status = SKP_STATUS_GYRO;
  config.rate_hz = 100;
  config.acc_range = 3;  // +-16 g (SPEC 3.2 power-on defaults)
  config.gyr_range = 4;  // +-2000 deg/s
  config.samples_per_packet = SKP_MAX_SAMPLES;
  config.battery_low_pct = BATTERY_LOW_PCT;
  config.imu_chip = IMU_CHIP_BMI270;
  clearSyncRecord();

  imu.select(config.rate_hz, config.acc_range, config.gyr_range);
  if (!imu.begin(BOSCH_ACCELEROMETER_ONLY)) {  // accelerometer + gyroscope, magnetometer off
    haltBlinking();  // a sensor without its IMU must not advertise as one
  }
  setupBle();
  beginPacket();
  updateBattery();
}

void loop() {
  BLE.poll();
  uint32_t now = millis();
  if (streaming() && imu.dataReady()) takeSample();
  if (streaming() && !connected && now - disconnectedAtMs > RESUME_WINDOW_MS) stopStreaming();
  if (!connected && advertisingFast && now - advertisingSinceMs > FAST_ADVERTISING_MS) {
    startAdvertising(SLOW_ADV_INTERVAL);
  }
  if (now - batteryCheckedAtMs > BATTERY_PERIOD_MS) {
    batteryCheckedAtMs = now;
    updateBattery();
  }
  runIdentify();
}
