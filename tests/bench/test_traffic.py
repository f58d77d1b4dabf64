"""bench/traffic.py's pure parts: the URL lists, the Zipf mix and wrk's output. (The runs
themselves need the benchmark database and wrk: ``make bench-traffic``.)"""

import random
from collections import Counter

from bench import traffic

WRK_OUTPUT = """Running 20s test @ http://127.0.0.1:8765
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.10ms    3.20ms  80.00ms   90.00%
  Latency Distribution
     50%   11.00ms
     75%   13.00ms
     90%   16.00ms
     99%   1.20s
  4000 requests in 20.00s, 40.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    200.00
Transfer/sec:      2.00MB
XCACHE hits=1000 misses=2497 snapshots=500 errors=3
"""


def test_wrk_output_is_read_with_p99_in_milliseconds_and_the_hit_ratio():
    run = traffic.parse_wrk("search", WRK_OUTPUT)
    assert (run.requests, run.rps, run.p99_ms) == (4000, 200.0, 1200.0)
    assert (run.hits, run.misses, run.snapshots, run.errors) == (1000, 2497, 500, 3)
    assert abs(run.hit_ratio - 1000 / 3997) < 1e-9
    assert abs(run.snapshot_ratio - 500 / 3997) < 1e-9


def test_zipf_favours_low_ranks_with_the_exponent_asked():
    rng = random.Random(1)
    zipf = traffic.Zipf(1000, s=1.1)
    draws = Counter(zipf.draw(rng) for _ in range(50_000))
    # P(rank 0) / P(rank 1) = 2^1.1 ≈ 2.14
    assert 1.9 < draws[0] / draws[1] < 2.4
    assert max(draws) < 1000 and draws[0] > draws[10] > draws[500]


def test_the_mix_follows_its_shares_and_is_the_same_for_a_seed():
    urls = {
        "proposal": [f"/p/{n}/" for n in range(500)],
        "search": [f"/proposals/?q={n}" for n in range(400)],
        "home": ["/"],
        "commitments": [f"/commitments/?status={n}" for n in range(50)],
        "dashboard": [f"/dashboard/?committee={n}" for n in range(50)],
    }
    sequence = traffic.zipf_mix(urls, 20_000, random.Random(7))
    assert sequence == traffic.zipf_mix(urls, 20_000, random.Random(7))
    assert sequence != traffic.zipf_mix(urls, 20_000, random.Random(8))
    kinds = Counter(
        "proposal"
        if url.startswith("/p/")
        else "search"
        if url.startswith("/proposals/")
        else "commitments"
        if url.startswith("/commitments/")
        else "dashboard"
        if url.startswith("/dashboard/")
        else "home"
        for url in sequence
    )
    for kind, share in traffic.MIX.items():
        assert abs(kinds[kind] / len(sequence) - share) < 0.02, kind
    # Popular proposal pages are not the lowest ids (the order is shuffled first).
    top = Counter(url for url in sequence if url.startswith("/p/")).most_common(1)[0][0]
    assert top != "/p/0/"


def test_sampled_queries_are_distinct_pieces_of_the_text():
    texts = ["关于加强5G基站建设的建议", "关于推进养老服务体系建设的提案", "第189号"]
    queries = traffic.sample_queries(texts, 30, random.Random(3))
    assert len(queries) == len(set(queries)) > 10
    assert all(2 <= len(query) <= 4 and any(query in text for text in texts) for query in queries)


def test_every_filter_and_scope_url_is_distinct():
    committees = ["linyi", "jinan"]
    sessions = [("linyi", 1), ("jinan", 2)]
    departments = [("linyi", 10), ("jinan", 11)]
    commitments = traffic.commitment_urls(committees, sessions, departments)
    dashboard = traffic.dashboard_urls(committees, sessions, departments)
    assert len(commitments) == len(set(commitments)) == 2 * 7 + 2 * 7 + 2 * 3
    assert len(dashboard) == len(set(dashboard)) == 1 + 2 + 2 + 2
    assert "/commitments/?committee=linyi&session=1&status=overdue" in commitments
    assert traffic.proposal_urls([("linyi", "15-5", "269-2")]) == ["/p/linyi/15-5/269-2/"]
