"""JSON responses through orjson: the same documents as Flask's own provider, written
several times faster (a search answer with 20 services and their locations took about
1 ms to encode with the standard library, a tenth of the search statement's time)."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response

# Dates, datetimes and dataclasses go to Flask's own conversion (dates as HTTP dates, as
# before): orjson would write them its own way. Keys sorted, as Flask does by default.
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_SORT_KEYS
)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's default JSON provider with orjson doing the encoding and decoding.

    Pretty-printing (``JSONIFY_PRETTYPRINT`` in debug) keeps the standard library."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs.get("indent") is not None:
            return super().dumps(obj, **kwargs)
        return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(obj)
        body = orjson.dumps(obj, default=self.default, option=_OPTIONS) + b"\n"
        return self._app.response_class(body, mimetype=self.mimetype)  # type: ignore[arg-type]
