"""YAML for metadata (front matter, sidecars): safe, and without aliases."""

from __future__ import annotations

import yaml


class _NoAliasLoader(yaml.SafeLoader):
    # An alias repeats a node without copying it, so a few hundred bytes of nested aliases
    # stand for millions of strings once a title or a tag list is turned into text (a
    # "billion laughs"). Metadata has no use for them.
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in metadata", mark
            )
        return super().compose_node(parent, index)


def load_yaml(text: str):
    """Like yaml.safe_load, but an alias is a yaml.YAMLError."""
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
