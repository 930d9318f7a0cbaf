"""The error taxonomy: ranges, uniqueness, documentation, and no secrets in messages."""

from __future__ import annotations

import importlib
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediacore import errors
from mediacore.errordoc import collect_error_classes, render_markdown
from mediacore.errors import Category, NetworkError, SdkError, Severity
from mediacore.secret import Secret

REPO = Path(__file__).resolve().parents[2]


def test_every_code_is_in_its_category_range_and_documented() -> None:
    classes = collect_error_classes()
    assert classes, "no error classes found"
    for code, cls in classes.items():
        assert code == cls.code
        assert code // 1000 == int(cls.category), cls
        assert (cls.__doc__ or "").strip(), cls


def test_docs_errors_md_matches_the_code() -> None:
    expected = render_markdown(collect_error_classes())
    actual = (REPO / "docs" / "errors.md").read_text()
    assert actual == expected, "docs/errors.md is stale: run `python -m mediacore.errordoc`"


def test_duplicate_code_is_refused() -> None:
    class First(NetworkError):
        """A test-only error."""

        code = 2998

    with pytest.raises(TypeError, match="used by both"):

        class Second(NetworkError):
            """Another test-only error with the same code."""

            code = 2998


def test_out_of_range_and_undocumented_codes_are_refused() -> None:
    with pytest.raises(TypeError, match="outside the NETWORK range"):

        class Wrong(NetworkError):
            """In the wrong range."""

            code = 3999

    with pytest.raises(TypeError, match="documented"):

        class Silent(NetworkError):
            code = 2997


def test_severity_and_retriable_defaults_can_be_overridden_per_instance() -> None:
    class Refused(NetworkError):
        """Connection refused (test)."""

        code = 2996

    e = Refused("connection refused")
    assert e.severity is Severity.RECOVERABLE and e.retriable
    fatal = Refused("last OCA refused", severity=Severity.CRITICAL, retriable=False)
    assert fatal.severity is Severity.CRITICAL and not fatal.retriable
    assert Refused.severity is Severity.RECOVERABLE
    d = fatal.to_dict()
    assert d["code"] == 2996 and d["category"] == "NETWORK" and d["severity"] == "critical"


def test_errors_survive_pickling_with_typed_attributes() -> None:
    from mediacore.boxes import MalformedBox

    e = MalformedBox("bad", path="moof/traf", offset=12)
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is MalformedBox
    assert (back.path, back.offset, back.code, str(back)) == (e.path, e.offset, 5001, str(e))


@given(st.binary(min_size=16, max_size=16), st.text(min_size=8, max_size=40))
def test_secrets_never_reach_messages_or_reports(key: bytes, token: str) -> None:
    class KeyProblem(errors.DrmError):
        """Test-only error carrying secrets the right way."""

        code = 6998

        def __init__(self, kid: bytes, key: Secret[bytes], token: Secret[str]) -> None:
            super().__init__(f"problem with KID {kid.hex()}")
            self.kid = kid
            self.key = key
            self.token = token

    e = KeyProblem(b"\x01" * 16, Secret(key), Secret(token))
    rendered = " ".join([str(e), repr(e), repr(e.to_dict()), repr(e.attributes())])
    assert key.hex() not in rendered
    assert repr(key) not in rendered
    # a token that is part of the report's own vocabulary ('severity', 'critical') is
    # there whatever happens to the secret: only the rendering without secrets can tell
    clean = KeyProblem(b"\x01" * 16, Secret(b"k"), Secret("t"))
    baseline = " ".join([str(clean), repr(clean), repr(clean.to_dict()), repr(clean.attributes())])
    assert token not in rendered or token in baseline
    assert e.key.reveal() == key


def test_category_codes_do_not_collide_between_packages() -> None:
    classes = collect_error_classes()
    by_name: dict[str, int] = {}
    for code, cls in classes.items():
        qual = f"{cls.__module__}.{cls.__qualname__}"
        assert qual not in by_name, f"{qual} registered twice"
        by_name[qual] = code
    assert len(set(by_name.values())) == len(by_name)


def test_every_category_has_a_base_class() -> None:
    bases = {
        cls.category
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, SdkError) and cls is not SdkError
    }
    assert bases == set(Category)


def test_markdown_lists_code_and_class() -> None:
    md = render_markdown(collect_error_classes())
    assert re.search(r"\| 5001 \| CONTAINER \| `mediacore.boxes.MalformedBox`", md)
    importlib.import_module("mediacore.errordoc")
