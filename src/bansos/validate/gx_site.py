"""The Data Docs site a validation builds: GX's own ``SiteBuilder``, its pages only.

GX copies its per-site ``static/`` folder (4 MB of fonts, images and scripts, about twenty files) into the site
on every build. Nothing reads that copy: :func:`bansos.validate.datadocs.publish_data_docs` publishes the pages
and points them at the shared assets, vendored once per data root. This builder skips the copy and builds the
same pages (``tests/validate/test_gx_project.py``); GX loads it by name from the site's configuration
(``module_name``/``class_name`` in :func:`bansos.validate.validate._project_config`).
"""

from __future__ import annotations

from great_expectations.render.renderer.site_builder import SiteBuilder


class PagesOnlySiteBuilder(SiteBuilder):
    """GX's site builder whose target store does not copy the static folder."""

    # Not in __init__: GX hands a site builder its context, name and environment only as far as the
    # constructor's signature names them (instantiate_class_from_config), so the constructor stays GX's own.
    def build(self, resource_identifiers=None, build_index: bool = True):
        self.target_store.copy_static_assets = _no_static_assets
        return super().build(resource_identifiers=resource_identifiers, build_index=build_index)


def _no_static_assets(static_assets_source_dir=None) -> None:
    """The pages load the shared assets instead (bansos.validate.datadocs)."""
