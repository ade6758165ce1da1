"""Run Airbyte's ``source-tiktok-marketing`` 4.7.0 against the emulator, changed only in its base URL.

Executed by ``.venv-airbyte/bin/python`` (the connector's dependencies conflict with Airflow's), never
imported by the project. Usage::

    python bench/_airbyte_runner.py --emulator-url http://127.0.0.1:PORT <spec|check|discover|read> [airbyte args]

The connector has no base-URL setting (tiktok-api.md §3.5): ``definitions.requester.url_base`` in
its packaged manifest can only produce TikTok's two hosts. This is option 1 of §3.5: a subclass
that loads the packaged manifest with ``pkgutil.get_data`` (the CDK's own fallback derives the
package from ``__module__``, which would be ``__main__`` here) and patches that one key. Everything
else — streams, paginator, error handler, cursors — is the stock connector.
"""
from __future__ import annotations

import pkgutil
import sys
from typing import Any

import yaml
from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from source_tiktok_marketing import SourceTiktokMarketing

EMULATOR_URL = "http://127.0.0.1:8765"


class EmulatedSource(SourceTiktokMarketing):
    """The stock source with ``url_base`` pointed at the emulator."""

    def _read_and_parse_yaml_file(self, path_to_yaml_file: str) -> dict[str, Any]:
        manifest = yaml.safe_load(pkgutil.get_data("source_tiktok_marketing", "manifest.yaml"))
        manifest["definitions"]["requester"]["url_base"] = f"{EMULATOR_URL.rstrip('/')}/open_api/v1.3/"
        return manifest


def main(argv: list[str]) -> None:
    global EMULATOR_URL
    if len(argv) >= 2 and argv[0] == "--emulator-url":
        EMULATOR_URL, argv = argv[1], argv[2:]
    catalog_path = AirbyteEntrypoint.extract_catalog(argv)
    config_path = AirbyteEntrypoint.extract_config(argv)
    state_path = AirbyteEntrypoint.extract_state(argv)
    source = EmulatedSource(
        EmulatedSource.read_catalog(catalog_path) if catalog_path else None,
        EmulatedSource.read_config(config_path) if config_path else None,
        EmulatedSource.read_state(state_path) if state_path else None,
    )
    launch(source, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
