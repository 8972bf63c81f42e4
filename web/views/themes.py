"""Teman: the themes with their lessons across agencies, what went well beside what went badly,
and the investments with the most lessons under the theme; JSON twins in /api/themes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask import Blueprint

from kb.errors import NotFound
from kb.records.models import Investment, Theme
from web.services import get_kb
from web.views.citations import Citer
from web.views.record_parts import CitedLesson, cite_lessons, themes_by_id
from web.views.render import respond

bp = Blueprint("themes", __name__)

MOST_AFFECTED = 5


@dataclass(frozen=True)
class ThemeList:
    themes: list[tuple[Theme, int]]  # (theme, how many lessons)

    def to_dict(self) -> list[dict]:
        return [{**t.to_dict(), "lessons": n} for t, n in self.themes]


@dataclass(frozen=True)
class ThemePage:
    theme: Theme
    went_well: list[CitedLesson]
    went_badly: list[CitedLesson]
    advice: list[CitedLesson]
    investments: dict[str, Investment]  # the lessons' investments, by id
    most_affected: list[tuple[Investment, int]]

    def to_dict(self) -> dict:
        return {
            **self.theme.to_dict(),
            "went_well": [x.to_dict() for x in self.went_well],
            "went_badly": [x.to_dict() for x in self.went_badly],
            "advice": [x.to_dict() for x in self.advice],
            "most_affected": [
                {"investment": i.to_dict(), "lessons": n} for i, n in self.most_affected
            ],
        }


def theme_list_data() -> ThemeList:
    knowledge_base = get_kb()
    records = knowledge_base.records
    return ThemeList(
        [(t, len(records.lesson_ids(themes=[t.id]))) for t in themes_by_id(knowledge_base).values()]
    )


def theme_data(theme_id: str) -> ThemePage:
    knowledge_base = get_kb()
    theme = themes_by_id(knowledge_base).get(theme_id)
    if theme is None:
        raise NotFound("no_theme", id=theme_id)
    records = knowledge_base.records
    lessons = cite_lessons(
        Citer(knowledge_base), records.lessons(records.lesson_ids(themes=[theme_id]))
    )
    investments = {i.id: i for i in records.investments()}
    counts = Counter(x.lesson.investment for x in lessons if x.lesson.investment in investments)
    return ThemePage(
        theme,
        [x for x in lessons if x.lesson.polarity == "gick bra"],
        [x for x in lessons if x.lesson.polarity == "gick dåligt"],
        [x for x in lessons if x.lesson.polarity == "råd"],
        investments,
        [(investments[i], n) for i, n in counts.most_common(MOST_AFFECTED)],
    )


@bp.get("/teman/")
def index():
    return respond(theme_list_data(), "themes.html")


@bp.get("/teman/<theme_id>")
def show(theme_id: str):
    return respond(theme_data(theme_id), "theme.html")
