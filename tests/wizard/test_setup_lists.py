"""Reading the lists for the wizard, and proposing links without writing anything (L2-L4)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.db.enums import DocKind
from app.db.models import Customer, Item, RemoteLink, Vendor
from app.db.session import Profile
from app.services.setup_lists import fetch_lists, import_lists, propose_links
from app.sync.documents import RemoteRecord
from tests import builders as b
from tests.fake_backend import FakeBackend, FakeCompany


def _count(profile: Profile) -> tuple[int, int, int, int]:
    with profile.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(Customer)) or 0,
            s.scalar(select(func.count()).select_from(Vendor)) or 0,
            s.scalar(select(func.count()).select_from(Item)) or 0,
            s.scalar(select(func.count()).select_from(RemoteLink)) or 0,
        )


def _store(profile: Profile) -> None:
    with profile.transaction() as s:
        b.customer(s, "Ava Jensen")
        s.add(Customer(name="Benjamin Ode", email="ben@example.com"))
        b.customer(s, "Cleo Park", remote_id="c-old")  # linked before the wizard
        b.item(s, "MUG-BLUE")
        s.add(Vendor(name="Paper Co", email="orders@paper.example"))


def _company() -> FakeCompany:
    qb = FakeCompany()
    qb.add(DocKind.CUSTOMER, "Ava Jensen")
    qb.add(DocKind.CUSTOMER, "Ben Ode", email="BEN@example.com")
    qb.of(DocKind.CUSTOMER)["c-old"] = RemoteRecord(DocKind.CUSTOMER, "c-old", "Cleo Park", "0")
    qb.add(DocKind.CUSTOMER, "Dana Fox")
    qb.add(DocKind.CUSTOMER, "Gone Ltd", active=False)
    qb.add(DocKind.ITEM, "MUG-BLUE", item_type="Inventory")
    qb.add(DocKind.ITEM, "Shipping", item_type="Service")
    qb.add(DocKind.VENDOR, "Paper Company", email="orders@paper.example")
    qb.add(DocKind.ACCOUNT, "Shipping Income", account_type="Income")
    return qb


def test_reading_the_lists_reports_progress_and_writes_nothing(profile: Profile) -> None:
    _store(profile)
    before = _count(profile)
    seen: list[tuple[DocKind, int]] = []
    records = fetch_lists(FakeBackend(_company()), progress=lambda k, n: seen.append((k, n)))
    assert [len(records[k]) for k in records] == [5, 1, 2, 1]
    assert (DocKind.CUSTOMER, 5) in seen and (DocKind.ACCOUNT, 1) in seen
    result = propose_links(profile, records)
    assert _count(profile) == before  # the dry run was rolled back: Cancel changes nothing
    proposals = {(p.kind, p.remote_name): (p.local_name, p.reason) for p in result.proposals}
    assert proposals == {
        (DocKind.CUSTOMER, "Ava Jensen"): ("Ava Jensen", "same name"),
        (DocKind.CUSTOMER, "Ben Ode"): ("Benjamin Ode", "same e-mail"),
        (DocKind.ITEM, "MUG-BLUE"): ("MUG-BLUE", "same name"),
        (DocKind.VENDOR, "Paper Company"): ("Paper Co", "same e-mail"),
    }
    customers = result.counts[DocKind.CUSTOMER]
    assert (customers.received, customers.proposed, customers.already_linked) == (5, 2, 1)
    assert (customers.new_local, customers.skipped) == (1, 1)  # Dana Fox new; Gone Ltd left
    assert result.counts[DocKind.ITEM].new_local == 1


def test_importing_keeps_the_accepted_links_and_leaves_out_the_refused(profile: Profile) -> None:
    _store(profile)
    result = propose_links(profile, fetch_lists(FakeBackend(_company())))
    ben = next(p for p in result.proposals if p.remote_name == "Ben Ode")
    ben.accepted = False
    assert result.rejected() == {(DocKind.CUSTOMER, ben.remote_id)}
    seen: list[tuple[DocKind, int]] = []
    reports = import_lists(profile, result, progress=lambda k, n: seen.append((k, n)))
    assert [r.kind for r in reports] == [
        DocKind.CUSTOMER,
        DocKind.VENDOR,
        DocKind.ITEM,
        DocKind.ACCOUNT,
    ]
    assert seen  # pull_lists' own progress
    with profile.sessions() as s:
        linked = dict(
            (remote, local)
            for remote, local in s.execute(
                select(RemoteLink.remote_id, RemoteLink.local_id).where(
                    RemoteLink.kind == DocKind.CUSTOMER
                )
            )
        )
        benjamin = s.scalar(select(Customer.id).where(Customer.name == "Benjamin Ode"))
        assert ben.remote_id not in linked
        assert benjamin not in linked.values()
        assert s.scalar(select(Customer).where(Customer.name == "Dana Fox")) is not None
        assert s.scalar(select(Customer).where(Customer.name == "Gone Ltd")) is None


def test_accept_all_and_none(profile: Profile) -> None:
    _store(profile)
    result = propose_links(profile, fetch_lists(FakeBackend(_company())))
    result.accept_all(False)
    assert len(result.rejected()) == len(result.proposals) == 4
    result.accept_all()
    assert result.rejected() == set()
    assert [r.name for r in result.active(DocKind.CUSTOMER)] == [
        "Ava Jensen",
        "Ben Ode",
        "Cleo Park",
        "Dana Fox",
    ]
