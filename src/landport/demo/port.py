"""The demo port's data, as `landport demo` and the UI benchmark set it up: one place, so
what the benchmark measures is the port a newcomer sees."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from landport.adapters.db.migrate import upgrade
from landport.bootstrap import bootstrap, ensure_reference_data, seeded_sources
from landport.demo.custody import seed_custody
from landport.demo.dataset import seed
from landport.settings import Settings
from landport.shared.clock import FixedClock

#: The demo's history starts this long before now, so trucks are already on the road.
HISTORY = timedelta(hours=20)
DEMO_SEED = 20260301  # the demo port's draws: one seed, one port


def seed_demo_port(
    settings: Settings, now: datetime, *, custody: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Migrate, then seed declarations and (with `custody`) sealed trips on a database that
    has none yet. The live demo leaves the trips to the twin: a replayed track ends at `now`
    and would stand still on the map while the twin's clock runs on.

    Returns what `seed` and `seed_custody` report (`{"trips": 0}` when not seeded)."""
    upgrade(settings.database.url)
    past = FixedClock(now - HISTORY)
    # The same port every time: the random draws of the selectivity (and the ids they are
    # drawn with) follow one seed, so the same declarations are released and the same demo
    # trucks stand at the border. A demo, with demo logins: its ids need not be unguessable.
    new_seed, new_id = seeded_sources(DEMO_SEED)
    seeding = bootstrap(settings, clock=past, new_seed=new_seed, new_id=new_id)
    try:
        ensure_reference_data(seeding)
        result = seed(seeding)
        seeded = result["seeded"] and custody
        trips = seed_custody(seeding, past, now) if seeded else {"trips": 0}
    finally:
        seeding.dispose()
    return result, trips
