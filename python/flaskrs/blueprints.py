"""The blueprint with its IO: ``flask`` commands, static files and
resources. The registration logic lives in ``flaskrs.sansio.blueprints``."""

from __future__ import annotations

import os
import typing as t
from datetime import timedelta

from werkzeug.utils import cached_property

from .cli import AppGroup
from .globals import current_app
from .helpers import send_from_directory
from .sansio.blueprints import Blueprint as SansioBlueprint
from .sansio.blueprints import BlueprintSetupState as BlueprintSetupState
from .sansio.scaffold import _sentinel as _sentinel

if t.TYPE_CHECKING:  # pragma: no cover
    from .wrappers import Response

_READ_MODES = frozenset({"r", "rt", "rb"})


def _max_age_seconds(value: timedelta | int | None) -> int | None:
    """``SEND_FILE_MAX_AGE_DEFAULT`` as a number of seconds (or ``None``)."""
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return value


class Blueprint(SansioBlueprint):
    """A blueprint (see ``flaskrs.sansio.blueprints.Blueprint``) that can
    also hold ``flask`` commands, serve its static files and open files
    beside its code."""

    @cached_property
    def cli(self) -> AppGroup:
        """The click group of the blueprint's ``flask`` commands, added to
        the app's when the blueprint is registered (see ``cli_group``).
        Made when first used."""
        group = AppGroup()
        group.name = self.name
        return group

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """The ``max_age`` of the blueprint's static files: the current
        app's ``SEND_FILE_MAX_AGE_DEFAULT``. Override to choose per file."""
        return _max_age_seconds(current_app.config["SEND_FILE_MAX_AGE_DEFAULT"])

    def send_static_file(self, filename: str) -> Response:
        """The view of the blueprint's static route: ``filename`` from
        ``static_folder``."""
        folder = self.static_folder
        if folder is None:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        return send_from_directory(
            folder, filename, max_age=self.get_send_file_max_age(filename)
        )

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.AnyStr]:
        """Open ``resource``, a path relative to ``root_path``, for reading
        (``mode`` is ``"rb"``, ``"r"`` or ``"rt"``); ``encoding`` applies
        in text mode."""
        if mode not in _READ_MODES:
            raise ValueError("Resources can only be opened for reading.")
        text_encoding = None if "b" in mode else encoding
        return open(  # noqa: SIM115
            os.path.join(self.root_path, resource), mode, encoding=text_encoding
        )
