"""The access matrix: every route, tried as every role, against the documented allow/deny.

``POLICY`` is the documentation: who may use each route. The test fails when the app has a route
that is not in the table, so a new page cannot ship without deciding who may see it. Denied means
the login page for anonymous visitors and 403 for everyone else; allowed means anything but that.
A second test sends a committee member of community A to A's pages with object ids of community
B: those objects must not be found (404), whatever the role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import BASE_URL
from tests.support.factories import (
    MotionSpec,
    create_account,
    create_published_meeting,
    create_voting_world,
    log_in,
    member_ids,
)
from tests.support.http import csrf_token

ANYONE = "anyone"
LOGGED_IN = "logged-in"
OPERATOR = "operator"
DEMO_ONLY = "demo-only"  # not served outside demo mode: 404 for everyone
# Per-unit choices: the community's owners, committee and observers after the final result; 404 for
# everyone else (anonymous visitors included), so nothing reveals that they exist.
INSPECTION = "inspection"
OWNER, COMMITTEE, OBSERVER = "owner", "committee", "observer"
ROLES = ("anonymous", OWNER, COMMITTEE, OBSERVER, OPERATOR, "committee-of-b")

C = "/c/{slug}"
M = C + "/meetings/{meeting_id}"
POLICY: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/"): ANYONE,
    ("GET", "/healthz"): ANYONE,
    ("POST", "/lang"): ANYONE,
    ("GET", "/login"): ANYONE,
    ("POST", "/login"): ANYONE,
    ("POST", "/logout"): LOGGED_IN,
    ("GET", "/activate"): ANYONE,
    ("POST", "/activate"): ANYONE,
    ("POST", "/activate/identity"): ANYONE,
    ("POST", "/activate/credentials"): ANYONE,
    ("POST", "/activate/totp"): ANYONE,
    ("GET", C): ANYONE,
    # register (committee only; names and phones appear here)
    ("GET", C + "/register"): frozenset({COMMITTEE}),
    ("GET", C + "/register/import"): frozenset({COMMITTEE}),
    ("POST", C + "/register/import"): frozenset({COMMITTEE}),
    ("GET", C + "/register/imports/{import_id}"): frozenset({COMMITTEE}),
    ("POST", C + "/register/imports/{import_id}/confirm"): frozenset({COMMITTEE}),
    ("POST", C + "/register/imports/{import_id}/discard"): frozenset({COMMITTEE}),
    ("GET", C + "/register/members"): frozenset({COMMITTEE}),
    ("GET", C + "/register/members/{member_id}"): frozenset({COMMITTEE}),
    ("GET", C + "/register/export.csv"): frozenset({COMMITTEE}),
    # activation letters and in-person verification
    ("GET", C + "/activation"): frozenset({COMMITTEE}),
    ("POST", C + "/activation/letters"): frozenset({COMMITTEE}),
    ("POST", C + "/activation/members/{member_id}/letter"): frozenset({COMMITTEE}),
    ("GET", C + "/verifications"): frozenset({COMMITTEE}),
    ("POST", C + "/verifications"): frozenset({COMMITTEE}),
    ("POST", C + "/verifications/{verification_id}/approve"): frozenset({COMMITTEE}),
    ("POST", C + "/verifications/{verification_id}/reject"): frozenset({COMMITTEE}),
    # meetings
    ("GET", C + "/meetings"): frozenset({OWNER, COMMITTEE, OBSERVER}),
    ("POST", C + "/meetings"): frozenset({COMMITTEE}),
    ("GET", C + "/meetings/new"): frozenset({COMMITTEE}),
    ("GET", C + "/meetings/current"): frozenset({OWNER, COMMITTEE, OBSERVER}),
    ("GET", M): frozenset({OWNER, COMMITTEE, OBSERVER}),
    ("GET", M + "/edit"): frozenset({COMMITTEE}),
    ("POST", M + "/edit"): frozenset({COMMITTEE}),
    ("POST", M + "/approve"): frozenset({COMMITTEE}),
    ("POST", M + "/demo-open"): DEMO_ONLY,
    ("POST", M + "/motions"): frozenset({COMMITTEE}),
    ("GET", M + "/motions/new"): frozenset({COMMITTEE}),
    ("GET", M + "/motions/{motion_id}"): frozenset({OWNER, COMMITTEE, OBSERVER}),
    ("GET", M + "/motions/{motion_id}/edit"): frozenset({COMMITTEE}),
    ("POST", M + "/motions/{motion_id}/edit"): frozenset({COMMITTEE}),
    ("POST", M + "/motions/{motion_id}/move"): frozenset({COMMITTEE}),
    ("POST", M + "/motions/{motion_id}/remove"): frozenset({COMMITTEE}),
    # ballots and turnout
    ("GET", M + "/ballot"): frozenset({OWNER}),
    ("POST", M + "/ballot"): frozenset({OWNER}),
    ("POST", M + "/ballot/cast"): frozenset({OWNER}),
    ("GET", M + "/paper"): frozenset({COMMITTEE}),
    ("POST", M + "/paper"): frozenset({COMMITTEE}),
    ("POST", M + "/paper/entries"): frozenset({COMMITTEE}),
    ("GET", M + "/paper/entries/{entry_id}"): frozenset({COMMITTEE}),
    ("POST", M + "/paper/entries/{entry_id}/confirm"): frozenset({COMMITTEE}),
    ("POST", M + "/paper/entries/{entry_id}/reject"): frozenset({COMMITTEE}),
    ("GET", M + "/turnout"): frozenset({COMMITTEE, OBSERVER}),
    # results: public once closed; approving is the committee's; the audit log is for oversight
    ("GET", M + "/result"): ANYONE,
    ("GET", M + "/result/receipt"): ANYONE,
    ("GET", M + "/motions/{motion_id}/totals.json"): ANYONE,
    ("GET", M + "/motions/{motion_id}/result.json"): INSPECTION,
    ("GET", M + "/result/ballots"): INSPECTION,
    ("GET", M + "/result/receipt.json"): ANYONE,
    ("GET", M + "/ledger/checkpoints.json"): ANYONE,
    ("GET", M + "/ledger/leaves.json"): ANYONE,
    ("GET", M + "/ledger/openings.json"): INSPECTION,
    ("GET", M + "/ledger"): frozenset({COMMITTEE, OBSERVER}),
    ("GET", "/ledger/key"): ANYONE,
    ("GET", "/ledger/check"): ANYONE,
    ("POST", M + "/result/approve"): frozenset({COMMITTEE}),
    ("GET", M + "/audit"): frozenset({COMMITTEE, OBSERVER}),
    ("GET", C + "/audit"): frozenset({COMMITTEE, OBSERVER}),
    # deliberation
    ("GET", C + "/motions/{motion_id}/discussion"): frozenset({OWNER, COMMITTEE, OBSERVER}),
    ("POST", C + "/motions/{motion_id}/discussion"): frozenset({OWNER, COMMITTEE}),
    ("GET", C + "/motions/{motion_id}/amendments"): frozenset({OWNER, COMMITTEE, OBSERVER}),
    ("POST", C + "/motions/{motion_id}/amendments"): frozenset({OWNER, COMMITTEE}),
    ("POST", C + "/amendments/{amendment_id}/adopt"): frozenset({COMMITTEE}),
    ("POST", C + "/amendments/{amendment_id}/decline"): frozenset({COMMITTEE}),
    ("POST", C + "/posts/{post_id}/hide"): frozenset({COMMITTEE}),
    ("POST", C + "/posts/{post_id}/official"): frozenset({COMMITTEE}),
    ("GET", C + "/proposals"): frozenset({OWNER, COMMITTEE, OBSERVER}),
    ("POST", C + "/proposals"): frozenset({OWNER}),
    ("GET", C + "/proposals/new"): frozenset({OWNER}),
    ("GET", C + "/proposals/{proposal_id}"): frozenset({OWNER, COMMITTEE, OBSERVER}),
    ("POST", C + "/proposals/{proposal_id}/support"): frozenset({OWNER}),
    ("POST", C + "/proposals/{proposal_id}/withdraw"): frozenset({OWNER}),
    # notifications are per account
    ("GET", "/notifications"): LOGGED_IN,
    ("POST", "/notifications/read-all"): LOGGED_IN,
    ("GET", "/notifications/settings"): LOGGED_IN,
    ("POST", "/notifications/settings"): LOGGED_IN,
    ("POST", "/notifications/{notification_id}/open"): LOGGED_IN,
    # platform operators
    ("GET", "/operator/communities"): OPERATOR,
    ("POST", "/operator/communities"): OPERATOR,
    ("GET", "/operator/communities/{community_id}"): OPERATOR,
    ("POST", "/operator/communities/{community_id}"): OPERATOR,
    ("POST", "/operator/communities/{community_id}/roles"): OPERATOR,
    ("POST", "/operator/communities/{community_id}/roles/{role_id}/revoke"): OPERATOR,
}


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """(method, path template without converters) of every route the app serves, static files aside."""
    routes = set()
    for route in app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if path.startswith("/static"):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method not in ("OPTIONS", "HEAD"):
                    routes.add((method, path.rstrip("/") or "/"))
    return routes


def allowed(policy: frozenset[str] | str, role: str) -> bool:
    """Whether ``role`` may use a route with ``policy``."""
    if policy == ANYONE:
        return True
    if policy == LOGGED_IN:
        return role != "anonymous"
    if policy == OPERATOR:
        return role == OPERATOR
    if policy == INSPECTION:
        return role in (OWNER, COMMITTEE, OBSERVER)
    return role in policy  # type: ignore[operator]


def refused(role: str, response) -> bool:  # noqa: ANN001
    """A refusal: the login page for anonymous visitors, 403 for logged-in ones."""
    if role == "anonymous":
        return response.status_code in (302, 303, 307) and "/login" in response.headers.get("location", "")
    return response.status_code == 403


@dataclass
class World:
    """Two communities' worth of ids and one logged-in client per role."""

    ids: dict[str, int]
    slug: str


async def _world(app: Litestar) -> tuple[dict[str, object], dict[str, int], dict[str, int]]:
    a = await create_voting_world(app, slug="a")
    b = await create_voting_world(app, slug="b")
    operator = await create_account(app, "platform-operator", operator=True)
    meeting_a = await create_published_meeting(app, a.community_id, a.register_version_id,
                                               [MotionSpec(title="A 议案")])
    meeting_b = await create_published_meeting(app, b.community_id, b.register_version_id,
                                               [MotionSpec(title="B 议案")])
    members_a = await member_ids(app, a.register_version_id)
    members_b = await member_ids(app, b.register_version_id)
    creds = {OWNER: a.owner, COMMITTEE: a.committee[0], OBSERVER: a.observer, OPERATOR: operator,
             "committee-of-b": b.committee[0]}
    ids_a = {"meeting_id": meeting_a.meeting_id, "motion_id": meeting_a.motion_ids[0],
             "member_id": next(iter(members_a.values())), "community_id": a.community_id}
    ids_b = {"meeting_id": meeting_b.meeting_id, "motion_id": meeting_b.motion_ids[0],
             "member_id": next(iter(members_b.values())), "community_id": b.community_id}
    return creds, ids_a, ids_b


def fill(template: str, slug: str, ids: dict[str, int]) -> str:
    """A concrete URL: known ids from ``ids``, any other id a number that exists nowhere."""
    return re.sub(r"\{(\w+)\}", lambda m: slug if m.group(1) == "slug" else str(ids.get(m.group(1), 999_999)),
                  template)


async def _request(client: AsyncTestClient, method: str, url: str):  # noqa: ANN202
    if method == "GET":
        return await client.get(url, follow_redirects=False)
    return await client.post(url, data={"_csrf_token": await csrf_token(client)}, follow_redirects=False)


def test_every_route_is_in_the_policy(app: Litestar) -> None:
    served = app_routes(app)
    documented = {(method, path.rstrip("/") or "/") for method, path in POLICY}
    assert served - documented == set(), "routes without an access policy"
    assert documented - served == set(), "policy entries for routes that do not exist"


async def test_access_matrix(app: Litestar) -> None:
    creds, ids_a, _ = await _world(app)
    wrong: list[str] = []
    for role in ROLES:
        async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
            if role != "anonymous":
                await log_in(client, creds[role])  # type: ignore[arg-type]
            for (method, template), policy in POLICY.items():
                if template == "/logout" or template.startswith("/login") or template == "/lang":
                    continue  # would end this client's session or are covered elsewhere
                url = fill(template, "a", ids_a)
                response = await _request(client, method, url)
                if policy == DEMO_ONLY or (policy == INSPECTION and not allowed(policy, role)):
                    if response.status_code != 404:
                        wrong.append(f"{role} {method} {url}: {policy} route answered {response.status_code}")
                elif response.status_code >= 500:
                    wrong.append(f"{role} {method} {url}: {response.status_code}")
                elif allowed(policy, role) == refused(role, response):
                    expected = "allow" if allowed(policy, role) else "deny"
                    wrong.append(f"{role} {method} {url}: expected {expected}, got {response.status_code}")
    assert not wrong, "access matrix violations:\n" + "\n".join(wrong)


async def test_objects_of_another_community_are_not_found(app: Litestar) -> None:
    creds, _, ids_b = await _world(app)
    wrong: list[str] = []
    for role in (COMMITTEE, OBSERVER, OWNER):
        async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
            await log_in(client, creds[role])  # type: ignore[arg-type]
            for (method, template), policy in POLICY.items():
                if policy in (ANYONE, LOGGED_IN, OPERATOR, DEMO_ONLY) or not allowed(policy, role):
                    continue
                names = set(re.findall(r"\{(\w+)\}", template)) - {"slug"}
                if not names & ids_b.keys():
                    continue
                # community A's address, community B's object ids
                url = fill(template, "a", {k: v for k, v in ids_b.items() if k != "community_id"})
                response = await _request(client, method, url)
                if response.status_code not in (404, 403):
                    wrong.append(f"{role} {method} {url}: {response.status_code}")
    assert not wrong, "objects of community B reachable through community A:\n" + "\n".join(wrong)
