"""Events: what the signal core finds (a bend, a slouch, a walking bout...), in one serialisable shape.

``start`` and ``end`` are seconds since the recording's start on the same clock as the samples, so an
event can be matched back to its samples. Type-specific fields (``peak_flexion_deg``, ``steps``...) live
in ``fields`` and are flattened into the JSON document that `sensorkit analyze --json` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    type: str
    start: float
    end: float
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "start": round(self.start, 3), "end": round(self.end, 3), **self.fields}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Event":
        rest = {k: v for k, v in data.items() if k not in ("type", "start", "end")}
        return cls(str(data["type"]), float(data["start"]), float(data["end"]), rest)
