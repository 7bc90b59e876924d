"""A job whose effect is guarded by an idempotency key, and which is slow on its first
run so the test can kill the worker in the middle."""

from __future__ import annotations

import os
import time
from pathlib import Path

from syllabus.core.jobs import job


@job(retries=0)
def effect_once(key: str, folder: str) -> None:
    base = Path(folder)
    with (base / "runs.log").open("a") as runs:
        runs.write(key + "\n")
    # The effect: done only by the first run that claims the key.
    try:
        claimed = os.open(base / f"effect-{key}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        pass
    else:
        os.close(claimed)
        with (base / "effects.log").open("a") as effects:
            effects.write(key + "\n")
    # The rest of the job: long the first time (the worker is killed meanwhile).
    if (base / "runs.log").read_text().split().count(key) == 1:
        time.sleep(40)
    (base / f"done-{key}").touch()
