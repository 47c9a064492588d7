"""Applying partnership files: the first apply, and re-applying an unchanged file.

Re-applying is what a partnership manager does after every small edit, so it must stay quick
even for the largest demo (four partnerships, about a hundred and fifty users).
"""

import datetime
import time

from bench.measure import Result
from saferhub.demo.partnership_files import demo_partnership_files
from saferhub.partnerships.partnership_file import validate_partnership_data
from saferhub.partnerships.services import partnership_apply


def _apply_all(documents) -> tuple[float, int]:
    start = time.perf_counter()
    changes = sum(len(partnership_apply(document=d).lines) for d in documents)
    return (time.perf_counter() - start) * 1000, changes


def run() -> list[Result]:
    files = demo_partnership_files(size="large", seed=99, today=datetime.date.today())
    documents = [validate_partnership_data(f) for f in files]
    first_ms, first_changes = _apply_all(documents)
    again_ms, again_changes = _apply_all(documents)
    assert first_changes > 0 and again_changes == 0
    return [
        Result(
            f"first apply of {len(files)} files ({first_changes} changes)", first_ms, "ms", 5000
        ),
        Result("re-apply of the same files (no changes)", again_ms, "ms", 2000),
    ]
