"""Timing helpers shared by the benchmarks."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: float
    # "max": the value must not exceed the target; "min": it must reach it; "info": a figure
    # printed for scale, with no target of its own.
    kind: str = "max"

    @property
    def met(self) -> bool:
        if self.kind == "info":
            return True
        return self.value <= self.target if self.kind == "max" else self.value >= self.target

    def line(self) -> str:
        if self.kind == "info":
            return f"  {self.name:<48} {self.value:10.2f} {self.unit:<4} (for scale)"
        sign = "≤" if self.kind == "max" else "≥"
        verdict = "met" if self.met else "MISSED"
        return (
            f"  {self.name:<48} {self.value:10.2f} {self.unit:<4} "
            f"target {sign} {self.target:g} {self.unit:<4} {verdict}"
        )


def timings_ms(action: Callable[[], object], repeat: int, warm_up: int = 5) -> list[float]:
    for _ in range(warm_up):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)
