"""The origin's real media: a :class:`fake_backend.content.Materializer` that packages.

``ContentStore.ensure`` calls :meth:`PackagerMaterializer.materialize` once per title with
the title's catalog row and content keys; it writes into an empty directory that the store
then renames into place. The catalog row is authoritative for what the services advertise
(ladder, duration, segment grid, KIDs); the package specs add what the row does not carry
(frame rate, scheme, audio languages, subtitles), see
:func:`~fake_backend.packager.catalog_specs.spec_for_title`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from fake_backend.catalog import CatalogTitle
from fake_backend.packager.catalog_specs import DEMO_SPECS, TINY_SPECS, PackageSpec, spec_for_title
from fake_backend.packager.package import PackagedTitle, package_title
from fake_backend.packager.parallel import OnStep, prepare_parallel

__all__ = ["PackagerMaterializer"]

LicenseUrl = str | Callable[[], str | None] | None


class PackagerMaterializer:
    """Encodes, CENC-protects (per the spec's scheme) and writes ``manifest.mpd`` per title.

    ``license_url`` (a string, or a function called at packaging time, or None to leave the
    ``dashif:Laurl`` out) is the ClearKey license server the MPD names. ``specs`` are looked
    up by title id (default: the demo specs first, then the tiny ones).
    """

    def __init__(
        self,
        *,
        license_url: LicenseUrl = None,
        specs: Iterable[PackageSpec] = DEMO_SPECS + TINY_SPECS,
        posters: bool = True,
        workers: int = 1,
    ) -> None:
        """``workers`` > 1 encodes each title's rungs, audio tracks, tiles and poster over
        that many processes (:mod:`fake_backend.packager.parallel`): the same files, sooner
        on several cores. ``on_step`` (settable) hears each of those jobs finish."""
        self.license_url = license_url
        self.workers = workers
        self.specs = tuple(specs)
        self.posters = posters
        self.on_step: Callable[[str, str], None] | None = None
        """(title id, job name) as each job of a parallel packaging finishes."""
        self.packaged: dict[str, PackagedTitle] = {}
        """The last result per title id (what was written, for logs and tests)."""

    def spec_for(self, title: CatalogTitle) -> PackageSpec:
        return spec_for_title(title, self.specs)

    def materialize(self, title: CatalogTitle, keys: Mapping[bytes, bytes], dest: Path) -> None:
        spec = self.spec_for(title)
        kids = {}
        if title.kids:
            kids = {"video": title.kid_for("video"), "audio": title.kid_for("audio")}
        url = self.license_url() if callable(self.license_url) else self.license_url
        prepared = None
        if self.workers > 1:
            prepared = prepare_parallel(
                spec, self.workers, poster=self.posters, on_step=self._step(title.id)
            )
        self.packaged[title.id] = package_title(
            spec,
            dest,
            keys=keys,
            kids=kids,
            license_url=url,
            poster=self.posters,
            prepared=prepared,
        )

    def _step(self, title_id: str) -> OnStep | None:
        on_step = self.on_step
        if on_step is None:
            return None
        return lambda job: on_step(title_id, job)
