"""The public-code files (Standard for Public Code): publiccode.yml as the publiccode.yml
standard 0.4 describes it, the licence, and the changelog's format."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The standard's controlled vocabularies (docs/standard/categories-list.rst, scope-list.rst),
# as far as Mijn uses them.
CATEGORIES = {
    "call-center-management", "crm", "customer-service-and-support", "digital-citizenship",
    "help-desk", "knowledge-management", "service-desk", "workflow-management",
}
SCOPES = {"local-authorities", "society", "welfare"}
REQUIRED = ("publiccodeYmlVersion", "name", "url", "platforms", "categories",
            "developmentStatus", "softwareType", "description", "legal", "maintenance",
            "localisation")
STATUSES = ("concept", "development", "beta", "stable", "obsolete")
SOFTWARE_TYPES = ("standalone/mobile", "standalone/iot", "standalone/desktop",
                  "standalone/web", "standalone/backend", "standalone/other", "addon",
                  "library", "configurationFiles")


def _publiccode() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "publiccode.yml").read_text(encoding="utf-8"))
    return data


def test_publiccode_has_the_required_keys_with_valid_values() -> None:
    data = _publiccode()
    assert [key for key in REQUIRED if key not in data] == []
    assert data["publiccodeYmlVersion"] == "0.4"
    assert data["developmentStatus"] in STATUSES
    assert data["softwareType"] in SOFTWARE_TYPES
    assert set(data["categories"]) <= CATEGORIES
    assert set(data["intendedAudience"]["scope"]) <= SCOPES
    assert data["maintenance"]["type"] in ("internal", "contract", "community", "none")
    assert data["maintenance"]["contacts"]  # required for internal maintenance
    assert data["localisation"]["availableLanguages"] == ["nl", "en"]
    assert date.fromisoformat(data["releaseDate"]) <= date.today()


def test_publiccode_describes_mijn_in_dutch_and_english_within_the_limits() -> None:
    descriptions = _publiccode()["description"]
    assert set(descriptions) == {"nl", "en"}
    for text in descriptions.values():
        assert len(text["shortDescription"]) <= 150
        assert 150 <= len(text["longDescription"]) <= 10000
        assert text["features"] and all(len(feature) <= 100 for feature in text["features"])


def test_the_licence_is_eupl_everywhere() -> None:
    data = _publiccode()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert data["legal"]["license"] == project["license"]["text"] == "EUPL-1.2"
    assert licence.startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    assert "Appendix" in licence and len(licence) > 12000  # the full text, not a notice
    assert data["softwareVersion"] == project["version"]


def test_the_changelog_keeps_a_changelog_with_the_current_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "## [Unreleased]" in changelog
    assert re.search(rf"^## \[{re.escape(version['project']['version'])}\] - \d{{4}}-\d\d-\d\d$",
                     changelog, re.MULTILINE)
    assert "Semantic Versioning" in changelog
    assert "SECURITY.md" in changelog or (ROOT / "SECURITY.md").exists()


def test_security_md_names_the_maintenance_contact_of_publiccode() -> None:
    """One address to report to: SECURITY.md's is publiccode.yml's maintenance contact (a
    placeholder the organisation fills in, in both)."""
    contacts = [c["email"] for c in _publiccode()["maintenance"]["contacts"] if "email" in c]
    security = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    named = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", security))
    assert contacts and named == {contacts[0]}
    assert "placeholder" in security
