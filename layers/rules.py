"""Rule-set files: ``data/rules/<id>.toml`` → :class:`geo.rules.RuleSet`.

A planner adds a rule by adding a TOML file (fields in ``data/rules/README.md``); no code changes.
The file stem must equal the rule's ``id``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from geo.rules import RuleError, RuleSet
from layers.errors import LayerError, Problem
from layers.studyarea import DATA_ROOT

__all__ = ["RULES_DIR", "list_rules", "load_rule", "read_rule_file"]

#: Folder of the shipped rule sets.
RULES_DIR: Path = DATA_ROOT / "rules"


def read_rule_file(path: str | Path) -> RuleSet:
    """Read and validate one rule-set TOML file.

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file.

    Returns
    -------
    RuleSet

    Raises
    ------
    LayerError
        Naming the file and every field at fault (syntax errors name the line).

    Examples
    --------
    >>> read_rule_file(RULES_DIR / "xicheng-2016.toml").tiers[0].radius_m
    500.0
    """
    p = Path(path)
    name = p.name
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise LayerError([Problem(str(p), None, None, "file not found")]) from None
    except tomllib.TOMLDecodeError as e:
        raise LayerError([Problem(name, None, None, f"not valid TOML: {e}")]) from None
    try:
        rule = RuleSet.from_dict(data, source=name)
    except RuleError as e:
        raise LayerError([Problem(name, None, f, m) for f, m in e.problems]) from None
    if rule.id != p.stem:
        raise LayerError(
            [Problem(name, None, "id", f"must equal the file stem {p.stem!r}, got {rule.id!r}")]
        )
    return rule


def list_rules(rules_dir: str | Path | None = None) -> list[RuleSet]:
    """All rule sets in ``rules_dir`` (default :data:`RULES_DIR`), sorted by id.

    Parameters
    ----------
    rules_dir : str or Path, optional

    Returns
    -------
    list of RuleSet

    Raises
    ------
    LayerError
        When any file is malformed (all problems of all files in one error).

    Examples
    --------
    >>> "xicheng-2016" in [r.id for r in list_rules()]
    True
    """
    d = Path(rules_dir) if rules_dir is not None else RULES_DIR
    if not d.is_dir():
        raise LayerError([Problem(str(d), None, None, "rules folder not found")])
    rules: list[RuleSet] = []
    problems: list[Problem] = []
    for f in sorted(d.glob("*.toml")):
        try:
            rules.append(read_rule_file(f))
        except LayerError as e:
            problems.extend(e.problems)
    if problems:
        raise LayerError(problems)
    return sorted(rules, key=lambda r: r.id)


def rule_ids(rules_dir: str | Path | None = None) -> list[str]:
    """Ids of the rule files in ``rules_dir`` (file stems, without reading them)."""
    d = Path(rules_dir) if rules_dir is not None else RULES_DIR
    return sorted(f.stem for f in d.glob("*.toml"))


def load_rule(rule_id: str, rules_dir: str | Path | None = None) -> RuleSet:
    """Load one rule set by id.

    Parameters
    ----------
    rule_id : str
        The rule's id (file stem), e.g. ``"xicheng-2016"``.
    rules_dir : str or Path, optional
        Default :data:`RULES_DIR`.

    Returns
    -------
    RuleSet

    Raises
    ------
    LayerError
        Unknown id (the message lists the available ids) or a malformed file.

    Examples
    --------
    >>> load_rule("who-europe-2016").demand_base
    'population'
    >>> load_rule("nope")
    Traceback (most recent call last):
    ...
    layers.errors.LayerError: rule 'nope': unknown rule set; available: ...
    """
    d = Path(rules_dir) if rules_dir is not None else RULES_DIR
    f = d / f"{rule_id}.toml"
    if "/" in rule_id or "\\" in rule_id or not f.is_file():
        avail = ", ".join(rule_ids(d)) or "(none)"
        raise LayerError(
            [Problem(f"rule {rule_id!r}", None, None, f"unknown rule set; available: {avail}")]
        )
    return read_rule_file(f)
