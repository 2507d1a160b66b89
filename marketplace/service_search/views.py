"""The search page: a GOV.UK filter panel with facet counts, removable filter tags, the
results with a map, and pagination. Filters live in the query string, so a search can be
bookmarked and shared, and everything but the map works without JavaScript."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from werkzeug.wrappers import Response

from marketplace import vocabulary
from marketplace.authz import requires
from marketplace.service_search import presenters, queries
from marketplace.template_globals import url_for_safe
from search.engine import find_services
from search.parser import FieldError, QueryError, parse_search_args
from search.query import SearchQuery
from search.results import SearchResult

blueprint = Blueprint("search", __name__)


def service_url(service_id: int) -> str | None:
    """The public service page (built on the onboarding branch), when it exists."""
    return url_for_safe("directory.service", service_id=service_id)


@blueprint.get("/search")
@requires("search:use")
def results() -> tuple[str, int] | Response:
    needs = queries.needs_by_code()
    first_visit = not request.args
    query, result, errors = SearchQuery(), None, []
    if not first_visit:
        try:
            query = parse_search_args(request.args)
            result = find_services(query)
        except QueryError as error:
            errors = error.errors
    if result is not None and result.past_the_end:
        errors = [
            FieldError(
                "page",
                f"There are only {result.pages} pages of results. "
                "Go back to the last page, or change your search.",
            )
        ]
    return render_template(
        "search/results.html",
        query=query,
        result=result,
        errors=errors,
        args=request.args,
        first_visit=first_visit,
        panel=_filter_panel(query, result, needs, first_visit),
        tags=presenters.selected_tags(query, {code: name for code, (name, _) in needs.items()}),
        markers=presenters.map_markers(result, service_url) if result else [],
        pagination=presenters.pagination(result) if result else None,
        last_page_href=presenters.href(query, page=result.pages) if result else None,
        service_url=service_url,
        map_tiles=current_app.config["MAP_TILE_URL"],
        map_attribution=current_app.config["MAP_TILE_ATTRIBUTION"],
        p=presenters,
    ), (400 if errors else 200)


def _filter_panel(
    query: SearchQuery,
    result: SearchResult | None,
    needs: dict[str, tuple[str, str | None]],
    first_visit: bool,
) -> dict[str, object]:
    """Items for every control of the filter panel, counted against the current result."""
    facets = result.facets if result is not None else {}
    args = request.args
    return {
        "distance": presenters.distance_items(query, first_visit),
        "needs": presenters.option_items(
            facets.get("need"),
            presenters.need_choices(query, needs),
            set(args.getlist("taxonomy_term_id")),
        ),
        "capacity": presenters.option_items(
            facets.get("capacity"),
            [("available", "Has places now")],
            {"available"} if args.get("has_capacity") else set(),
        ),
        "waiting": presenters.waiting_items(query),
        "delivery": presenters.option_items(
            facets.get("delivery_mode"),
            presenters.enum_choices(vocabulary.DeliveryMode),
            set(args.getlist("delivery_mode")),
        ),
        "gender": [{"value": "", "text": "Any", "checked": not args.get("gender")}]
        + presenters.option_items(
            facets.get("gender"),
            presenters.enum_choices(vocabulary.Gender),
            {args.get("gender", "")},
        ),
        "cjs_stage": presenters.select_items(
            facets.get("cjs_stage"),
            presenters.enum_choices(vocabulary.CJSStage),
            args.get("cjs_stage"),
            "Any stage",
        ),
        "risk_level": presenters.select_items(
            facets.get("risk_level"),
            presenters.enum_choices(vocabulary.RiskLevel),
            args.get("risk_level"),
            "Any",
        ),
        "language": presenters.select_items(
            facets.get("language"),
            sorted(vocabulary.LANGUAGES.items(), key=lambda item: item[1]),
            args.get("language"),
            "Any language",
        ),
        "accessibility": presenters.option_items(
            facets.get("accessibility"),
            presenters.enum_choices(vocabulary.Accessibility),
            set(args.getlist("accessibility")),
        ),
        "sort": presenters.sort_items(query),
    }
