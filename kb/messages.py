"""What kb/ and ingest/ tell a user, by code: the English text with %(name)s parameters.

An error carries a code and its parameters (kb/errors.py); its `str()` is the English text
below, for logs and the CLI. The web layer (and `kb --lang sv`) translates the same text as a
gettext msgid: web/translations/<lang>/LC_MESSAGES/messages.po holds the translations, and
tests/test_i18n.py fails when one is missing. Add a message here, then `make translations`.
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Marks a msgid for `pybabel extract` (keyword N_); translated where it is shown."""
    return text


# A parameter named `field` is a form or query parameter ("from", "agency", …) and one named
# `what` is itself a message (ingest/readers' _FOREIGN_MAGIC): the web layer shows both translated.
MESSAGES: dict[str, str] = {
    # search: the query, its mode and page
    "query_control_characters": N_(
        "the query contains control characters (such as NUL); remove them"
    ),
    "query_empty": N_("the query is empty"),
    "query_empty_api": N_("the query is empty: give q=…"),
    "query_truncated": N_(
        "the query was longer than %(limit)s characters; only its first %(limit)s were searched"
    ),
    "query_nothing_to_search": N_("the query has no letters or digits to search for"),
    "only_stop_words": N_(
        "the query has only common words (such as 'och', 'att', 'the'); add a more specific "
        "word, or search by meaning (mode dense or hybrid)"
    ),
    "unknown_mode": N_("unknown mode %(mode)r; expected one of %(modes)s"),
    "page_out_of_range": N_("page must be between 1 and %(max)s"),
    "per_page_out_of_range": N_("per_page must be between 1 and 100"),
    "out_of_range": N_("'%(field)s' must be between %(min)s and %(max)s"),
    "not_whole_number": N_("'%(field)s' must be a whole number"),
    "not_a_flag": N_("'%(field)s' must be 1 or 0"),
    "unknown_parameter": N_("unknown parameter %(name)r; known: %(known)s"),
    # search: filters
    "too_many_values": N_("too many '%(field)s' values (at most %(max)s)"),
    "year_not_number": N_("'%(field)s' must be a year such as 2018, not %(value)r"),
    "year_out_of_range": N_("'%(field)s' must be a year between %(min)s and %(max)s"),
    "from_after_to": N_("'from' is later than 'to'"),
    "unknown_kind": N_("unknown kind %(value)r; expected one of %(kinds)s"),
    "unknown_agency": N_("unknown agency %(value)r; known agencies: %(known)s"),
    "unknown_tag": N_("unknown tag %(value)r"),
    "unknown_sort": N_("unknown sort %(value)r; expected one of %(sorts)s"),
    "unknown_format": N_("unknown format %(value)r; expected one of %(known)s"),
    # similar cases
    "description_too_long": N_(
        "the description is %(length)s characters long; the limit is %(limit)s"
    ),
    "description_empty": N_("the description is empty"),
    # documents
    "no_document": N_("no document with id %(id)r"),
    "no_version": N_("document %(id)r has no version %(n)s"),
    "version_is_current": N_("version %(n)s is already the current version"),
    "near_duplicate": N_("resembles %(title)s (%(id)s) at %(percent)s %%"),
    "no_near_duplicate": N_("%(id)r is not marked as resembling %(other)r"),
    "busy": N_("the knowledge base is busy with an ingest or a re-index; try again in a while"),
    "busy_holder": N_("the knowledge base is busy with %(holder)s; try again in a while"),
    # storage faults (kb/storage/faults.py)
    "disk_full": N_(
        "disk full: %(path)s has %(free)s free, and about %(needed)s more is needed; free some "
        "space and run the same command again (what was done is kept)"
    ),
    "read_only": N_(
        "the data folder %(path)s is read-only (%(detail)s): reading works, changes cannot be saved"
    ),
    "catalog_corrupt": N_(
        "the catalog %(path)s is damaged (%(detail)s): restore a backup made with `kb backup`, "
        "or run `kb recover` to rebuild it from the originals"
    ),
    "vectors_damaged": N_(
        "the vector store is damaged (%(detail)s): searches use keywords only until "
        "`kb check --repair` rebuilds it"
    ),
    "keyword_only": N_(
        "results by keyword only: the vector store is missing or damaged (kb check --repair "
        "rebuilds it)"
    ),
    # metadata
    "bad_date": N_("date %(value)r is not YYYY, YYYY-MM or YYYY-MM-DD"),
    "title_empty": N_("title is empty"),
    "bad_source_url": N_("source %(value)r is not a web address (http:// or https://)"),
    "front_matter_yaml": N_("front matter is not valid YAML: %(detail)s"),
    "front_matter_not_mapping": N_("front matter must be a mapping of keys to values"),
    "sidecar_yaml": N_("sidecar %(name)s is not valid YAML: %(detail)s"),
    "sidecar_not_mapping": N_("sidecar %(name)s must be a mapping of keys to values"),
    "expected_list": N_("expected a list, got %(value)r"),
    "bad_id": N_("id %(value)r must be lowercase letters, digits and '-'"),
    "id_in_use": N_("id %(value)r is already used by %(owner)s"),
    "no_files": N_("choose at least one file"),
    "too_many_files": N_("at most %(max)s files at a time"),
    # files (read by ingest/)
    "file_too_large": N_("the file is %(size_mb).1f MB; the limit is %(limit_mb)s MB"),
    "text_too_large": N_(
        "too large after extraction: %(chars)s characters of text; the limit is %(limit)s "
        "(KB_MAX_TEXT_CHARS)"
    ),
    "text_too_dense": N_(
        "too large after extraction: %(chars)s characters of text from %(bytes)s bytes; the "
        "limit is %(per_byte)s characters per byte of file"
    ),
    "zip_not_docx": N_("a zip archive that is not a DOCX document"),
    "foreign_file": N_("the file is %(what)s, not a document"),
    "content_not_type": N_("named %(suffix)s but its content is not a %(type)s file"),
    "unsupported_type": N_("unsupported file type %(suffix)s; supported: %(supported)s"),
    "binary_not_text": N_("binary data, not text"),
    "no_text": N_("the file holds no text"),
    "html_no_text": N_("the page holds no main text"),
    "docx_not_zip": N_("not a valid DOCX (not a zip archive)"),
    "docx_no_document": N_("not a valid DOCX (no word/document.xml inside)"),
    "docx_zip_bomb": N_("the DOCX unpacks to %(mb)s MB; refused as a zip bomb"),
    "unreadable_docx": N_("not a readable DOCX (%(detail)s)"),
    "docx_no_text": N_("the DOCX holds no text"),
    "pdf_password": N_("the PDF is password protected"),
    "pdf_cannot_decrypt": N_("the PDF cannot be decrypted (%(detail)s)"),
    "unreadable_pdf": N_("not a readable PDF (%(detail)s)"),
    "pdf_too_many_pages": N_("the PDF has %(pages)s pages; the limit is %(limit)s"),
    "pdf_page_unreadable": N_("page %(page)s cannot be read (%(detail)s)"),
    "pdf_no_text": N_(
        "the PDF has no text layer (a scan?); run OCR on it first and add the result"
    ),
    "ocr_not_installed": N_(
        "the PDF has scanned pages and OCR is not installed: install the Debian package "
        "%(package)s (make setup does)"
    ),
    "ocr_language_missing": N_(
        "the PDF has scanned pages and OCR lacks a language: install the Debian package "
        "%(package)s (make setup does)"
    ),
    "ocr_too_many_pages": N_(
        "the PDF has %(pages)s scanned pages to read by OCR; the limit is %(limit)s"
    ),
    "ocr_too_slow": N_(
        "OCR stopped at the limit of %(seconds)s seconds, with %(done)s of %(total)s scanned "
        "pages read"
    ),
    "ocr_no_text": N_("OCR found no text on the PDF's scanned pages"),
    "ocr_failed": N_("OCR of page %(page)s failed (%(detail)s)"),
    "unreadable_file": N_("could not be read (%(detail)s)"),
    # records: investments, lessons, recommendations (kb/records/)
    "quote_empty": N_("the quote is empty"),
    "quote_not_found": N_("the quote %(quote)r is not in the text of document %(document)s"),
    "quote_ambiguous": N_(
        "the quote %(quote)r occurs %(count)s times in document %(document)s; give a prefix "
        "or suffix (a few words before or after it) to choose one"
    ),
    "themes_file_shape": N_(
        "%(name)s must hold a list 'themes' of entries, each with an id (a slug) and a name"
    ),
    "themes_file_yaml": N_("%(name)s is not valid YAML: %(detail)s"),
    "records_file_yaml": N_("%(name)s is not valid YAML: %(detail)s"),
    "records_file_shape": N_(
        "%(name)s must be a mapping with the lists investments, lessons and recommendations"
    ),
    "records_file_unreadable": N_("cannot read %(name)s (%(detail)s)"),
    "records_file_type": N_("unsupported records file %(suffix)s; use .yaml, .yml or .csv"),
    "records_invalid": N_("%(count)s problems in the records file; nothing was imported"),
    "record_not_mapping": N_("each record must be a mapping of keys to values"),
    "record_missing_field": N_("'%(field)s' is missing"),
    "record_unknown_type": N_(
        "unknown record type %(value)r; expected investment, lesson or recommendation"
    ),
    "record_bad_value": N_("'%(field)s' must be one of %(allowed)s, not %(value)r"),
    "record_not_number": N_("'%(field)s' must be a number (million SEK), not %(value)r"),
    "record_given_twice": N_("id %(value)r is given to more than one record in the file"),
    "unknown_theme": N_("unknown theme %(value)r; known themes: %(known)s"),
    "unknown_investment": N_("unknown investment %(value)r"),
    "no_record": N_("no investment, lesson or recommendation with id %(id)r"),
    "unknown_result_type": N_("unknown result type %(value)r; known: %(known)s"),
    "compare_count": N_("choose from %(min)s to %(max)s investments to compare"),
    "no_agency": N_("no agency named %(name)r"),
    "no_theme": N_("no theme with id %(id)r"),
    "record_in_use": N_(
        "investment %(id)r has %(count)s lessons or recommendations; delete them or move them "
        "to another investment first"
    ),
    # the review queue (kb/operations/review.py)
    "no_suggestion": N_("no suggestion with id %(id)s"),
    "suggestion_decided": N_("suggestion %(id)s was already %(status)s by %(by)s"),
    "suggestion_kind": N_("suggestion %(id)s is a %(kind)s suggestion, not a %(wanted)s one"),
    # "Dela en erfarenhet": contributions and their moderation (kb/operations/contributions.py)
    "contribution_required": N_("'%(field)s' is required"),
    "contribution_too_long": N_("'%(field)s' is at most %(max)s characters"),
    "contribution_no_experience": N_(
        "write at least one of what went well, what went badly and advice to others"
    ),
    "contribution_no_investment": N_("pick an investment or name a new one"),
    "contribution_limit": N_(
        "you have shared %(count)s experiences in the last 24 hours, the most allowed; "
        "try again tomorrow"
    ),
    "no_contribution": N_("no contribution with id %(id)s"),
    "unknown_status": N_(
        "unknown status %(value)r; known: submitted, changes_requested, published, rejected"
    ),
    "contribution_decided": N_("contribution %(id)s is %(status)s and cannot be decided again"),
    "contribution_not_editable": N_(
        "contribution %(id)s can be changed only when an editor has asked for changes"
    ),
    "too_many_attachments": N_("at most %(max)s attachments"),
    "unsupported_attachment": N_("%(name)s: %(reason)s"),
    "registration_off": N_("registration is not open here; ask the secretariat for an account"),
    "bad_email": N_("give your work e-mail address, like namn@myndighet.se"),
    "email_domain_refused": N_(
        "addresses at %(domain)s cannot register here; ask the secretariat for an account"
    ),
    "registration_failed": N_("this address cannot be registered; try logging in instead"),
    "passwords_differ": N_("the passwords differ"),
    "too_many_attempts": N_("too many attempts from here; wait a few minutes"),
    "password_too_short": N_("the password must be at least %(min)s characters"),
    # uploads ingested in the background
    "ingest_stopped": N_("the ingest stopped"),
    "worker_stopped": N_("the server process running this upload stopped; upload the files again"),
}


def english(code: str, params: dict) -> str:
    """The English text of a message (the CLI's default and the logs')."""
    template = MESSAGES[code]
    return template % params if params else template
