from bot.feeds.links import find_urls


def test_find_urls_in_forwarded_text() -> None:
    text = (
        "Look at this (https://news.example/a/1?x=2). Also http://b.example/c, "
        "again https://news.example/a/1?x=2 and ftp://no.example/x"
    )
    assert find_urls(text) == ["https://news.example/a/1?x=2", "http://b.example/c"]
    assert find_urls("no links here") == []
    assert len(find_urls(" ".join(f"https://e.example/{n}" for n in range(9)))) == 5
