"""JSON rendering for the API: times keep their microseconds, money stays a decimal string."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder


class RapportJSONEncoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        # Django's encoder cuts times to milliseconds; a timeline cursor built from such a time
        # would skip events that happened later in the same millisecond.
        if isinstance(o, dt.datetime):
            return o.isoformat()
        return super().default(o)


class RapportJSONRenderer(JSONRenderer):
    encoder_class = RapportJSONEncoder
