"""Emulated BLE sensors on Bumble's virtual radio, so everything runs and is tested without hardware.

How to add an emulator for a sensor kind (the SensorKit protocol's, :mod:`.sensorkit_imu`, is the
worked example):

1. Subclass :class:`~.base.EmulatedSensor` in a module of this package. Set ``kind`` (the device
   profile's kind) and ``name_prefix`` (what the real sensor advertises, so the profile's
   ``recognises`` matches).
2. ``build_services()``: return the vendor's GATT services as ``bumble.gatt.Service`` objects, plus
   ``self.battery_service()`` / ``self.device_information_service()`` if the sensor has them. Store the
   notify characteristic that carries samples in ``self.data_characteristic``. Control-write handlers
   (``gatt.CharacteristicValue(write=...)``) parse the vendor's command and call
   ``self.start_streaming()`` / ``self.stop_streaming()``; they must raise only ``bumble.att.ATT_Error``
   (anything else hangs the central for 30 s). Values read by the central: use ``base.read_only``.
   For command/response protocols (MetaWear, Polar PMD, Movesense) send the response with
   ``await self.device.notify_subscribers(char, payload)`` from a task you create in the handler.
3. ``encode(first_counter, acc, gyr)``: samples in project units (m/s^2, rad/s; ``gyr`` None without
   a gyroscope) -> the bytes of ONE notification in the vendor's format and scale.
   ``samples_per_packet()``: how many samples one notification carries (use ``self.att_payload``,
   the link's MTU - 3). ``corrupt(payload)``: a malformed variant the vendor decoder must reject.
   ``advertising_data()``: override when the vendor puts manufacturer data or UUIDs there (<= 31 bytes).
4. Add one line to ``_EMULATORS`` in :mod:`.registry`.

The base class does the rest: advertising (50 ms, restarted after every disconnection), timing at
``rate_hz x speed`` with the ``drift_ppm`` clock error, the faults of :class:`~.faults.Faults`, link
drops, low battery, ground-truth statistics in ``stats``. Run one with::

    radio = VirtualRadio(); use_radio(radio)
    sensor = SensorKitEmulator(source.block, source.rate_hz, faults=Faults.parse("loss=0.01"), speed=5)
    await sensor.start(radio)       # then scan/connect with bleak, backend=BumbleScanner/BumbleClient

Everything shares the one asyncio loop of the radio (Bumble binds to it): one radio per loop/test.

Bumble is the optional extra ``emulation`` (``pip install -e ".[emulation]"``): this package imports
nothing from it until an emulator is asked for (:func:`.registry.emulator_class`), so ``--fault``
specs, sources and the list of emulated kinds work without it, and a real sensor never loads it.
"""
