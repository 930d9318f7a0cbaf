"""Login, home rows, search results and details render values and emit intents."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from apps.desktop.app_state import HomeState, Row, TitleCard, TitleDetails
from apps.desktop.browse import DetailsPage, HomePage, LoginPage, poster_pixmap
from apps.desktop.session import poster_image
from fake_backend.packager.poster import render_poster

A = TitleCard("t-a", "Alpha", "First.", 2020, 8.0, "PG", ("drama",))
B = TitleCard("t-b", "Beta", "Second.", 2021, 8.0, "G", ("crime",))


def test_login_emits_credentials(qtbot):
    page = LoginPage()
    qtbot.addWidget(page)
    page.set_credentials("demo@example.com", "pw")
    with qtbot.waitSignal(page.login_requested, timeout=1000) as sig:
        qtbot.mouseClick(page.button, Qt.MouseButton.LeftButton)
    assert sig.args == ["demo@example.com", "pw"]
    page.set_status("Signing in…", busy=True)
    assert not page.button.isEnabled()


def test_home_rows_search_results_and_activation(qtbot):
    page = HomePage()
    qtbot.addWidget(page)
    page.set_home(HomeState((Row("trending", "Trending", (A, B)), Row("g", "Crime", (B,)))))
    assert [(t, v.title_ids()) for t, v in page.rows] == [
        ("Trending", ["t-a", "t-b"]),
        ("Crime", ["t-b"]),
    ]
    view = page.rows[0][1]
    with qtbot.waitSignal(page.title_activated, timeout=1000) as sig:
        qtbot.keyClick(view.tiles[1], Qt.Key.Key_Return)
    assert sig.args == ["t-b"]
    page.search.setText("alp")
    with qtbot.waitSignal(page.search_requested, timeout=1000) as sig:
        qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert sig.args == ["alp"]
    page.set_results("alp", (A,))
    assert len(page.rows) == 1 and page.rows[0][1].title_ids() == ["t-a"]
    page.set_results("zzz", ())
    assert page.status.text() == "No results"


def test_posters_differ_per_title():
    pa, pb = poster_pixmap(A).toImage(), poster_pixmap(B).toImage()
    assert pa.size() == pb.size() and pa.pixelColor(5, 5) != pb.pixelColor(5, 5)


def test_details_play_and_resume(qtbot):
    page = DetailsPage()
    qtbot.addWidget(page)
    page.set_details(TitleDetails(A, resume_at=3.2))
    assert page.resume_button.isVisibleTo(page) and page.resume_button.text() == "Resume from 0:03"
    with qtbot.waitSignal(page.play_requested, timeout=1000) as sig:
        page.resume_button.click()
    assert sig.args == ["t-a", 3.2]
    with qtbot.waitSignal(page.play_requested, timeout=1000) as sig:
        page.play_button.click()
    assert sig.args == ["t-a", 0.0]
    page.set_details(TitleDetails(B))
    assert not page.resume_button.isVisibleTo(page) and page.play_button.text() == "Play"


def test_a_fetched_poster_replaces_the_drawn_one_on_every_tile(qtbot):
    data = render_poster("t-b", "Beta")  # the backend's own artwork (PNG)
    box: list[QImage] = []
    t = threading.Thread(target=lambda: box.append(poster_image(data)))  # off the UI thread
    t.start()
    t.join(30)
    image = box[0]
    assert not image.isNull() and (image.width(), image.height()) == (300, 450)
    assert poster_image(b"not a picture").isNull()
    page = HomePage()
    qtbot.addWidget(page)
    page.set_home(HomeState((Row("trending", "Trending", (A, B)), Row("g", "Crime", (B,)))))
    drawn = page.rows[0][1].tile_pixmap(1).toImage()
    page.set_poster("t-b", image)
    for _title, view in page.rows:
        i = view.title_ids().index("t-b")
        tile = view.tile_pixmap(i)
        assert not tile.isNull() and view.tiles[i].fetched is True
        got = tile.toImage().pixelColor(tile.width() // 2, 2)
        want = image.pixelColor(image.width() // 2, 3)
        assert abs(got.red() - want.red()) + abs(got.green() - want.green()) < 24
    assert page.rows[0][1].tile_pixmap(1).toImage() != drawn
    assert page.rows[0][1].tiles[0].fetched is False  # t-a keeps its drawn one
    page.set_results("be", (B,))  # later rows reuse the fetched poster
    assert page.rows[0][1].tiles[0].fetched is True
    details = DetailsPage()
    qtbot.addWidget(details)
    details.posters = page.posters
    details.set_details(TitleDetails(B))
    assert details.poster.pixmap().height() == DetailsPage.BIG.height()


def test_poster_address_is_read_from_the_title():
    assert TitleCard.from_json({"id": "t", "poster_url": "/p/t.png"}).poster_url == "/p/t.png"
    assert TitleCard.from_json({"id": "t", "artwork": {"poster": "/a"}}).poster_url == "/a"
    assert TitleCard.from_json({"id": "t"}).poster_url is None


# -- posters from the discovery channel (real backend on loopback) -------------------------


def _signed_in_window(qtbot, backend):
    from apps.desktop.main_window import MainWindow
    from apps.desktop.session import Session

    session = Session(backend.gateway_url)
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    window.show_login(backend.demo_email, backend.demo_password)
    window.login_page.button.click()
    qtbot.waitUntil(lambda: bool(window.home_page.rows), timeout=10_000)
    return window


def _set_artwork_fault(backend, error_rate: float) -> None:
    import json
    import urllib.request

    req = urllib.request.Request(
        f"{backend.control_url}/control/v1/services/artwork/faults",
        json.dumps({"error_rate": error_rate}).encode(),
        {"Content-Type": "application/json", **backend.control_headers},
        method="PUT",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200


def _same_pixels(a: QImage, b: QImage) -> bool:
    fmt = QImage.Format.Format_RGB32
    return a.convertToFormat(fmt) == b.convertToFormat(fmt)


def test_posters_arrive_from_the_backend_in_rows_and_details(qtbot, backend):
    from apps.desktop.browse import POSTER, DetailsPage, scaled_poster

    window = _signed_in_window(qtbot, backend)
    try:
        row = window.home_page.rows[0][1]
        card = row.cards[0]
        assert card.id == "t-desk" and card.poster_url == "/discovery/v1/titles/t-desk/artwork"
        qtbot.waitUntil(lambda: row.tiles[0].fetched is True, timeout=15_000)
        # the PNG the backend served, decoded here: the tile shows exactly its pixels
        png, _etag = backend.discovery._posters[("t-desk", card.name)]
        served = QImage.fromData(png)
        assert (served.width(), served.height()) == (300, 450)
        tile = row.tile_pixmap(0).toImage()
        assert (tile.width(), tile.height()) == (POSTER.width(), POSTER.height())
        assert _same_pixels(tile, scaled_poster(served).toImage())
        assert not _same_pixels(tile, poster_pixmap(card).toImage())  # not the placeholder
        want = served.pixelColor(150, 4)
        got = tile.pixelColor(60, 1)
        assert abs(got.red() - want.red()) + abs(got.green() - want.green()) < 24
        # the details page shows it too, at its own size
        qtbot.keyClick(row.tiles[0], Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.pages.currentWidget() is window.details_page, timeout=5000)
        shown = window.details_page.poster.pixmap().toImage()
        assert window.details_page.poster.property("fetched") is True
        assert _same_pixels(shown, scaled_poster(served, DetailsPage.BIG).toImage())
        assert window.last_error is None
    finally:
        window.session.close()


def test_failing_artwork_route_keeps_the_placeholder_without_a_dialog(qtbot, backend):
    _set_artwork_fault(backend, 1.0)
    try:
        from apps.desktop.main_window import MainWindow
        from apps.desktop.session import Session

        session = Session(backend.gateway_url)
        window = MainWindow(session)
        qtbot.addWidget(window)
        window.show()
        window.show_login(backend.demo_email, backend.demo_password)
        with qtbot.waitSignal(session.poster_failed, timeout=15_000) as sig:
            window.login_page.button.click()
        assert sig.args == ["t-desk", 8200]  # ServiceError: the artwork route answered 503
        row = window.home_page.rows[0][1]
        assert row.tiles[0].fetched is False
        assert _same_pixels(row.tile_pixmap(0).toImage(), poster_pixmap(row.cards[0]).toImage())
        assert window.last_error is None
        # the discovery channel's breaker was not tripped by artwork: rows still load
        with qtbot.waitSignal(session.home_ready, timeout=10_000):
            session.load_home()
        assert window.home_page.rows and "failed" not in window.home_page.status.text()
    finally:
        _set_artwork_fault(backend, 0.0)
        window.session.close()
