"""Properties of the vendor codecs: garbage only ever raises DecodeError; encoders and decoders agree."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensorkit.devices import metamotion, movesense, polar, registry, witmotion
from sensorkit.errors import DecodeError

KINDS = ["metamotion", "polar", "movesense", "witmotion", "thingy52", "microbit"]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def interesting_bytes(kind: str) -> st.SearchStrategy[bytes]:
    """Random bytes, plus random bytes behind each protocol's real headers so parsing goes deep."""
    prefixes = {
        "metamotion": [b"\x03\x1c", b"\x13\x07", b"\x03\x04", b"\x11\x8c", b"\x03\x80"],
        "polar": [b"\x02" + bytes(8) + b"\x80", b"\x02" + bytes(8) + b"\x01", b"\x02" + bytes(8) + b"\x02"],
        "movesense": [b"\x02\x01", b"\x03\x01", b"\x04\x01", b"\x01\x01"],
        "witmotion": [b"\x55\x61", b"\x55\x71", b"\x55"],
        "thingy52": [b""],
        "microbit": [b""],
    }[kind]
    return st.one_of(
        st.binary(max_size=200),
        st.builds(lambda p, b: p + b, st.sampled_from(prefixes), st.binary(max_size=200)),
    )


@pytest.mark.parametrize("kind", KINDS)
def test_no_byte_string_makes_a_decoder_raise_anything_but_decode_error(kind: str) -> None:
    @FAST
    @given(st.lists(interesting_bytes(kind), min_size=1, max_size=6))
    def check(packets: list[bytes]) -> None:
        profile = registry.profile_class(kind)()  # stateful: a whole sequence goes through one profile
        for packet in packets:
            try:
                decoded = profile.decode("", packet)
            except DecodeError:
                continue
            for d in decoded:
                assert d.acc.ndim == 2 and d.acc.shape[1] == 3
                assert d.gyr is None or d.gyr.shape == d.acc.shape

    check()


@FAST
@given(
    st.lists(st.tuples(*[st.integers(-30000, 30000)] * 3), min_size=1, max_size=150),
    st.integers(1, 255),
)
def test_polar_delta_frames_round_trip(rows: list[tuple[int, int, int]], block: int) -> None:
    samples = np.array(rows, dtype=np.int64)
    assert np.array_equal(polar.unpack_deltas(polar.pack_deltas(samples, block=block)), samples)


@FAST
@given(st.integers(1, 18), st.integers(0, 2**32 - 1))  # 18 IMU6 samples fill three parts
def test_movesense_values_survive_splitting(n: int, timestamp: int) -> None:
    acc = np.arange(3 * n, dtype=np.float32).reshape(n, 3)
    value = movesense.pack_imu6(timestamp, acc, -acc)
    assembler = movesense.Reassembler()
    results = [assembler.feed(p) for p in movesense.split_message(7, value)]
    assert results[:-1] == [None] * (len(results) - 1) and results[-1] == (7, value)
    ts, a, g = movesense.unpack_imu6(value)
    assert ts == timestamp and np.array_equal(a, acc) and np.array_equal(g, -acc)


@FAST
@given(st.lists(st.integers(1, 45), min_size=1, max_size=30))
def test_witmotion_frames_survive_any_chunking(cuts: list[int]) -> None:
    acc = np.array([[k, -k, 2048] for k in range(12)])
    stream = witmotion.pack_output(acc, acc // 2, acc * 0)
    profile = witmotion.WitMotion(50)
    got, i = [], 0
    for size in cuts * 10:
        if i >= len(stream):
            break
        got += profile.decode("", stream[i : i + size])
        i += size
    got += profile.decode("", stream[i:]) if i < len(stream) else []
    decoded = np.concatenate([d.acc for d in got]) / profile.acc_lsb
    np.testing.assert_allclose(decoded, acc, atol=1e-9)


def test_metamotion_pairs_in_order_and_counts_unpaired_samples() -> None:
    profile = metamotion.MetaMotion(100, 8, 2000)
    acc = lambda k: metamotion.pack_xyz(3, 0x1C, np.full((3, 3), k))  # noqa: E731
    gyr = lambda k: metamotion.pack_xyz(0x13, 0x07, np.full((3, 3), k))  # noqa: E731
    assert profile.decode("", acc(1)) == []
    (pair,) = profile.decode("", gyr(1))
    assert len(pair) == 3 and pair.acc[0, 0] == pytest.approx(profile.acc_lsb)
    for k in range(2, 6):  # the gyro packets of 2..4 are lost
        profile.decode("", acc(k))
    (pair,) = profile.decode("", gyr(5))
    # At most two packets of imbalance are kept: acc 2 and 3 were dropped, so acc 4 pairs with gyro 5,
    # one packet off, which no order-based pairing can avoid without counters on the air.
    assert profile.unpaired_dropped == 6
    assert pair.acc[0, 0] == pytest.approx(4 * profile.acc_lsb)


def test_polar_type_two_frames_are_signed_24_bit_mg() -> None:
    raw = (-1000).to_bytes(3, "little", signed=True) + (0).to_bytes(3, "little") + (2000).to_bytes(3, "little")
    frame = polar.unpack_frame(b"\x02" + bytes(8) + b"\x02" + raw)
    assert frame.samples.tolist() == [[-1000, 0, 2000]]


def test_polar_rejects_a_frame_of_another_measurement() -> None:
    profile = polar.Polar(52, 8)
    with pytest.raises(DecodeError):
        profile.decode("", polar.pack_frame(0, np.zeros((2, 3)), compressed=False, measurement=5))


EMULATORS = ["metamotion", "polar", "movesense", "witmotion", "thingy52", "microbit"]


@pytest.mark.parametrize("kind", EMULATORS)
def test_emulator_write_handlers_raise_nothing_but_att_errors(kind: str) -> None:
    """Bumble leaves the central waiting 30 s when a write handler raises anything else."""
    from bumble import att, gatt

    from sensorkit.emulator.registry import emulator_class
    from sensorkit.samples import SampleBlock

    block = SampleBlock(np.arange(6) / 50, np.zeros((6, 3)), np.zeros((6, 3)))
    emulator = emulator_class(kind)(block, 50.0)
    emulator.reply = lambda *_: None  # no radio here: only the parsing and state changes run
    emulator.start_streaming = emulator.stop_streaming = lambda: None
    writers = [
        c.value.write
        for service in emulator.build_services()
        for c in service.characteristics
        if isinstance(c.value, gatt.CharacteristicValue)
    ]

    commands = {
        "metamotion": [b"\x03\x03", b"\x13\x03", b"\x08\x01", b"\x03\x01", b"\x11\x8c"],
        "polar": [b"\x02\x02", b"\x01\x02", b"\x03\x02", b"\x02\x02\x00", b"\x02\x02\x05"],
        "movesense": [b"\x01\x01", b"\x02\x01", b"\x00\x01"],
        "witmotion": [b"\xff\xaa\x69", b"\xff\xaa\x03", b"\xff\xaa"],
        "thingy52": [b"\x03", b"\x01", b"\xe8\x03"],
        "microbit": [b"\x14\x00", b"\x00"],
    }[kind]
    data = st.one_of(
        st.binary(max_size=30),
        st.builds(lambda p, b: p + b, st.sampled_from(commands), st.binary(max_size=12)),
    )

    @FAST
    @given(st.sampled_from(writers), data)
    def check(write, data: bytes) -> None:
        try:
            write(None, data)
        except att.ATT_Error:
            pass

    check()


def test_polar_emulator_answers_a_start_with_an_empty_setting_with_a_status() -> None:
    from sensorkit.emulator.polar import PolarH10Emulator
    from sensorkit.samples import SampleBlock

    emulator = PolarH10Emulator(SampleBlock(np.arange(3) / 100, np.zeros((3, 3))), 100.0)
    replies: list[bytes] = []
    emulator.reply = lambda _char, payload: replies.append(payload)
    control_point = emulator.build_services()[0].characteristics[0]
    control_point.value.write(None, bytes([polar.START, polar.ACC, polar.SAMPLE_RATE, 0]))  # zero values
    assert polar.unpack_response(replies[0]).describe() == "invalid sample rate"
