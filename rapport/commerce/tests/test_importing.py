"""CSV import: layouts, idempotency, line-numbered errors and all-or-nothing records."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.accounts.models import AuditEntry
from rapport.accounts.permissions import Actor
from rapport.commerce.importing import LAYOUTS, HeaderInvalid, ImportReport, import_csv
from rapport.commerce.models import Order, Product, Shipment, ShipmentStatus
from rapport.commerce.tests.factories import ProductFactory
from rapport.core.errors import PermissionDenied
from rapport.customers.models import Customer, Identity, TimelineEvent
from rapport.customers.tests.factories import CustomerFactory, EmailIdentityFactory

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Path:
    return FIXTURES / name


def write_csv(path: Path, rows: list[list[str]], *, prefix: bytes = b"") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(prefix + buffer.getvalue().encode("utf-8"))
    return path


def counts(report: ImportReport) -> tuple[int, int, int, int]:
    return report.created, report.updated, report.unchanged, report.failed


def errors(report: ImportReport) -> list[str]:
    return [str(error) for error in report.errors]


@pytest.fixture
def store(db: None) -> None:
    """The three good fixture files, imported in order."""
    for kind in ("customers", "products", "orders"):
        report = import_csv(kind, fixture(f"{kind}.csv"))
        assert report.failed == 0, report.errors


def test_good_customers_file_creates_customers_with_normalised_identities(db: None) -> None:
    report = import_csv("customers", fixture("customers.csv"))

    assert counts(report) == (4, 0, 0, 0)
    ana = Customer.objects.get(external_id="C001")
    assert ana.name == "Ana Silva"
    assert (ana.country, ana.language, ana.time_zone) == ("PT", "pt-PT", "Europe/Lisbon")
    assert ana.marketing_consent is True
    assert sorted(ana.tags.values_list("name", flat=True)) == ["newsletter", "vip"]
    assert sorted(ana.identities.values_list("value", flat=True)) == [
        "+351912345678",
        "ana.silva@example.com",
        "instagram:ana.silva",
    ]
    bob = Customer.objects.get(external_id="C002")
    # A national number is read with the row's country.
    assert bob.identities.get(kind="phone").value == "+442079460018"
    assert list(bob.identities.filter(kind="email").values_list("value", "is_primary")) == [
        ("bob@example.org", True),
        ("bob.jones@work.example", False),
    ]
    assert Customer.objects.get(external_id="C004").name == "Okafor, Chinedu"
    assert AuditEntry.objects.filter(action="customer.create", actor__isnull=True).count() == 4
    assert TimelineEvent.objects.filter(kind="customer.created").count() == 4


def test_good_orders_file_groups_lines_into_orders_with_shipments(store: None) -> None:
    order = Order.objects.get(external_id="9001")

    assert order.number == "R9001"
    assert order.customer.external_id == "C001"
    assert order.placed_at == datetime(2024, 3, 1, 9, 15, tzinfo=UTC)
    assert [(line.sku, line.quantity, line.line_total) for line in order.lines.all()] == [
        ("KIT-001", 1, Decimal("49.90")),
        ("COF-001", 2, Decimal("49.00")),
    ]
    assert order.total == Decimal("103.85")
    shipment = order.shipments.get()
    assert (shipment.carrier, shipment.tracking_number, shipment.status) == (
        "CTT",
        "RR123456785PT",
        ShipmentStatus.DELIVERED,
    )
    assert shipment.delivered_at == datetime(2024, 3, 4, 15, 30, tzinfo=UTC)
    assert shipment.signed_for_name == "Ana Silva"
    # An item outside the catalogue is taken with its own name and price.
    wrapped = Order.objects.get(external_id="9003").lines.get(sku="GIFT-WRAP")
    assert (wrapped.name, wrapped.unit_price, wrapped.product) == ("Gift wrapping", Decimal("3.50"), None)
    assert Order.objects.get(external_id="9002").lines.get().unit_price == Decimal("79.00")
    assert TimelineEvent.objects.filter(kind="order.placed").count() == 3
    assert TimelineEvent.objects.filter(kind="shipment.delivered").count() == 1


def test_products_file_reads_defaults_for_empty_cells(db: None) -> None:
    report = import_csv("products", fixture("products.csv"))

    assert counts(report) == (4, 0, 0, 0)
    assert Product.objects.get(sku="COF-001").is_active is True
    throw = Product.objects.get(sku="TEX-001")
    assert (throw.name, throw.external_id, throw.is_active) == ("Linen Throw, Sand", None, False)


def test_reimporting_the_same_files_writes_nothing(store: None) -> None:
    audit, events = AuditEntry.objects.count(), TimelineEvent.objects.count()

    reports = [import_csv(kind, fixture(f"{kind}.csv")) for kind in ("customers", "products", "orders")]

    assert [counts(report) for report in reports] == [(0, 0, 4, 0), (0, 0, 4, 0), (0, 0, 3, 0)]
    assert (AuditEntry.objects.count(), TimelineEvent.objects.count()) == (audit, events)
    assert (Customer.objects.count(), Product.objects.count(), Order.objects.count()) == (4, 4, 3)
    assert Shipment.objects.count() == 2


def test_a_changed_row_is_reported_updated_and_audited(store: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "products.csv",
        [
            ["sku", "name", "price"],
            ["KIT-001", "Cast Iron Skillet 28 cm", "44.90"],
            ["KIT-002", "Chef's Knife 20 cm", "89.00"],
        ],
    )

    report = import_csv("products", path)

    assert counts(report) == (0, 1, 1, 0)
    skillet = Product.objects.get(sku="KIT-001")
    # Columns the file leaves out keep their stored values.
    assert (skillet.price, skillet.category, skillet.brand) == (Decimal("44.90"), "Kitchen", "Forja")
    entry = AuditEntry.objects.get(action="product.update")
    assert (entry.before, entry.after) == ({"price": "49.90"}, {"price": "44.90"})


def test_a_changed_order_replaces_its_lines(store: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "orders.csv",
        [
            ["order_external_id", "customer_external_id", "placed_at", "sku", "quantity"],
            ["9002", "C002", "2024-04-12T18:40:00Z", "KIT-002", "1"],
            ["9002", "C002", "2024-04-12T18:40:00Z", "KIT-001", "2"],
        ],
    )

    report = import_csv("orders", path)

    assert counts(report) == (0, 1, 0, 0)
    order = Order.objects.get(external_id="9002")
    # The price the file gave before is gone with the old line; the catalogue's applies now.
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines.all()] == [
        ("KIT-002", 1, Decimal("89.00")),
        ("KIT-001", 2, Decimal("49.90")),
    ]
    assert order.total == Decimal("188.80")


def test_malformed_customer_rows_are_reported_by_line_and_good_rows_import(db: None) -> None:
    report = import_csv("customers", fixture("customers_malformed.csv"))

    assert counts(report) == (2, 0, 0, 4)
    assert errors(report) == [
        "line 3: email: 'not-an-email' is not an email address",
        "line 4: expected 5 fields, found 6",
        "line 5: external_id: is required",
        "line 6: phone: '020 7946 0999' has no country code: write +44… or fill in the country column",
    ]
    assert sorted(Customer.objects.values_list("external_id", flat=True)) == ["C101", "C105"]
    assert not Identity.objects.filter(value="n.p@example.com").exists()


def test_malformed_order_rows_are_reported_by_line_and_good_orders_import(store: None) -> None:
    report = import_csv("orders", fixture("orders_malformed.csv"))

    assert counts(report) == (2, 0, 0, 4)
    assert errors(report) == [
        "line 4: sku: unknown SKU 'NO-SUCH-SKU' "
        "(give item_name and unit_price for an item not in the catalogue)",
        "line 5: placed_at: '2024-06-03 12:00' needs a UTC offset, like +02:00 or Z",
        "line 6: quantity: 'two' is not a whole number from 1 to 999999",
        "line 7: customer_external_id: no customer 'C999' (import the customers file first)",
    ]
    assert report.failed_keys == {"8002", "8003", "8004", "8005"}
    assert set(Order.objects.filter(external_id__startswith="8").values_list("external_id", flat=True)) == {
        "8001",
        "8006",
    }


def test_an_order_with_one_bad_line_is_not_imported_at_all(store: None) -> None:
    audit = AuditEntry.objects.count()

    import_csv("orders", fixture("orders_malformed.csv"))

    # Order 8002's good first line (line 3) is not written without its bad second line.
    assert not Order.objects.filter(external_id="8002").exists()
    assert not Order.objects.filter(number="8002").exists()
    assert AuditEntry.objects.count() == audit + 2


def test_an_orders_lines_may_be_anywhere_in_the_file(store: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "orders.csv",
        [
            ["order_external_id", "customer_external_id", "placed_at", "sku", "quantity"],
            ["7001", "C001", "2024-07-01T10:00:00+00:00", "KIT-001", "1"],
            ["7002", "C002", "2024-07-02T10:00:00+00:00", "KIT-002", "1"],
            ["7001", "", "", "COF-001", "3"],
        ],
    )

    report = import_csv("orders", path)

    assert counts(report) == (2, 0, 0, 0)
    assert list(Order.objects.get(external_id="7001").lines.values_list("sku", "quantity")) == [
        ("KIT-001", 1),
        ("COF-001", 3),
    ]


def test_rows_of_one_order_that_contradict_each_other_reject_it(store: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "orders.csv",
        [
            ["order_external_id", "customer_external_id", "placed_at", "sku", "quantity"],
            ["7001", "C001", "2024-07-01T10:00:00+00:00", "KIT-001", "1"],
            ["7001", "C001", "2024-07-01T11:00:00+00:00", "COF-001", "3"],
        ],
    )

    report = import_csv("orders", path)

    assert counts(report) == (0, 0, 0, 1)
    assert errors(report) == [
        "line 3: placed_at: '2024-07-01T11:00:00+00:00' differs from '2024-07-01T10:00:00+00:00' on line 2"
    ]


def test_a_quoted_line_break_keeps_line_numbers_physical(db: None, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(b'external_id,name,email\nC1,"Ana\nSilva",ana@example.com\nC2,Bad,not-an-email\n')

    report = import_csv("customers", path)

    assert errors(report) == ["line 4: email: 'not-an-email' is not an email address"]
    assert Customer.objects.get(external_id="C1").name == "Ana\nSilva"


def test_header_without_required_columns_fails_fast_and_writes_nothing(db: None) -> None:
    with pytest.raises(HeaderInvalid, match="lacks required column"):
        import_csv("customers", fixture("customers_missing_column.csv"))

    assert not Customer.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (b"external_id,name,name\nC1,a,b\n", "names column 'name' twice"),
        (b"external_id,,name\nC1,a,b\n", "empty column name"),
        (b"external_\xffid,name\nC1,a\n", "header cannot be read"),
        (b"external_id;name;email\nC1;a;b\n", "separate columns with ';'"),
    ],
)
def test_unusable_headers_are_refused(db: None, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(content)

    with pytest.raises(HeaderInvalid, match=message):
        import_csv("customers", path)

    assert not Customer.objects.exists()


def test_unknown_columns_are_ignored_with_a_warning(db: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["external_id", "nmae"], ["C1", "Ana"]])

    report = import_csv("customers", path)

    assert report.warnings == ["ignored unknown column(s): nmae"]
    assert counts(report) == (1, 0, 0, 0)


def test_utf8_with_a_byte_order_mark_is_read(db: None) -> None:
    report = import_csv("customers", fixture("customers_bom.csv"))

    assert counts(report) == (1, 0, 0, 0)
    assert Customer.objects.get(external_id="C201").name == "Zoë Bom"


def test_undecodable_bytes_fail_only_their_own_row(db: None) -> None:
    report = import_csv("customers", fixture("customers_latin1.csv"))

    assert counts(report) == (1, 0, 0, 1)
    assert errors(report) == ["line 2: not valid UTF-8 (byte 0xe9 at position 9)"]
    assert list(Customer.objects.values_list("external_id", flat=True)) == ["C302"]


def test_dry_run_reports_what_would_happen_and_writes_nothing(db: None) -> None:
    report = import_csv("customers", fixture("customers.csv"), dry_run=True)

    assert counts(report) == (4, 0, 0, 0)
    assert report.dry_run is True
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_failed_customer_row_leaves_no_part_of_its_changes(db: None, tmp_path: Path) -> None:
    customer = CustomerFactory(external_id="C1", name="Ana")
    EmailIdentityFactory(value="taken@example.com")
    path = write_csv(
        tmp_path / "c.csv", [["external_id", "name", "email"], ["C1", "Ana Silva", "taken@example.com"]]
    )

    report = import_csv("customers", path)

    assert errors(report) == ["line 2: taken@example.com belongs to another customer"]
    customer.refresh_from_db()
    assert customer.name == "Ana"
    assert not AuditEntry.objects.exists()


def test_import_as_a_user_is_audited_under_their_name(lead: Actor) -> None:
    import_csv("customers", fixture("customers.csv"), actor=Actor(user=lead.user, via="import"))

    entry = AuditEntry.objects.filter(action="customer.create").first()
    assert entry is not None
    assert (entry.actor, entry.via) == (lead.user, "import")


def test_tags_are_added_to_existing_customers_and_a_second_run_changes_nothing(
    db: None, tmp_path: Path
) -> None:
    CustomerFactory(external_id="C1")
    path = write_csv(tmp_path / "c.csv", [["external_id", "tags"], ["C1", "VIP"]])

    first = import_csv("customers", path)
    second = import_csv("customers", path)

    assert errors(first) == []
    assert counts(first) == (0, 1, 0, 0)
    assert counts(second) == (0, 0, 1, 0)
    assert list(Customer.objects.get(external_id="C1").tags.values_list("name", flat=True)) == ["vip"]


def test_a_role_without_the_import_permission_is_refused(analyst: Actor, agent: Actor) -> None:
    for actor in (analyst, agent):
        with pytest.raises(PermissionDenied):
            import_csv("customers", fixture("customers.csv"), actor=actor)

    assert not Customer.objects.exists()


def test_reimported_delivered_shipment_keeps_its_delivery_time(store: None, tmp_path: Path) -> None:
    header = ["order_external_id", "customer_external_id", "placed_at", "sku", "quantity", "carrier"]
    row = ["6001", "C001", "2024-08-01T10:00:00+00:00", "KIT-001", "1", "DHL"]
    first = write_csv(
        tmp_path / "a.csv",
        [[*header, "tracking_number", "shipment_status"], [*row, "1234567890", "delivered"]],
    )
    import_csv("orders", first)
    delivered_at = Shipment.objects.get(tracking_number="1234567890").delivered_at
    again = write_csv(
        tmp_path / "b.csv",
        [
            [*header, "tracking_number", "shipment_status", "signed_for_name"],
            [*row, "1234567890", "delivered", "Ana"],
        ],
    )

    report = import_csv("orders", again)

    assert counts(report) == (0, 1, 0, 0)
    shipment = Shipment.objects.get(tracking_number="1234567890")
    assert (shipment.signed_for_name, shipment.delivered_at) == ("Ana", delivered_at)


# Values that reach deeper than random text: near-valid dates, numbers, and the file's own ids.
cell_text = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["", " ", "C1", "C2", "A-1", "B-2", "O1", "O2", "delivered", "refunded", "Z", ";"]),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat() + "Z"),
)


@pytest.fixture
def catalogue(db: None) -> None:
    for external_id in ("C1", "C2"):
        CustomerFactory(external_id=external_id)
    ProductFactory(sku="A-1", price=Decimal("10.00"))
    ProductFactory(sku="B-2", price=Decimal("2.50"))


ORDER_COLUMNS = list(LAYOUTS["orders"].columns)
ORDER_ROWS = [
    ORDER_COLUMNS,
    *(
        [values.get(column, "") for column in ORDER_COLUMNS]
        for values in [
            {
                "order_external_id": "O1",
                "customer_external_id": "C1",
                "placed_at": "2024-01-01T10:00:00+01:00",
                "sku": "A-1",
                "quantity": "1",
                "status": "fulfilled",
                "shipping_total": "4.95",
                "carrier": "DHL",
                "tracking_number": "12345",
                "shipment_status": "delivered",
            },
            {
                "order_external_id": "O1",
                "customer_external_id": "C1",
                "sku": "B-2",
                "quantity": "2",
                "carrier": "DHL",
                "tracking_number": "12345",
            },
            {
                "order_external_id": "O2",
                "customer_external_id": "C2",
                "placed_at": "2024-02-01T10:00:00Z",
                "sku": "X-9",
                "quantity": "1",
                "unit_price": "3.00",
                "item_name": "Gift wrap",
                "currency": "GBP",
            },
        ]
    ),
]


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    row=st.integers(min_value=1, max_value=len(ORDER_ROWS) - 1),
    column=st.integers(min_value=0, max_value=len(ORDER_ROWS[0]) - 1),
    text=cell_text,
)
def test_any_text_in_an_order_cell_imports_the_whole_order_or_reports_it(
    catalogue: None, tmp_path: Path, row: int, column: int, text: str
) -> None:
    rows = [list(values) for values in ORDER_ROWS]
    rows[row][column] = text
    path = write_csv(tmp_path / "orders.csv", rows)
    keys = [values[0].strip() for values in rows[1:]]

    with transaction.atomic():
        report = import_csv("orders", path)
        for key in set(keys) - {""}:
            if "\x00" in key:
                # Refused before any lookup: PostgreSQL cannot compare text holding NUL.
                assert key in report.failed_keys
                continue
            order = Order.objects.filter(external_id=key).first()
            if key in report.failed_keys:
                assert order is None
            else:
                assert order is not None, (key, report.errors)
                lines = list(order.lines.all())
                assert len(lines) == keys.count(key)
                assert order.total == sum((line.line_total for line in lines), order.shipping_total)
        assert report.created + report.failed == len(set(keys) - {""}) + keys.count("")
        transaction.set_rollback(True)


CUSTOMER_COLUMNS = list(LAYOUTS["customers"].columns)
CUSTOMER_ROWS = [
    CUSTOMER_COLUMNS,
    *(
        [values.get(column, "") for column in CUSTOMER_COLUMNS]
        for values in [
            {
                "external_id": "K1",
                "name": "Ana Silva",
                "email": "ana@example.com",
                "phone": "+351 912 345 678",
                "social": "instagram:ana",
                "country": "PT",
                "language": "pt-PT",
                "time_zone": "Europe/Lisbon",
                "tags": "vip",
                "marketing_consent": "yes",
            },
            {
                "external_id": "K2",
                "name": "Bob Jones",
                "email": "bob@example.org",
                "phone": "020 7946 0018",
                "country": "GB",
                "survey_consent": "no",
            },
        ]
    ),
]


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    row=st.integers(min_value=1, max_value=len(CUSTOMER_ROWS) - 1),
    column=st.integers(min_value=0, max_value=len(CUSTOMER_ROWS[0]) - 1),
    text=cell_text,
)
def test_any_text_in_a_customer_cell_imports_the_customer_or_reports_it(
    db: None, tmp_path: Path, row: int, column: int, text: str
) -> None:
    rows = [list(values) for values in CUSTOMER_ROWS]
    rows[row][column] = text
    path = write_csv(tmp_path / "customers.csv", rows)
    keys = [values[0].strip() for values in rows[1:]]

    with transaction.atomic():
        report = import_csv("customers", path)
        for key in set(keys) - {""}:
            exists = Customer.objects.filter(external_id=key).exists()
            assert exists or key in report.failed_keys, (key, report.errors)
            if keys.count(key) == 1 and key in report.failed_keys:
                assert not exists
        assert report.created + report.updated + report.unchanged + report.failed == len(keys)
        # Failed rows left nothing: every stored customer is one the report counts as created.
        assert Customer.objects.count() == report.created
        assert AuditEntry.objects.filter(action="customer.create").count() == report.created
        transaction.set_rollback(True)
