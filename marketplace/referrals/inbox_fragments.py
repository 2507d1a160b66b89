"""The inbox page's repeated parts, rendered once and kept per process.

The inbox is the busiest page, and most of it is the same from one request to the next:
the same rows, tabs, filter panel and pagination, which took nearly three thousand Python
calls a page to draw. Each part is a macro of ``templates/referrals/_inbox_fragments.html``
that shows nothing but its arguments, kept in a bounded LRU (``functools.lru_cache``)
keyed by exactly those arguments: the rows as read, the filters, the counts, the filter
lists. A change in anything a part shows is a different key, so a kept part is never
stale; old keys simply fall out of the LRU.

While templates reload (``TEMPLATES_AUTO_RELOAD`` or debug mode) nothing is kept, so an
edited template shows at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from flask import Flask
from jinja2 import Environment
from markupsafe import Markup

from marketplace.referrals.queries import AGES, SORTS, TABS, InboxFilters, InboxRow, page_numbers

TEMPLATE = "referrals/_inbox_fragments.html"
ROWS_KEPT = 4096  # a busy provider's open referrals, a few pages of each tab
PARTS_KEPT = 512  # tab bars and paginations (a kilobyte or two each)
# Whole tables and filter panels are tens of kilobytes each (a panel lists every agency):
# fewer of them, to keep a worker's memory in bounds (a few megabytes).
LARGE_PARTS_KEPT = 128

AGE_OPTIONS = tuple(AGES.items())
SORT_OPTIONS = tuple(SORTS.items())


class InboxFragments:
    """The inbox's parts as HTML, for one application's templates (a template global)."""

    def __init__(self, environment: Environment) -> None:
        self._environment = environment
        self._row = lru_cache(maxsize=ROWS_KEPT)(self._render_row)
        self._table = lru_cache(maxsize=LARGE_PARTS_KEPT)(self._render_table)
        self._tabs = lru_cache(maxsize=PARTS_KEPT)(self._render_tabs)
        self._filter_panel = lru_cache(maxsize=LARGE_PARTS_KEPT)(self._render_filter_panel)
        self._pagination = lru_cache(maxsize=PARTS_KEPT)(self._render_pagination)

    def _kept(self, kept: Callable[..., Markup], render: Callable[..., Markup]) -> Any:
        return render if self._environment.auto_reload else kept

    def rows(self, inbox_path: str, is_referrer: bool, rows: Sequence[InboxRow]) -> Markup:
        """The table rows of ``rows``: kept as a whole for a page seen before, else row
        by row (a referral stays on the page as others come and go)."""
        return self._kept(self._table, self._render_table)(inbox_path, is_referrer, tuple(rows))

    def tabs(self, inbox_path: str, filters: InboxFilters, counts: Mapping[str, int]) -> Markup:
        """The tab bar, each tab with its count and a link keeping the other filters."""
        tabs = tuple((tab.key, tab.label, counts[tab.key]) for tab in TABS)
        return self._kept(self._tabs, self._render_tabs)(inbox_path, _first_page(filters), tabs)

    def filter_panel(
        self,
        inbox_path: str,
        filters: InboxFilters,
        is_referrer: bool,
        choices: Mapping[str, tuple[tuple[int, str], ...]],
    ) -> Markup:
        """The filter and search form, with the current filters chosen."""
        lists = (choices["services"], choices["locations"], choices["agencies"])
        return self._kept(self._filter_panel, self._render_filter_panel)(
            inbox_path, _first_page(filters), is_referrer, lists
        )

    def pagination(self, inbox_path: str, filters: InboxFilters, pages: int) -> Markup:
        """GOV.UK pagination for ``pages`` pages; empty for one page."""
        if pages <= 1:
            return Markup("")
        return self._kept(self._pagination, self._render_pagination)(inbox_path, filters, pages)

    def _macro(self, name: str) -> Any:
        return getattr(self._environment.get_template(TEMPLATE).module, name)

    def _render_row(self, inbox_path: str, is_referrer: bool, row: InboxRow) -> Markup:
        return Markup(self._macro("row")(inbox_path, is_referrer, row))

    def _render_table(
        self, inbox_path: str, is_referrer: bool, rows: tuple[InboxRow, ...]
    ) -> Markup:
        row = self._kept(self._row, self._render_row)
        return Markup("").join(row(inbox_path, is_referrer, each) for each in rows)

    def _render_tabs(
        self, inbox_path: str, filters: InboxFilters, tabs: tuple[tuple[str, str, int], ...]
    ) -> Markup:
        return Markup(self._macro("tabs")(inbox_path, filters, tabs))

    def _render_filter_panel(
        self,
        inbox_path: str,
        filters: InboxFilters,
        is_referrer: bool,
        lists: tuple[tuple[tuple[int, str], ...], ...],
    ) -> Markup:
        return Markup(
            self._macro("filter_panel")(
                inbox_path, filters, is_referrer, lists, AGE_OPTIONS, SORT_OPTIONS
            )
        )

    def _render_pagination(self, inbox_path: str, filters: InboxFilters, pages: int) -> Markup:
        numbers = page_numbers(min(max(filters.page, 1), pages), pages)
        return Markup(self._macro("pagination")(inbox_path, filters, pages, numbers))


def _first_page(filters: InboxFilters) -> InboxFilters:
    """``filters`` on page 1: the tabs and the filter panel never show the page (their links
    start again at page 1), so every page of a list shares them."""
    return filters if filters.page == 1 else dataclasses.replace(filters, page=1)


def register(app: Flask) -> None:
    """Make the application's ``inbox_fragments`` a template global."""
    app.jinja_env.globals["inbox_fragments"] = InboxFragments(app.jinja_env)
