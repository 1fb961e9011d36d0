"""Domain packs: how to build a domain's knowledge graph and what its answers are.

Each pack (``clinical``, ``finance``) owns its node types, relation names and build function;
nothing domain-specific leaks into ``graph/`` or ``score/``. The schema every pack uses is
declared in ``ontology/kgdecide.ttl`` with mappings to Biolink Model and FIBO.

Packs sit below the CLI and the web app and never import either. They plug into both through one
list, :data:`PACKS`: the CLI mounts each pack's commands from it, the web app serves each pack's
routes from it. Every reference in the list is a ``"module:attribute"`` string resolved on use
(:func:`resolve`), so ``import kgdecide.packs`` imports no pack, and ``kgdecide --help`` stays fast.

>>> [pack.name for pack in PACKS]
['clinical', 'finance']
>>> pack("finance").build
'kgdecide.packs.finance.commands:build_finance_command'
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from kgdecide.errors import ConfigError


@dataclass(frozen=True, slots=True)
class PackRoute:
    """One JSON route a pack answers below ``/api/v1``, as data: the web app builds the view (key
    and permission check, strict body parsing, JSON response) and the OpenAPI entry from it."""

    method: str  #: ``post`` or ``get``
    path: str  #: below /api/v1, e.g. ``/finance/exposure``
    operation_id: str  #: the OpenAPI operationId, e.g. ``financeExposure``
    summary: str  #: one sentence for the OpenAPI document
    permission: str  #: what the caller's role must allow, e.g. ``finance``
    #: the pydantic request model: the JSON body of a ``post`` (parsed strictly), the query
    #: string of a ``get``
    request: type[Any]
    response: type[Any]  #: the pydantic response model, for the OpenAPI document
    #: ``"module:function"`` called as ``handler(state, request)`` -> a JSON-ready dict, where
    #: ``state`` is what the pack's ``open`` returned and ``request`` the parsed request model
    handler: str

    def __post_init__(self) -> None:
        if self.method not in ("get", "post"):
            raise ValueError(f"route {self.path}: method must be 'get' or 'post', not {self.method!r}")
        if not self.path.startswith("/"):
            raise ValueError(f"route path {self.path!r} must start with '/'")


@dataclass(frozen=True, slots=True)
class PackPage:
    """A signed-in page a pack serves, as data: the web app declares it like its own pages (a
    signed-out visitor goes to the sign-in form, a forbidden one gets the forbidden page), links
    it from every page's header, and serves each of the pack's :class:`PackRoute` rows a second
    time below the page's path for the page's own calls (signed-in user, CSRF token)."""

    path: str  #: e.g. ``/finance``: the page is ``/finance/``, its calls ``/finance/exposure``...
    operation_id: str  #: e.g. ``analystPage``
    title: str  #: the header link's text, e.g. ``Analyst``
    summary: str
    permission: str  #: what the signed-in user's role must allow
    template: str  #: a template of :mod:`kgdecide.web`'s templates folder
    #: ``"module:function"`` called as ``context(state)`` -> the template's variables, where
    #: ``state`` is what the pack's ``open`` returned, or None when its graph did not load
    context: str

    def __post_init__(self) -> None:
        if not self.path.startswith("/") or self.path.endswith("/"):
            raise ValueError(f"page path {self.path!r} must start and not end with '/'")


@dataclass(frozen=True, slots=True)
class Pack:
    """A domain pack as the CLI and the web app see it."""

    name: str  #: e.g. ``clinical``; also the store name its build writes by default
    #: the click command ``kgdecide build <name>`` runs, ``"module:attribute"``
    build: str
    #: further top-level commands: (command name, ``"module:attribute"`` of a click command)
    commands: tuple[tuple[str, str], ...] = ()
    #: ``"module:attribute"`` of a tuple of :class:`PackRoute`; ``None``: no web routes
    routes: str | None = None
    #: ``"module:function"`` called as ``open(store)`` with the pack's GraphStore: the state its
    #: route handlers get, built once when the web app starts
    open: str | None = None
    #: ``"module:attribute"`` of a :class:`PackPage`; ``None``: no page (it needs ``routes``)
    page: str | None = None

    def __post_init__(self) -> None:
        if (self.routes is None) != (self.open is None):
            raise ValueError(f"pack {self.name}: routes and open go together")
        if self.page is not None and self.routes is None:
            raise ValueError(f"pack {self.name}: a page needs routes and open")


#: Every pack, in the order the CLI lists them.
PACKS: tuple[Pack, ...] = (
    Pack(
        "clinical",
        build="kgdecide.packs.clinical.commands:build_clinical",
        commands=(("rank-cases", "kgdecide.packs.clinical.commands:rank_cases"),
                  ("train", "kgdecide.packs.clinical.commands:train")),
    ),
    Pack(
        "finance",
        build="kgdecide.packs.finance.commands:build_finance_command",
        commands=(("finance", "kgdecide.packs.finance.commands:finance_group"),),
        routes="kgdecide.packs.finance.api:ROUTES",
        open="kgdecide.packs.finance.api:open_state",
        page="kgdecide.packs.finance.analyst:PAGE",
    ),
)


def pack(name: str) -> Pack:
    """The pack called ``name``; ``ConfigError`` naming the packs there are otherwise.

    >>> pack("legal")
    Traceback (most recent call last):
    ...
    kgdecide.errors.ConfigError: unknown pack 'legal'; packs: clinical, finance
    """
    for p in PACKS:
        if p.name == name:
            return p
    raise ConfigError(f"unknown pack {name!r}; packs: {', '.join(p.name for p in PACKS)}")


def resolve(reference: str) -> Any:
    """The object a ``"module:attribute"`` reference names, importing its module.

    >>> resolve("kgdecide.packs.clinical:default_store_name")()
    'clinical'
    """
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)
