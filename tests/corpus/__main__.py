"""python -m tests.corpus DIR: write every sample of the corpus into DIR, to try by hand."""

import sys
from pathlib import Path

from tests.corpus import SAMPLES


def main(folder: str) -> None:
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for sample in SAMPLES:
        (target / sample.name).write_bytes(sample.content)
        print(f"{sample.name:40} {len(sample.content):>9} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "var/corpus")
