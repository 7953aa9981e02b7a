#!/usr/bin/env python3
"""Check a "similar posts" evaluation corpus against its structural rules.

Usage: python3 check.py path/to/corpus.json

Prints summary statistics and exits non-zero if any rule is violated:
  - exactly 60 posts, 12 for each of the 5 topics
  - every body has 155..214 whitespace-separated words
  - every post has 2 or 3 distinct tags, each a lowercase slug
  - exactly 39 distinct tags overall
  - exactly 14 tags used by posts of more than one topic
  - `best-practices` on 25%..50% of posts, present in every topic
  - titles of 4..10 words
  - if any post carries "borrowed": exactly 15 such posts, 3 per topic
"""

import json
import re
import sys
from collections import Counter, defaultdict

TOPICS = ("databases", "frontend", "career", "security", "devops")
POSTS_PER_TOPIC = 12
TOTAL_POSTS = POSTS_PER_TOPIC * len(TOPICS)
MIN_WORDS, MAX_WORDS = 155, 214
MIN_TAGS, MAX_TAGS = 2, 3
DISTINCT_TAGS = 39
SHARED_TAGS = 14
BORROWED_TOTAL = 15
BORROWED_PER_TOPIC = 3
MIN_TITLE_WORDS, MAX_TITLE_WORDS = 4, 10
BEST_PRACTICES = "best-practices"
BEST_PRACTICES_SHARE = (0.25, 0.50)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED_KEYS = ("topic", "title", "tags", "body")


def main(argv):
    if len(argv) != 2:
        print("usage: check.py CORPUS.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as fh:
        posts = json.load(fh)

    errors = []
    if not isinstance(posts, list):
        print("FAIL: top-level JSON value must be an array", file=sys.stderr)
        return 1

    per_topic = Counter()
    word_counts = []
    tag_topics = defaultdict(set)
    borrowed = Counter()
    has_borrowed_field = False
    best_practices_topics = Counter()

    for i, post in enumerate(posts):
        label = f"post {i}"
        if not isinstance(post, dict):
            errors.append(f"{label}: not an object")
            continue
        missing = [k for k in REQUIRED_KEYS if k not in post]
        if missing:
            errors.append(f"{label}: missing keys {missing}")
            continue
        label = f"post {i} ({post['title']!r})"

        topic = post["topic"]
        per_topic[topic] += 1
        if topic not in TOPICS:
            errors.append(f"{label}: unknown topic {topic!r}")

        title_words = len(post["title"].split())
        if not MIN_TITLE_WORDS <= title_words <= MAX_TITLE_WORDS:
            errors.append(f"{label}: title has {title_words} words")

        words = len(post["body"].split())
        word_counts.append(words)
        if not MIN_WORDS <= words <= MAX_WORDS:
            errors.append(f"{label}: body has {words} words")

        tags = post["tags"]
        if not isinstance(tags, list) or len(set(tags)) != len(tags):
            errors.append(f"{label}: tags must be a list without duplicates")
            tags = list(dict.fromkeys(tags)) if isinstance(tags, list) else []
        if not MIN_TAGS <= len(tags) <= MAX_TAGS:
            errors.append(f"{label}: has {len(tags)} tags")
        for tag in tags:
            if not isinstance(tag, str) or not SLUG.match(tag):
                errors.append(f"{label}: tag {tag!r} is not a lowercase slug")
                continue
            tag_topics[tag].add(topic)
        if BEST_PRACTICES in tags:
            best_practices_topics[topic] += 1

        if "borrowed" in post:
            has_borrowed_field = True
            if post["borrowed"] is True:
                borrowed[topic] += 1

    shared = sorted(t for t, ts in tag_topics.items() if len(ts) > 1)
    n_posts = len(posts)
    bp_posts = sum(best_practices_topics.values())
    bp_share = bp_posts / n_posts if n_posts else 0.0

    print(f"posts: {n_posts}")
    for topic in TOPICS:
        print(f"  {topic:<10} {per_topic.get(topic, 0)}")
    for topic in sorted(set(per_topic) - set(TOPICS)):
        print(f"  {topic:<10} {per_topic[topic]} (unexpected)")
    if word_counts:
        print(f"body words: min {min(word_counts)}, max {max(word_counts)}, "
              f"mean {sum(word_counts) / len(word_counts):.1f}")
    print(f"distinct tags: {len(tag_topics)}")
    print(f"tags used by more than one topic: {len(shared)}")
    print(f"  {', '.join(shared)}")
    print(f"posts with {BEST_PRACTICES}: {bp_posts}/{n_posts} ({bp_share:.0%}); "
          + ", ".join(f"{t} {best_practices_topics.get(t, 0)}" for t in TOPICS))
    if has_borrowed_field:
        print(f"borrowed-vocabulary posts: {sum(borrowed.values())}; "
              + ", ".join(f"{t} {borrowed.get(t, 0)}" for t in TOPICS))

    if n_posts != TOTAL_POSTS:
        errors.append(f"expected {TOTAL_POSTS} posts, found {n_posts}")
    for topic in TOPICS:
        if per_topic.get(topic, 0) != POSTS_PER_TOPIC:
            errors.append(f"topic {topic}: expected {POSTS_PER_TOPIC} posts, "
                          f"found {per_topic.get(topic, 0)}")
    if len(tag_topics) != DISTINCT_TAGS:
        errors.append(f"expected {DISTINCT_TAGS} distinct tags, found {len(tag_topics)}")
    if len(shared) != SHARED_TAGS:
        errors.append(f"expected {SHARED_TAGS} shared tags, found {len(shared)}")
    lo, hi = BEST_PRACTICES_SHARE
    if not lo <= bp_share <= hi:
        errors.append(f"{BEST_PRACTICES} share {bp_share:.0%} outside {lo:.0%}..{hi:.0%}")
    for topic in TOPICS:
        if not best_practices_topics.get(topic):
            errors.append(f"topic {topic}: no post tagged {BEST_PRACTICES}")
    if has_borrowed_field:
        if sum(borrowed.values()) != BORROWED_TOTAL:
            errors.append(f"expected {BORROWED_TOTAL} borrowed posts, "
                          f"found {sum(borrowed.values())}")
        for topic in TOPICS:
            if borrowed.get(topic, 0) != BORROWED_PER_TOPIC:
                errors.append(f"topic {topic}: expected {BORROWED_PER_TOPIC} borrowed "
                              f"posts, found {borrowed.get(topic, 0)}")

    if errors:
        print(f"FAIL: {len(errors)} problem(s)", file=sys.stderr)
        for err in errors:
            print(f"  - {err}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
