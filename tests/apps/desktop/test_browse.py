"""Login, home rows, search results and details render values and emit intents."""

from __future__ import annotations

from PySide6.QtCore import Qt

from apps.desktop.app_state import HomeState, Row, TitleCard, TitleDetails
from apps.desktop.browse import DetailsPage, HomePage, LoginPage, poster_pixmap

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
        view.itemClicked.emit(view.item(1))
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
    assert not page.resume_button.isVisibleTo(page)
