"""The API's OpenAPI 3.1 description; tests validate real responses against these schemas."""

from __future__ import annotations

from kb.models import EDITABLE_FIELDS, KINDS
from kb.records.models import (
    COST_KINDS,
    DOCUMENT_ROLES,
    ESTIMATE,
    EVIDENCE_STATUSES,
    FOLLOW_UP_STATUSES,
    OUTCOMES,
    PHASES,
    POLARITIES,
)
from kb.storage.contributions import STATUSES as CONTRIBUTION_STATUSES
from web.views.documents import SORTS

NULLABLE_STR = {"type": ["string", "null"]}
STR_LIST = {"type": "array", "items": {"type": "string"}}

META = {
    "title": {"type": "string"},
    "kind": {"type": "string"},
    "agency": NULLABLE_STR,
    "date": NULLABLE_STR,
    "year": {"type": ["integer", "null"]},
    "source_url": NULLABLE_STR,
    "source_urls": STR_LIST,
    "tags": STR_LIST,
    "language": {"type": "string"},
}

PASSAGE = {
    "type": "object",
    "required": ["chunk_id", "seq", "page", "score", "text", "highlights"],
    "properties": {
        "chunk_id": {"type": "string"},
        "seq": {"type": "integer"},
        "page": {"type": ["integer", "null"]},
        "score": {"type": "number"},
        "text": {"type": "string"},
        "highlights": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        },
    },
}

OCR = {
    "type": "array",
    "description": "the pages that had no text layer (a scan), read by OCR: their text may "
    "hold errors; [] for a document with a text layer",
    "items": {
        "type": "object",
        "required": ["page", "seconds"],
        "properties": {"page": {"type": "integer"}, "seconds": {"type": "number"}},
    },
}

HIT = {
    "type": "object",
    "required": ["doc_id", "score", "title", "kind", "passages"],
    "properties": {
        "doc_id": {"type": "string"},
        "score": {"type": "number"},
        "match": {"enum": ["words", "meaning", "words+meaning", "near", ""]},
        **META,
        "passages": {"type": "array", "items": {"$ref": "#/components/schemas/Passage"}},
        "ocr_pages": {
            "type": "array",
            "items": {"type": "integer"},
            "description": "the document's pages read by OCR (their text may hold errors)",
        },
    },
}

DOCUMENT = {
    "type": "object",
    "required": ["id", "title", "kind", "status", "n_chunks", "file_type"],
    "properties": {
        "id": {"type": "string"},
        "content_hash": {"type": "string"},
        "source": {
            "type": "string",
            "pattern": "^[^/]*$",
            "description": "the name of the file it came from (never a server path)",
        },
        **META,
        "file_type": {"type": "string"},
        "n_chunks": {"type": "integer"},
        "n_pages": {"type": ["integer", "null"]},
        "size_bytes": {"type": "integer"},
        "status": {"enum": ["ready", "indexing"]},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "edited_fields": {
            "type": "object",
            "description": "the fields an editor set by hand, laid over what the file says",
            "additionalProperties": {
                "type": "object",
                "required": ["editor", "edited_at", "file_value"],
                "properties": {
                    "editor": {"type": "string"},
                    "edited_at": {"type": "string"},
                    "file_value": {"description": "what the file and its sidecar say"},
                },
            },
        },
        "ocr": OCR,
    },
}

PATCH_BODY = {
    "type": "object",
    "properties": {
        **{k: META[k] for k in EDITABLE_FIELDS},
        "reset": {
            "type": "array",
            "items": {"enum": list(EDITABLE_FIELDS)},
            "description": "fields to set back to the file's value",
        },
    },
    "additionalProperties": False,
}

FACET = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["value", "count"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer"}},
    },
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "status"],
        "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
    },
    "Health": {
        "type": "object",
        "required": ["status", "documents", "model", "problems"],
        "properties": {
            # degraded: reads answer, but the disk is full or read-only, or the vectors are
            # missing (searches by keyword only); `problems` says which, in English
            "status": {"enum": ["ok", "degraded"]},
            "documents": {"type": "integer"},
            "model": {"type": "string"},
            "free_mb": {"type": "number"},
            "problems": {
                "type": "object",
                "properties": {k: {"type": "string"} for k in ("disk", "vectors")},
            },
        },
    },
    "Passage": PASSAGE,
    "Hit": HIT,
    "SearchResults": {
        "type": "object",
        "required": ["query", "mode", "page", "pages", "total", "results", "facets", "filters"],
        "properties": {
            "query": {"type": "string"},
            "mode": {"enum": ["hybrid", "dense", "keyword"]},
            "filters": {"type": "object"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
            "total": {"type": "integer"},
            "notice": NULLABLE_STR,
            "clear": {"type": "integer"},
            "near": {"type": "integer"},
            "near_listed": {"type": "boolean"},
            "also_searched": {"type": "array", "items": {"type": "string"}},
            "truncated": {"type": "boolean"},
            "keyword_only": {"type": "boolean"},  # no vectors: ranked by the words alone
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {
                "type": "object",
                "properties": {k: FACET for k in ("agency", "kind", "year", "tag")},
            },
        },
    },
    "Document": DOCUMENT,
    "DocumentDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/Document"},
            {
                "type": "object",
                "required": ["text", "chunks"],
                "properties": {
                    "text": {"type": "string"},
                    "structure": {
                        "type": "array",
                        "description": "[offset in text, style] of each heading (h1–h6), list "
                        "item (ul, ol) and table row (tr, th: cells joined by ' | ')",
                        "items": {"type": "array"},
                    },
                    "chunks": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["seq", "page", "char_start", "char_end"],
                        },
                    },
                },
            },
        ]
    },
    "SimilarCase": {
        "allOf": [
            {"$ref": "#/components/schemas/Hit"},
            {
                "type": "object",
                "properties": {
                    "recommendations": {
                        "type": "array",
                        "items": {"type": "object", "required": ["doc_id", "title", "text"]},
                    }
                },
            },
        ]
    },
    "Job": {
        "type": "object",
        "required": ["id", "status", "done", "total", "files"],
        "properties": {
            "id": {"type": "string"},
            "status": {"enum": ["queued", "running", "done", "failed"]},
            "error": {"type": "string"},
            "done": {"type": "integer"},
            "total": {"type": "integer"},
            "files": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "outcome", "reason"],
                    "properties": {
                        "ocr_pages": {"type": "array", "items": {"type": "integer"}},
                        "ocr_seconds_per_page": {"type": "number"},
                    },
                },
            },
            "ocr": {
                "type": ["object", "null"],
                "description": "while a file's scanned pages are read by OCR: its name and "
                "the pages done of the total",
                "required": ["name", "done", "total"],
            },
        },
    },
}


NULLABLE_INT = {"type": ["integer", "null"]}
EVIDENCE = {
    "type": "object",
    "description": "A passage anchored by its quote (a W3C TextQuoteSelector); the offsets "
    "and chunk seq are re-found whenever the document's text changes, and are null when it "
    "no longer holds the quote (status needs_review)",
    "required": ["document", "quote", "prefix", "suffix", "start", "end", "seq", "status"],
    "properties": {
        "document": {"type": "string"},
        "quote": {"type": "string"},
        "prefix": {"type": "string"},
        "suffix": {"type": "string"},
        "start": NULLABLE_INT,
        "end": NULLABLE_INT,
        "seq": NULLABLE_INT,
        "status": {"enum": list(EVIDENCE_STATUSES)},
    },
}
_EVIDENCE_REF = {"$ref": "#/components/schemas/Evidence"}
COST = {
    "type": ["object", "null"],
    "required": ["msek", "kind", "evidence"],
    "properties": {
        "msek": {"type": "number", "description": "million SEK"},
        "kind": {"enum": [ESTIMATE, *COST_KINDS]},
        "evidence": {"oneOf": [_EVIDENCE_REF, {"type": "null"}]},
    },
}
INVESTMENT = {
    "type": "object",
    "required": ["type", "id", "name", "agency", "phase", "outcome", "documents"],
    "properties": {
        "type": {"const": "investment"},
        "id": {"type": "string"},
        "name": {"type": "string"},
        "agency": {"type": "string"},
        "description": {"type": "string"},
        "start_year": NULLABLE_INT,
        "end_year": NULLABLE_INT,
        "phase": {"enum": list(PHASES)},
        "outcome": {"enum": list(OUTCOMES)},
        "estimated_cost": COST,
        "actual_cost": COST,
        "documents": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["document", "role"],
                "properties": {
                    "document": {"type": "string"},
                    "role": {"enum": list(DOCUMENT_ROLES)},
                },
            },
        },
    },
}
LESSON = {
    "type": "object",
    "required": ["type", "id", "text", "polarity", "themes", "investment", "evidence"],
    "properties": {
        "type": {"const": "lesson"},
        "id": {"type": "string"},
        "text": {"type": "string"},
        "polarity": {"enum": list(POLARITIES)},
        "themes": STR_LIST,
        "investment": NULLABLE_STR,
        "evidence": {"type": "array", "items": _EVIDENCE_REF},
    },
}
LESSON_HIT = {
    "type": "object",
    "description": "A lesson found by a query: its score and match label as search hits have "
    "them, and its investment in full",
    "required": ["lesson", "score", "match", "investment"],
    "properties": {
        "lesson": {"$ref": "#/components/schemas/Lesson"},
        "score": {"type": "number"},
        "match": {"enum": ["words", "meaning", "words+meaning", "near"]},
        "investment": {"oneOf": [{"$ref": "#/components/schemas/Investment"}, {"type": "null"}]},
    },
}
RECOMMENDATION = {
    "type": "object",
    "required": ["type", "id", "text", "given_by", "source", "follow_ups"],
    "properties": {
        "type": {"const": "recommendation"},
        "id": {"type": "string"},
        "text": {"type": "string"},
        "given_by": {"type": "string"},
        "agency": NULLABLE_STR,
        "investment": NULLABLE_STR,
        "source": _EVIDENCE_REF,
        "follow_ups": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["status", "evidence"],
                "properties": {
                    "status": {"enum": list(FOLLOW_UP_STATUSES)},
                    "evidence": _EVIDENCE_REF,
                },
            },
        },
    },
}
INVESTMENT_DETAIL = {
    "allOf": [{"$ref": "#/components/schemas/Investment"}],
    "type": "object",
    "required": ["lessons", "recommendations"],
    "properties": {
        "lessons": {"type": "array", "items": {"$ref": "#/components/schemas/Lesson"}},
        "recommendations": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Recommendation"},
        },
    },
}
THEME = {
    "type": "object",
    "required": ["id", "name", "description", "lessons"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "lessons": {"type": "integer", "description": "how many lessons are filed under it"},
    },
}
RECORD_RESULTS = {
    "type": "object",
    "required": ["type", "query", "total", "hits", "facets"],
    "properties": {
        "type": {"enum": ["lessons", "investments"]},
        "query": {"type": "string"},
        "total": {"type": "integer"},
        "hits": {"type": "array", "items": {"type": "object"}},
        "facets": {"type": "object"},
    },
}
SCHEMAS |= {
    "DocumentVersions": {
        "type": "object",
        "required": ["id", "versions"],
        "properties": {
            "id": {"type": "string"},
            "versions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["n", "content_hash", "created_at", "origin", "by", "title"],
                    "properties": {
                        "n": {"type": "integer"},
                        "content_hash": {"type": "string"},
                        "created_at": {"type": "string"},
                        "origin": {"type": "string"},
                        "by": {"type": "string"},
                        "note": {"type": "string"},
                        "title": {"type": "string"},
                        "source": {"type": "string"},
                        "file_type": {"type": "string"},
                        "has_original": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "RecordResults": RECORD_RESULTS,
    "Evidence": EVIDENCE,
    "Investment": INVESTMENT,
    "InvestmentDetail": INVESTMENT_DETAIL,
    "Lesson": LESSON,
    "LessonHit": LESSON_HIT,
    "Recommendation": RECOMMENDATION,
    "Theme": THEME,
}


def _json(ref: str, description: str = "OK") -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _list(ref: str) -> dict:
    return {
        "description": "OK",
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}
            }
        },
    }


ERRORS = {
    str(code): _json("Error", text)
    for code, text in ((400, "Invalid input"), (404, "Not found"), (413, "Too large"))
}
EDITOR = {"security": [{"editorToken": []}]}
DENIED = {
    "401": _json("Error", "No editor token"),
    "403": _json("Error", "Not an editor"),
    "503": _json("Error", "Busy with an ingest or re-index; try again"),
}


def _q(name: str, schema: dict, description: str, repeat: bool = False) -> dict:
    p = {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": "array", "items": schema} if repeat else schema,
    }
    if repeat:
        p.update(style="form", explode=True)
    return p


# A download (web/views/export.py): text/csv (UTF-8 with BOM) or application/json, each as an
# attachment with a filename; without it, the usual JSON.
FORMAT = _q(
    "format",
    {"enum": ["csv", "json"]},
    "Download the list as a file: csv (UTF-8 with BOM; cells that would start a formula get a "
    "leading ') or json",
)
SEARCH_PARAMS = [
    _q("q", {"type": "string", "maxLength": 2000}, "The question, in Swedish or English"),
    _q("agency", {"type": "string"}, "Only these agencies", repeat=True),
    _q("kind", {"type": "string"}, "Only these kinds", repeat=True),
    _q("from", {"type": "integer"}, "From this year"),
    _q("to", {"type": "integer"}, "Up to this year"),
    _q("tag", {"type": "string"}, "Only with these tags", repeat=True),
    _q("mode", {"enum": ["hybrid", "dense", "keyword"]}, "Retrieval mode (default hybrid)"),
    _q("page", {"type": "integer", "minimum": 1, "maximum": 1000}, "Page of results"),
    _q("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Documents per page"),
    _q(
        "type",
        {"enum": ["documents", "lessons", "investments"]},
        "What to find (default documents)",
    ),
    _q("theme", {"type": "string"}, "Lessons/investments: only under these themes", repeat=True),
    _q(
        "outcome", {"enum": list(OUTCOMES)}, "Lessons/investments: only these outcomes", repeat=True
    ),
    _q(
        "near",
        {"type": "integer", "enum": [0, 1]},
        "1: also list documents below the similarity floor (those without the query's words "
        "that the model finds only loosely similar)",
    ),
    FORMAT,
]
LIST_PARAMS = [
    _q("kind", {"enum": list(KINDS)}, "Only this kind"),
    _q("agency", {"type": "string"}, "Only this agency (as the catalog names it)"),
    _q(
        "sort",
        {"enum": list(SORTS), "default": "title"},
        "Order: by title, agency or kind (A–Ö), by date or last change (newest first)",
    ),
    _q("order", {"enum": ["asc", "desc"]}, "Direction (default: as `sort` says above)"),
    FORMAT,
]
DOC_ID = {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


LESSON_PARAMS = [
    _q("q", {"type": "string"}, "Find lessons by meaning (else: all)"),
    _q("theme", {"type": "string"}, "Only under these themes (ids)", repeat=True),
    _q("polarity", {"enum": list(POLARITIES)}, "Only these polarities", repeat=True),
    _q("investment", {"type": "string"}, "Only of these investments (ids)", repeat=True),
    _q("agency", {"type": "string"}, "Only of these agencies' investments", repeat=True),
    _q("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "At most (default 10)"),
    FORMAT,
]

INVESTMENT_FILTERS = [
    _q("agency", {"type": "string"}, "Only this agency's"),
    _q("phase", {"enum": list(PHASES)}, "Only in this phase"),
    _q("outcome", {"enum": list(OUTCOMES)}, "Only with this outcome"),
]
_ANY_LIST = {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}


def _object(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def _shape(what: str, /, **properties: dict) -> dict:
    """An object response with these keys, each of the given schema."""
    return {
        "description": what,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": sorted(properties),
                    "properties": properties,
                }
            }
        },
    }


_ARRAY = {"type": "array", "items": {"type": "object"}}
_REF = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
SUGGESTION = {
    "type": "object",
    "required": ["id", "document", "kind", "payload", "status"],
    "properties": {
        "id": {"type": "integer"},
        "document": {"type": "string"},
        "kind": {"enum": ["lesson", "theme", "investment"]},
        "payload": {"type": "object"},
        "status": {"enum": ["pending", "accepted", "rejected"]},
        "decided_by": {"type": ["string", "null"]},
        "decided_at": {"type": ["string", "null"]},
        "result": {"type": ["object", "null"]},
    },
}
SCHEMAS["Suggestion"] = SUGGESTION

SPEC = {
    "openapi": "3.1.0",
    "info": {
        "title": "Erfarenhetsbanken API",
        "version": "1.0",
        "description": "Search the experiences of Swedish government digital investments.",
    },
    "paths": {
        "/api/health": {
            "get": {
                "summary": "Liveness and size, and what is wrong (503 when the catalog is "
                "unreadable)",
                "responses": {"200": _json("Health")},
            }
        },
        "/api/search": {
            "get": {
                "summary": "Search (the same query string as the Sök page): documents, or with "
                "type=lessons or type=investments those records, with theme and outcome facets",
                "parameters": SEARCH_PARAMS,
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/SearchResults"},
                                        {"$ref": "#/components/schemas/RecordResults"},
                                    ]
                                }
                            }
                        },
                    },
                    **ERRORS,
                },
            }
        },
        "/api/documents": {
            "get": {
                "summary": "The documents (the same query string as the Dokumentlista page)",
                "parameters": LIST_PARAMS,
                "responses": {"200": _list("Document"), "400": ERRORS["400"]},
            },
            "post": {
                **EDITOR,
                "summary": "Upload documents (editors); ingested in the background",
                "parameters": [_q("wait", {"enum": ["1"]}, "Answer when the ingest is done")],
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["files"],
                                "properties": {
                                    "files": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "binary"},
                                    },
                                    "kind": {"type": "string"},
                                    "agency": {"type": "string"},
                                    "date": {"type": "string"},
                                    "tags": {"type": "string"},
                                    "source_url": {"type": "string"},
                                },
                            }
                        }
                    }
                },
                "responses": {"200": _json("Job"), "202": _json("Job"), **ERRORS, **DENIED},
            },
        },
        "/api/documents/{doc_id}": {
            "parameters": [DOC_ID],
            "get": {
                "summary": "One document with its text",
                "responses": {"200": _json("DocumentDetail"), **ERRORS},
            },
            "patch": {
                **EDITOR,
                "summary": "Change metadata (editors); edits stay when the file is read again",
                "description": (
                    "Each field set to a value other than the file's is kept as a manual edit, "
                    "laid over what the file and its sidecar say when it is read again; a field "
                    "set to the file's value, or named in `reset`, follows the file again."
                ),
                "requestBody": {"content": {"application/json": {"schema": PATCH_BODY}}},
                "responses": {"200": _json("Document"), **ERRORS, **DENIED},
            },
            "delete": {
                **EDITOR,
                "summary": "Delete (editors)",
                "responses": {"200": {"description": "Deleted"}, **ERRORS, **DENIED},
            },
        },
        "/api/documents/{doc_id}/versions": {
            "parameters": [DOC_ID],
            "get": {
                "summary": "The document's versions, newest (the current one) first",
                "description": (
                    "Each content a document has had: number, date, content hash, title then,"
                    " file name, and who or what made it (origin upload, ingest, reingest,"
                    " restore, link, import; `by`: the editor or the path read)."
                ),
                "responses": {"200": _json("DocumentVersions"), **ERRORS},
            },
        },
        "/api/documents/{doc_id}/versions/{n}": {
            "parameters": [
                DOC_ID,
                {"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}},
            ],
            "get": {
                "summary": "One version with its text and its diff against the version before",
                "responses": {"200": _object("The version, its text and `diff` lines"), **ERRORS},
            },
        },
        "/api/documents/{doc_id}/similar": {
            "parameters": [DOC_ID],
            "get": {
                "summary": "Documents similar to this one",
                "responses": {"200": _list("Hit"), **ERRORS},
            },
        },
        "/api/similar": {
            "post": {
                "summary": "Past cases similar to a planned investment's description",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["text"],
                                "properties": {
                                    "text": {"type": "string", "maxLength": 20000},
                                    "limit": {"type": "integer"},
                                },
                            }
                        }
                    }
                },
                "responses": {"200": _list("SimilarCase"), **ERRORS},
            }
        },
        "/api/investments": {
            "get": {
                "summary": "The investments (the Investeringar page's list)",
                "parameters": [*INVESTMENT_FILTERS, FORMAT],
                "responses": {"200": _list("Investment")},
            }
        },
        "/api/compare": {
            "get": {
                "summary": "Two to four investments point by point (the Jämför page)",
                "parameters": [
                    _q("id", {"type": "string"}, "The investments (2–4 ids)", repeat=True)
                ],
                "responses": {
                    "200": _shape(
                        "the compared investments and themes",
                        investments=_ARRAY,
                        themes={
                            "type": "array",
                            "items": {"type": "object", "required": ["id", "name"]},
                        },
                    ),
                    **ERRORS,
                },
            }
        },
        "/api/agencies": {
            "get": {
                "summary": "The agencies with how many investments and documents each has",
                "responses": {"200": {"description": "OK", "content": _ANY_LIST}},
            }
        },
        "/api/agencies/{agency}": {
            "parameters": [_path("agency")],
            "get": {
                "summary": "One agency: investments, documents, recommendations, a timeline",
                "responses": {
                    "200": _shape(
                        "the agency page's data",
                        name={"type": "string"},
                        investments=_ARRAY,
                        documents=_ARRAY,
                        recommendations=_ARRAY,
                        timeline=_ARRAY,
                    ),
                    **ERRORS,
                },
            },
        },
        "/api/overview": {
            "get": {
                "summary": "The Översikt page's numbers: investments per agency and start year, "
                "lessons per theme and polarity, estimate against outcome",
                "responses": {
                    "200": _shape(
                        "the overview",
                        investments_per_agency_and_year=_ARRAY,
                        lessons_per_theme=_ARRAY,
                        estimate_vs_outcome=_ARRAY,
                    )
                },
            }
        },
        "/api/brief": {
            "get": {
                "summary": "The brief for a described investment: similar investments, the most "
                "relevant lessons by theme, the recommendations given in similar cases, each cited",
                "parameters": [
                    _q("text", {"type": "string", "maxLength": 20000}, "The description")
                ],
                "responses": {
                    "200": _shape(
                        "the brief",
                        description={"type": "string"},
                        investments=_ARRAY,
                        lessons_by_theme=_ARRAY,
                        recommendations=_ARRAY,
                    ),
                    **ERRORS,
                },
            }
        },
        "/api/themes/{theme_id}": {
            "parameters": [_path("theme_id")],
            "get": {
                "summary": "One theme: its lessons (went well, went badly, advice) and the "
                "investments most affected",
                "responses": {
                    "200": _shape(
                        "the theme page's data",
                        went_well=_ARRAY,
                        went_badly=_ARRAY,
                        advice=_ARRAY,
                        most_affected=_ARRAY,
                    ),
                    **ERRORS,
                },
            },
        },
        "/api/investments/{investment_id}": {
            "parameters": [_path("investment_id")],
            "get": {
                "summary": "One investment with its lessons and recommendations",
                "responses": {"200": _json("InvestmentDetail"), **ERRORS},
            },
        },
        "/api/lessons": {
            "get": {
                "summary": "Lessons: the closest in meaning to q (LessonHit), or all (Lesson)",
                "parameters": LESSON_PARAMS,
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {
                                        "oneOf": [
                                            {"$ref": "#/components/schemas/LessonHit"},
                                            {"$ref": "#/components/schemas/Lesson"},
                                        ]
                                    },
                                }
                            }
                        },
                    },
                    "400": ERRORS["400"],
                },
            }
        },
        "/api/lessons/{lesson_id}": {
            "parameters": [_path("lesson_id")],
            "get": {"summary": "One lesson", "responses": {"200": _json("Lesson"), **ERRORS}},
        },
        "/api/themes": {
            "get": {
                "summary": "The themes lessons are filed under (KB_THEMES_FILE)",
                "responses": {"200": _list("Theme")},
            }
        },
        "/api/recommendations": {
            "get": {
                "summary": "The recommendations, each with its follow-ups",
                "responses": {"200": _list("Recommendation")},
            }
        },
        "/api/suggestions": {
            "get": {
                **EDITOR,
                "summary": "The review queue: suggestions (pending unless `status`)",
                "parameters": [
                    _q("status", {"enum": ["pending", "accepted", "rejected", "all"]}, "Which"),
                    _q("document", {"type": "string"}, "Only this document's"),
                    _q("kind", {"enum": ["lesson", "theme", "investment"]}, "Only this kind"),
                ],
                "responses": {
                    "200": _shape(
                        "the suggestions",
                        suggestions={"type": "array", "items": _REF("Suggestion")},
                        count={"type": "integer"},
                    ),
                    **ERRORS,
                    **DENIED,
                },
            }
        },
        "/api/suggestions/documents/{doc_id}": {
            "parameters": [DOC_ID],
            "get": {
                **EDITOR,
                "summary": "One document's review: pending suggestions and decisions",
                "responses": {
                    "200": _shape(
                        "the document's suggestions",
                        document={"type": "object"},
                        pending={"type": "array", "items": _REF("Suggestion")},
                        decided={"type": "array", "items": _REF("Suggestion")},
                    ),
                    **ERRORS,
                    **DENIED,
                },
            },
        },
        "/api/suggestions/{suggestion_id}/accept": {
            "parameters": [
                {
                    "name": "suggestion_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "post": {
                **EDITOR,
                "summary": "Accept a suggestion: a draft lesson is published (as sent, or as "
                "suggested), an investment gets the document, a theme tags it",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "text": {"type": "string"},
                                    "polarity": {"enum": list(POLARITIES)},
                                    "themes": {"type": "array", "items": {"type": "string"}},
                                    "investment": {"type": "string"},
                                    "role": {"type": "string"},
                                },
                            }
                        }
                    }
                },
                "responses": {
                    "200": _shape("the decision", status={"enum": ["accepted", "rejected"]}),
                    **ERRORS,
                    **DENIED,
                },
            },
        },
        "/api/suggestions/{suggestion_id}/reject": {
            "parameters": [
                {
                    "name": "suggestion_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "post": {
                **EDITOR,
                "summary": "Reject a suggestion, with an optional reason",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"reason": {"type": "string", "maxLength": 500}},
                            }
                        }
                    }
                },
                "responses": {
                    "200": _shape("the decision", status={"enum": ["accepted", "rejected"]}),
                    **ERRORS,
                    **DENIED,
                },
            },
        },
        "/api/contributions": {
            "get": {
                "summary": "Shared experiences: a contributor's own, or every one for an editor "
                "(a contributor signs in with the session cookie and the X-CSRF-Token header)",
                "parameters": [_q("status", {"enum": list(CONTRIBUTION_STATUSES)}, "Only these")],
                "responses": {"200": _object("contributions and count"), **ERRORS, **DENIED},
            },
            "post": {
                "summary": "Share an experience (contributors and editors): agency, investment_id "
                "or investment_name, went_well, went_badly, advice; as JSON, or multipart with "
                "attachments (at most 5, kept unread until an editor publishes)",
                "responses": {"201": _object("the contribution"), **ERRORS, **DENIED},
            },
        },
        "/api/contributions/{contribution_id}": {
            "parameters": [_path("contribution_id")],
            "get": {
                "summary": "One contribution, to its author or an editor",
                "responses": {"200": _object("the contribution"), **ERRORS, **DENIED},
            },
        },
        "/api/contributions/{contribution_id}/resubmit": {
            "parameters": [_path("contribution_id")],
            "post": {
                "summary": "Its author's changes, when an editor asked for them",
                "responses": {"200": _object("the contribution"), **ERRORS, **DENIED},
            },
        },
        "/api/contributions/{contribution_id}/{action}": {
            "parameters": [
                _path("contribution_id"),
                {
                    "name": "action",
                    "in": "path",
                    "required": True,
                    "schema": {"enum": ["publish", "changes", "reject"]},
                },
            ],
            "post": {
                **EDITOR,
                "summary": "Publish (a document of kind experience, its fields draft lessons), "
                "ask for changes with a `message`, or reject with a `reason`",
                "responses": {"200": _object("the outcome"), **ERRORS, **DENIED},
            },
        },
        "/api/jobs/{job_id}": {
            "parameters": [
                {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": {
                **EDITOR,
                "summary": "An upload's progress",
                "responses": {"200": _json("Job"), **ERRORS, **DENIED},
            },
        },
    },
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "editorToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from `kb token create NAME` (editors only)",
            }
        },
    },
}
