from tests.test_ui_pages import _client


def test_explore(api):
    c = _client(api, "adviseur.oost")
    for url in ["/ui/vacatures/1?min=150", "/ui/bestaatniet", "/ui/kandidaten/1", "/ui/instellingen"]:
        r = c.get(url)
        print(
            "URL",
            url,
            r.status_code,
            r.headers.get("content-type"),
            "Uitloggen" in r.text,
            r.text[:150].replace("\n", " "),
        )
    assert True
