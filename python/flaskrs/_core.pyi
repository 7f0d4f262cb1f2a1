"""The native core of flaskrs (Rust, built with maturin)."""

from __future__ import annotations

import typing as t

from typing_extensions import disjoint_base

__all__ = ["AdapterCore", "Router", "__version__"]
__version__: str

@t.final
class Router:
    """The compiled rules of one ``flaskrs.routing.Map``."""

    merge_slashes: bool
    host_matching: bool
    sort_parameters: bool
    def __new__(
        cls,
        merge_slashes: bool = True,
        host_matching: bool = False,
        sort_parameters: bool = False,
    ) -> Router: ...
    @property
    def dirty(self) -> bool: ...
    def add(self, rule: t.Any) -> None: ...
    def finalize(
        self, rules_by_endpoint: dict[t.Any, list[t.Any]], special: t.Iterable[t.Any]
    ) -> None: ...

@disjoint_base
class AdapterCore:
    """The fields of a ``MapAdapter`` and its ``match`` and ``build``."""

    map: t.Any
    server_name: str
    script_name: str
    subdomain: str | None
    url_scheme: str
    path_info: str
    default_method: str
    query_args: t.Any
    websocket: bool
    def __new__(
        cls,
        map: t.Any,
        server_name: str,
        script_name: str,
        subdomain: str | None,
        url_scheme: str,
        path_info: str,
        default_method: str,
        query_args: t.Any = None,
    ) -> AdapterCore: ...
    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: t.Any = None,
        websocket: bool | None = None,
    ) -> tuple[t.Any, dict[str, t.Any]]: ...
    def build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str: ...
