// Stand-in for the Arduino core, for host_check/check.sh only: just what the sketch and the two
// libraries' headers use, so g++ can type-check the sketch on a PC. Never linked, never flashed.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <string>
#include <algorithm>
using std::min;
#define HIGH 1
#define LOW 0
#define OUTPUT 1
#define LED_BUILTIN 13
typedef uint8_t byte;
typedef uint16_t word;
class String {
 public:
  String(const char *s = "") : s_(s) {}
  void toUpperCase() {}
  const char *c_str() const { return s_.c_str(); }
  unsigned length() const { return s_.size(); }
  String operator+(const String &o) const { return String((s_ + o.s_).c_str()); }
 private:
  std::string s_;
};
class Stream { public: void println(const String &) {} };
namespace arduino { using ::Stream; }
unsigned long millis();
unsigned long micros();
void delayMicroseconds(unsigned int);
void pinMode(int, int);
void digitalWrite(int, int);
