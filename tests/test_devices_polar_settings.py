"""Polar PMD settings replies, checked against the vendor SDK's own unit test (PmdSettingTest.kt in
polarofficial/polar-ble-sdk): the 4-byte milli-unit range (type 3) is signed, the others are not."""

from __future__ import annotations

from sensorkit.devices import polar as pmd


def test_the_sdk_example_with_ranges() -> None:
    reply = bytes.fromhex("0001 3400 0101 1000 0204 f500 f401 e803 d007 0401 03".replace(" ", ""))
    assert pmd.unpack_settings(reply) == {pmd.SAMPLE_RATE: (52,), pmd.RESOLUTION: (16,),
                                          pmd.RANGE: (245, 500, 1000, 2000), pmd.CHANNELS: (3,)}


def test_the_milli_unit_range_is_signed() -> None:
    reply = bytes.fromhex("0302 ffffffff ff000000 0101 0e00".replace(" ", ""))
    assert pmd.unpack_settings(reply) == {pmd.RANGE_MILLIUNIT: (-1, 255), pmd.RESOLUTION: (14,)}  # was 4294967295


def test_selected_settings_round_trip_at_the_sdks_extremes() -> None:
    selected = {pmd.SAMPLE_RATE: (0x7FFF,), pmd.RESOLUTION: (0,), pmd.RANGE: (15,), pmd.RANGE_MILLIUNIT: (2**31 - 1,),
                pmd.CHANNELS: (4,)}
    assert pmd.unpack_settings(pmd.pack_settings(selected)) == selected
    assert pmd.unpack_settings(pmd.pack_settings({pmd.RANGE_MILLIUNIT: (-2**31,)})) == {pmd.RANGE_MILLIUNIT: (-2**31,)}
