"""Repeats: the same location or the same victim coming back within a rolling window."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saferhub.analysis.reading import AnalysisError, date_values, require_columns

# Days-between bands for the time to repeat, as tasking meetings read them.
GAP_BANDS = [
    (0, 0, "same day"),
    (1, 7, "1-7 days"),
    (8, 28, "8-28 days"),
    (29, 91, "29-91 days"),
    (92, 365, "92-365 days"),
]


@dataclass
class Repeats:
    """Repeat locations (or victims, or whatever `key` names) among events.

    An event is a repeat when the same key had another event in the `window_days` before it
    (the same day included). A repeat key has at least one repeat event.

    - events, keys: events counted and distinct keys among them;
    - repeat_keys, repeat_events: keys with a repeat, and the repeat events themselves;
    - repeat_share: repeat_events / events (the harm a repeat-focused response could reach);
    - median_days_to_repeat: the median gap from one event to the next at the same key;
    - top: keys by their most events in any one window (then total events), with first and
      last dates;
    - time_to_repeat: how many gaps between consecutive events at the same key fall in each
      band (same day, 1-7 days, ... more than 365 days).
    """

    events: int
    keys: int
    repeat_keys: int
    repeat_events: int
    repeat_share: float
    median_days_to_repeat: float | None
    window_days: int
    top: pd.DataFrame
    time_to_repeat: pd.DataFrame


def repeats(
    events: pd.DataFrame,
    *,
    key: str,
    date: str,
    window_days: int = 365,
    top: int = 10,
    source: str = "the events",
) -> Repeats:
    """Repeat counts over `events` by `key` (a location, victim or address id) and `date`.

    Events with a blank key are left out (they cannot repeat); a blank date is an error.

    >>> from saferhub.analysis import repeats
    >>> result = repeats(incidents, key="place_id", date="occurred")  # doctest: +SKIP
    >>> result.top  # the ten locations with most incidents in any 12 months  # doctest: +SKIP
    """
    if window_days < 0:
        raise AnalysisError("window_days must be 0 or more")
    require_columns(events, [key, date], source)
    known = events[events[key].notna()]
    if len(known) == 0:
        raise AnalysisError(f"Column {key!r} in {source} is blank in every row")
    when = date_values(known, date, source).dt.floor("D")
    day = ((when - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    codes, labels = pd.factorize(known[key], sort=False)
    order = np.lexsort((day, codes))
    code, day = codes[order], day[order]
    # One sorted number line with a wide gap between keys, so that a search for "events of
    # this key in the window before" never reaches another key.
    spread = int(day.max() - day.min()) + window_days + 1
    line = code.astype(np.int64) * spread + (day - day.min())
    in_window = np.arange(len(line)) - np.searchsorted(line, line - window_days, side="left") + 1
    repeat = in_window > 1
    same_key = code[1:] == code[:-1]
    gaps = (day[1:] - day[:-1])[same_key]

    per_key = pd.DataFrame({"code": code, "day": day, "in_window": in_window})
    summary = per_key.groupby("code").agg(
        events=("day", "size"),
        most_in_window=("in_window", "max"),
        first=("day", "min"),
        last=("day", "max"),
    )
    summary = summary.sort_values(["most_in_window", "events"], ascending=False, kind="stable")
    listed = summary.head(top).reset_index()
    epoch = pd.Timestamp("1970-01-01")
    table = pd.DataFrame(
        {
            key: labels[listed["code"].to_numpy()],
            "events": listed["events"].to_numpy(),
            f"most_in_{window_days}_days": listed["most_in_window"].to_numpy(),
            "first": (epoch + pd.to_timedelta(listed["first"], unit="D")).dt.date,
            "last": (epoch + pd.to_timedelta(listed["last"], unit="D")).dt.date,
        }
    )
    bands = [(label, int(((gaps >= low) & (gaps <= high)).sum())) for low, high, label in GAP_BANDS]
    bands.append(("more than 365 days", int((gaps > 365).sum())))
    return Repeats(
        events=len(line),
        keys=len(labels),
        repeat_keys=int(per_key.loc[repeat, "code"].nunique()),
        repeat_events=int(repeat.sum()),
        repeat_share=float(repeat.mean()),
        median_days_to_repeat=float(np.median(gaps)) if len(gaps) else None,
        window_days=window_days,
        top=table,
        time_to_repeat=pd.DataFrame(bands, columns=["gap", "repeats"]),
    )
