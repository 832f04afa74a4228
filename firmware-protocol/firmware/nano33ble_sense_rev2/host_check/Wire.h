// Stand-in for the Arduino Wire library, for host_check/check.sh only.
#pragma once
class TwoWire { public: void begin() {} };
extern TwoWire Wire, Wire1;
