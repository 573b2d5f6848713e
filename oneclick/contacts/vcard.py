"""vCard 4.0 (RFC 6350) files of shared contact cards, written by vobject (it escapes every value)."""

from __future__ import annotations

import vobject

from . import fields

_EMAIL_TYPES = {"email": None, "work_email": "work", "personal_email": "home"}


def card(values: dict[str, str]) -> vobject.base.Component:
    """Return one vCard for shared ``values`` (key -> text; "photo" is a URL, "name" is required)."""
    vc = vobject.vCard()
    vc.add("version").value = "4.0"
    vc.add("kind").value = "individual"
    name = values.get("name") or "Unknown"
    vc.add("fn").value = name
    vc.add("n").value = vobject.vcard.Name(given=name)
    if values.get("organisation"):
        vc.add("org").value = [values["organisation"]]
    if values.get("headline"):
        vc.add("title").value = values["headline"]
    for key, kind in _EMAIL_TYPES.items():
        if values.get(key):
            line = vc.add("email")
            line.value = values[key]
            if kind:
                line.type_param = kind
    if values.get("phone"):
        line = vc.add("tel")
        line.value = values["phone"]
        line.value_param = "text"
    if values.get("website"):
        vc.add("url").value = values["website"]
    for key in fields.PROFILE_HOSTS:
        if values.get(key):
            line = vc.add("x-socialprofile")
            line.value = values[key]
            line.type_param = key
    if values.get("photo"):
        vc.add("photo").value = values["photo"]
    return vc


def serialize(cards: list[dict[str, str]]) -> str:
    """Return one .vcf text holding a vCard per entry (CRLF line ends, as RFC 6350 asks)."""
    return "".join(card(values).serialize() for values in cards)
