"""Write the travel matrices of scenarios/network/ from its places' coordinates (run once; the CSVs
are committed beside the scenario).

Minutes = straight-line km × road factor ÷ speed × 60, for every ordered pair of distinct places.
A (DOMAIN-FIGURES: 40-60 km/h on blue lights, detour 1.3-1.4): road factor 1.35, 45 km/h off
peak, 35 km/h in the peak hours (07:00-10:00 and 16:00-19:00).

    .venv/bin/python scripts/network_travel.py
"""

from __future__ import annotations

import csv
import math
from itertools import takewhile
from pathlib import Path

from ruamel.yaml import YAML

FOLDER = Path(__file__).resolve().parents[1] / "scenarios" / "network"
ROAD_FACTOR = 1.35
SPEEDS = {"travel_offpeak.csv": 45.0, "travel_peak.csv": 35.0}  # km/h


def places() -> dict[str, tuple[float, float]]:
    """Every place by name: the zones of zones.csv, then the stations and hospitals of network.yaml."""
    lines = [line for line in (FOLDER / "zones.csv").read_text().splitlines() if not line.startswith("#")]
    out = {row["name"]: (float(row["x_km"]), float(row["y_km"])) for row in csv.DictReader(lines)}
    after = (FOLDER / "network.yaml").read_text().split("\nplaces:\n", 1)[1].splitlines()
    section = takewhile(lambda line: not line.strip() or line.startswith((" ", "#")), after)  # the places: section
    spec = YAML(typ="safe").load("\n".join(section))
    for kind in ("stations", "hospitals"):
        out.update({name: (float(x), float(y)) for name, (x, y) in spec[kind].items()})
    return out


def main() -> None:
    found = places()
    for file, speed in SPEEDS.items():
        rows = [f"# Minutes by road: straight-line km x {ROAD_FACTOR} / {speed:g} km/h (A), written by "
                "scripts/network_travel.py", "from,to,minutes"]
        for a, (xa, ya) in found.items():
            for b, (xb, yb) in found.items():
                if a != b:
                    rows.append(f"{a},{b},{math.hypot(xa - xb, ya - yb) * ROAD_FACTOR / speed * 60:.1f}")
        (FOLDER / file).write_text("\n".join(rows) + "\n")
        print(f"wrote {FOLDER / file} ({len(rows) - 2} pairs)")


if __name__ == "__main__":
    main()
