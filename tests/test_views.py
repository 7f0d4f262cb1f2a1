"""Class-based views."""

from __future__ import annotations

import importlib
import types


def views_of(fw: types.ModuleType) -> types.ModuleType:
    return importlib.import_module(f"{fw.__name__}.views")


def test_method_view(app, fw) -> None:  # noqa: ANN001
    class Items(views_of(fw).MethodView):
        def get(self, n):
            return f"get {n}"

        def post(self, n):
            return f"post {n}", 201

    view = Items.as_view("items")
    app.add_url_rule("/items/<int:n>", view_func=view)
    client = app.test_client()
    assert view.view_class is Items
    assert app.view_functions["items"] is view
    assert Items.methods == {"GET", "POST"}
    assert client.get("/items/1").data == b"get 1"
    assert client.post("/items/2").status_code == 201
    assert client.head("/items/1").status_code == 200
    assert client.delete("/items/1").status_code == 405


def test_view_instances(app, fw) -> None:  # noqa: ANN001
    made = []

    class Counter(views_of(fw).View):
        init_every_request = False
        decorators = [lambda f: f]

        def __init__(self, start):
            made.append(self)
            self.start = start

        def dispatch_request(self):
            return str(self.start)

    app.add_url_rule("/", view_func=Counter.as_view("counter", 7))
    client = app.test_client()
    assert client.get("/").data == b"7" and client.get("/").data == b"7"
    assert len(made) == 1
    assert "get" in views_of(fw).http_method_funcs
