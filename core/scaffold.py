"""``makker plugins new NAME``: a new plugin package that passes its own tests out of the box.

The package has a ``pyproject.toml`` with the entry point (group ``makker``, named ``NAME``), a
module with a rule, an intake field and a setting, tests written with
:class:`core.testing.PluginHarness`, and a README. It imports only the public modules
(``core.plugin_api``, and ``core.testing`` in its tests). Makker's own test suite generates one
and runs its tests (``tests/test_plugin_scaffold.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from core.plugin_api import DEFAULT_PLUGINS, ENTRY_POINT_GROUP, PLUGIN_API_VERSION

NAME = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
#: The generated plugin uses only what API 1.0 has (hooks, contexts, texts in two languages),
#: so it declares what docs/plugins.md advises: every 1.x from 1.0 on.
FIRST_MINOR = "1.0"


class ScaffoldError(ValueError):
    """The name or the directory cannot be used; the message says why."""


def _supported() -> str:
    major = PLUGIN_API_VERSION.split(".")[0]
    return f">={FIRST_MINOR},<{int(major) + 1}"


def builtin_names() -> set[str]:
    """The names the built-in plugins are registered under (``who5``, ``mentor_course``...)."""
    return {module.rsplit(".", 1)[-1] for module in DEFAULT_PLUGINS}


PYPROJECT = Template("""\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "A Makker plugin: $name"
requires-python = ">=3.11"
dependencies = ["makker"]

# The entry point's name is the plugin's name in tenant files and in MAKKER_PLUGINS.
[project.entry-points.$group]
$name = "$module"

[tool.setuptools]
py-modules = ["$module"]

[tool.pytest.ini_options]
pythonpath = ["."]
""")

MODULE = Template('''\
"""$name: a Makker plugin.

A mentor must be at least ``min_age`` years old (from the birth year Makker keeps) and must have
signed a declaration of confidentiality (tavshedserklæring), asked at the før-samtale.

Settings (tenant or programme level)::

    [plugins.$name]
    min_age = 18
"""

import datetime as dt
from typing import Annotated

import msgspec
from core.plugin_api import IntakeField, PersonContext, Role, Verdict, hookimpl

#: The Makker plugin API versions this plugin supports.
MAKKER_PLUGIN_API = "$supported"
RULE = "$name"
SIGNED_ON = "$name.signed_on"


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    min_age: Annotated[int, msgspec.Meta(ge=15, le=99)] = 18


@hookimpl
def plugin_config_schema():
    return Config


@hookimpl
def intake_fields():
    return IntakeField(
        name="signed_on",
        type="date",
        label={"da": "Tavshedserklæring underskrevet", "en": "Confidentiality declaration signed"},
        help={"da": "Datoen på den underskrevne erklæring.", "en": "The date it was signed."},
        roles=("mentor",),
        not_in_future=True,
    )


@hookimpl
def eligibility_verdicts(programme, person: PersonContext, role: Role, today: dt.date):
    if role != "mentor":
        return None
    min_age = programme.config(Config).min_age
    if person.birth_year is None:
        return Verdict.unknown(
            RULE, {"da": "Fødselsåret mangler.", "en": "The year of birth is missing."}
        )
    # Only the year is kept: on `today` the person is this old, or one year less.
    if today.year - person.birth_year - 1 < min_age:
        if today.year - person.birth_year < min_age:
            return Verdict.failed(
                RULE,
                {"da": f"Mentoren er under {min_age} år.", "en": f"The mentor is under {min_age}."},
            )
        return Verdict.unknown(
            RULE,
            {
                "da": f"Mentoren fylder {min_age} i år; tjek fødselsdagen.",
                "en": f"The mentor turns {min_age} this year; check the birthday.",
            },
        )
    if person.get(SIGNED_ON) is None:
        return Verdict.unknown(
            RULE,
            {"da": "Tavshedserklæringen mangler.", "en": "The declaration is missing."},
        )
    return Verdict.passed(
        RULE,
        {
            "da": f"Mindst {min_age} år og tavshedserklæring underskrevet.",
            "en": f"At least {min_age} and the declaration is signed.",
        },
    )
''')

TESTS = Template("""\
import datetime as dt

import pytest
from core.testing import IntakeValidationError, PluginHarness

import $module

TODAY = dt.date(2026, 11, 23)
SIGNED = {"$name.signed_on": "2026-01-10"}


def harness(**config):
    return PluginHarness($module, name="$name", config=config)


def test_an_adult_mentor_who_signed_passes():
    verdict = harness().verdict("mentor", SIGNED, today=TODAY, birth_year=1990)
    assert verdict.outcome == "pass"


def test_a_mentor_under_the_minimum_age_fails():
    verdict = harness(min_age=21).verdict("mentor", SIGNED, today=TODAY, birth_year=2010)
    assert (verdict.outcome, verdict.explanation["da"]) == ("fail", "Mentoren er under 21 år.")


def test_the_year_the_mentor_turns_the_minimum_age_is_unknown():
    verdict = harness().verdict("mentor", SIGNED, today=TODAY, birth_year=2008)
    assert verdict.outcome == "unknown"


def test_a_missing_birth_year_or_declaration_is_unknown_never_a_pass():
    assert harness().verdict("mentor", SIGNED, today=TODAY).outcome == "unknown"
    assert harness().verdict("mentor", {}, today=TODAY, birth_year=1990).outcome == "unknown"


def test_the_rule_does_not_judge_mentees():
    assert harness().verdicts("mentee", today=TODAY) == []


def test_the_intake_field_is_asked_of_mentors_and_refuses_a_future_date():
    assert [f.key for f in harness().fields("mentor")] == ["$name.signed_on"]
    assert harness().fields("mentee") == []
    with pytest.raises(IntakeValidationError) as caught:
        harness().person({"$name.signed_on": "2027-01-01"}, today=TODAY)
    assert list(caught.value.errors) == ["$name.signed_on"]
""")

README = Template("""\
# $dist

A Makker plugin (`$name`): a mentor must be at least `min_age` years old and must have signed
a declaration of confidentiality. Made with `makker plugins new $name`; see Makker's
`docs/plugins.md` for every hook and type.

## Test

With Makker installed in the same environment:

```sh
pytest
```

## Install and enable

```sh
pip install .
MAKKER_ENV=development MAKKER_PLUGINS=$name makker plugins list
```

(`MAKKER_ENV=development` on a developer's machine; without it a command runs as production
and asks for the production settings.)

Makker loads only the plugins named in `MAKKER_PLUGINS`. A tenant file then enables it for all
its programmes or for one, with its settings:

```toml
[plugins.$name]
min_age = 18
```

## Compatibility

`MAKKER_PLUGIN_API` in `$module.py` says which versions of Makker's plugin API this plugin
supports (`$supported`); Makker refuses to start with a plugin whose declaration excludes its
version.
""")


def write_plugin(name: str, directory: Path) -> Path:
    """Write the package for the plugin ``name`` into ``directory/makker-<name>``.

    :raises ScaffoldError: a name that is not lower-case letters, digits and ``_`` (2-60
        characters, starting with a letter), the name of a built-in plugin (Makker would refuse
        to load it), or a package directory that already exists.
    """
    if not NAME.match(name):
        raise ScaffoldError(
            f"{name!r} is not a plugin name: use lower-case letters, digits and _ "
            "(2-60 characters, starting with a letter)"
        )
    if name in builtin_names():
        raise ScaffoldError(f"{name!r} is the name of a built-in plugin: choose another name")
    dist = f"makker-{name.replace('_', '-')}"
    target = directory / dist
    if target.exists():
        raise ScaffoldError(f"{target} already exists")
    values = {
        "name": name,
        "dist": dist,
        "module": f"makker_{name}",
        "group": ENTRY_POINT_GROUP,
        "supported": _supported(),
    }
    target.mkdir(parents=True)
    files = {
        "pyproject.toml": PYPROJECT,
        f"makker_{name}.py": MODULE,
        f"test_makker_{name}.py": TESTS,
        "README.md": README,
    }
    for filename, template in files.items():
        (target / filename).write_text(template.substitute(values), encoding="utf-8")
    return target
