"""Backward-compatibility check between a committed JSON Schema and the one a model generates now.

Compatible: new optional fields, new enum values, new descriptions. Incompatible: a field removed
(renaming is a removal), a field retyped, a new required field, an optional field made required,
an enum value removed."""

from typing import Any

_IGNORED = {"title", "description", "default", "examples", "$id", "$schema", "x-ce-type", "x-topic",
            "x-key", "x-version", "$defs"}


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every way `new` breaks a consumer or producer written against `old`; empty when compatible."""
    problems: list[str] = []
    _compare("", old, new, old.get("$defs", {}), new.get("$defs", {}), problems)
    return problems


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _compare(path: str, old: dict, new: dict, old_defs: dict, new_defs: dict, problems: list[str]) -> None:
    old, new = _resolve(old, old_defs), _resolve(new, new_defs)
    where = path or "<event>"
    if "properties" in old or "properties" in new:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        for name, old_field in old_props.items():
            if name not in new_props:
                problems.append(f"{_join(path, name)}: field removed")
            else:
                _compare(_join(path, name), old_field, new_props[name], old_defs, new_defs, problems)
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for name in sorted(new_required - old_required):
            what = "optional field made required" if name in old_props else "new field is required"
            problems.append(f"{_join(path, name)}: {what}")
        return
    if "anyOf" in old or "anyOf" in new:
        old_any, new_any = old.get("anyOf", [old]), new.get("anyOf", [new])
        if len(old_any) != len(new_any):
            problems.append(f"{where}: type changed")
            return
        for i, (o, n) in enumerate(zip(old_any, new_any)):
            _compare(path, o, n, old_defs, new_defs, problems)
        return
    if "items" in old or "items" in new:
        if "items" not in old or "items" not in new:
            problems.append(f"{where}: type changed")
            return
        _compare(f"{path}[]", old["items"], new["items"], old_defs, new_defs, problems)
        return
    old_enum, new_enum = set(map(str, old.get("enum", []))), set(map(str, new.get("enum", [])))
    if old_enum - new_enum:
        problems.append(f"{where}: enum values removed: {sorted(old_enum - new_enum)}")
    old_shape = {k: v for k, v in old.items() if k not in _IGNORED and k != "enum"}
    new_shape = {k: v for k, v in new.items() if k not in _IGNORED and k != "enum"}
    if old_shape != new_shape:
        problems.append(f"{where}: type changed from {old_shape} to {new_shape}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
