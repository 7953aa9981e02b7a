//! Demo content for an empty database, and the synthetic data set the
//! benchmark measures against.

mod careers;
mod comments;
mod content;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use waypost_db::queries::{content as bundle_queries, post};
use waypost_db::{
    AuthorId, AuthorInsertForm, BundleCounts, BundlePost, ContentBundle, DbConn, DbError, DbPool,
    TagInsertForm,
};

use crate::authoring::{PostDraft, post_form};
use crate::{DomainError, DomainResult};

pub use comments::{CommentShape, commenter_email, seed_benchmark_comments};

/// What seeding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedOutcome {
    Seeded(BundleCounts),
    /// The database already holds posts; nothing was written.
    AlreadyHasContent,
}

fn parse_time(text: &str) -> DomainResult<NaiveDateTime> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.naive_utc())
        .map_err(|e| DomainError::bad_input("published_at", format!("{text:?}: {e}")))
}

/// The demo publication: the back-end career article, the front-end post it
/// refers to, and a dozen shorter posts by three authors.
pub fn demo_bundle(now: NaiveDateTime) -> DomainResult<ContentBundle> {
    let authors = content::AUTHORS
        .iter()
        .map(|a| AuthorInsertForm {
            slug: a.slug.to_owned(),
            name: a.name.to_owned(),
            bio: a.bio.to_owned(),
            avatar_url: a.avatar_url.map(str::to_owned),
            created_at: now,
            updated_at: now,
        })
        .collect();
    let tags = content::TAGS
        .iter()
        .map(|t| TagInsertForm {
            slug: t.slug.to_owned(),
            name: t.name.to_owned(),
            description: t.description.to_owned(),
            created_at: now,
        })
        .collect();
    let mut posts = Vec::with_capacity(content::POSTS.len());
    for p in content::POSTS {
        let published_at = p.published_at.map(parse_time).transpose()?;
        let draft = PostDraft {
            slug: p.slug.to_owned(),
            title: p.title.to_owned(),
            excerpt: p.excerpt.map(str::to_owned),
            body_markdown: p.body.to_owned(),
            published_at,
            // Resolved from `author_slug` when the bundle is inserted.
            author_id: AuthorId(0),
        };
        posts.push(BundlePost {
            form: post_form(draft, now),
            author_slug: p.author.to_owned(),
            tag_slugs: p.tags.iter().map(|s| (*s).to_owned()).collect(),
        });
    }
    Ok(ContentBundle {
        authors,
        tags,
        posts,
    })
}

/// Loads `bundle` unless the database already has posts. Two instances
/// racing on an empty database both try; the loser's transaction hits a
/// unique slug and rolls back, and it reports `AlreadyHasContent`.
pub async fn seed_if_empty(pool: &DbPool, bundle: ContentBundle) -> DomainResult<SeedOutcome> {
    let mut conn = pool.get_primary().await?;
    if post::count_all(&mut conn).await? > 0 {
        return Ok(SeedOutcome::AlreadyHasContent);
    }
    match bundle_queries::insert_bundle(&mut conn, bundle).await {
        Ok(counts) => {
            crate::similar::reindex_all(pool).await?;
            crate::search::dictionary::learn_all(pool).await?;
            Ok(SeedOutcome::Seeded(counts))
        }
        // Only a rival seeding explains a clash on an empty database; a clash
        // within the bundle itself is a bug and must not pass for a refusal.
        Err(err @ DbError::UniqueViolation { .. }) => {
            if post::count_all(&mut pool.get_primary().await?).await? > 0 {
                Ok(SeedOutcome::AlreadyHasContent)
            } else {
                Err(err.into())
            }
        }
        Err(err) => Err(err.into()),
    }
}

/// Seeds the demo publication into an empty database, and its career
/// guides into a database that has the demo posts but no skills yet. The
/// outcome speaks of the posts.
pub async fn seed_demo(pool: &DbPool) -> DomainResult<SeedOutcome> {
    let now = Utc::now().naive_utc();
    let outcome = seed_if_empty(pool, demo_bundle(now)?).await?;
    // Checked apart from the posts: a database seeded before guides
    // existed, or whose career seeding failed, gets them at the next start.
    let now = crate::clock::stored_instant(now);
    pool.get_primary()
        .await?
        .serialized(
            &[waypost_db::queries::career::DEMO_SEED_LOCK],
            async |conn| seed_careers(conn, now).await,
        )
        .await?;
    Ok(outcome)
}

fn demo_fault(what: &str, slug: &str) -> DomainError {
    tracing::error!(
        what,
        slug,
        "demo career data names something that is not there"
    );
    DomainError::Fault("the demo career data is inconsistent")
}

/// Writes the skills, roles, transitions and guides of the demo
/// publication, unless there are skills already or the demo posts and
/// authors the guides name are not there (a real publication's database).
/// Runs inside one transaction: a failure leaves no half of it behind, and
/// the next start tries again.
async fn seed_careers(conn: &mut DbConn, now: NaiveDateTime) -> DomainResult<()> {
    use waypost_db::queries::career as q;
    use waypost_db::{
        GuideForm, GuideSkill, GuideStatus, Importance, JobRoleForm, Seniority, SkillCategory,
        SkillForm, TransitionForm,
    };
    if q::count_skills(conn, None).await? > 0 {
        return Ok(());
    }
    // The guides' authors and posts, looked up before anything is written.
    let mut named = Vec::with_capacity(careers::GUIDES.len());
    for g in careers::GUIDES {
        let Some(author) = waypost_db::queries::author::by_slug(conn, g.author).await? else {
            tracing::info!(
                author = g.author,
                "no demo publication here: no demo careers"
            );
            return Ok(());
        };
        let mut posts = Vec::with_capacity(g.related_posts.len());
        for slug in g.related_posts {
            let Some(found) = post::by_slug(conn, slug).await? else {
                tracing::info!(post = slug, "no demo publication here: no demo careers");
                return Ok(());
            };
            posts.push(found.id);
        }
        named.push((author.id, posts));
    }
    let mut skills: Vec<(&str, waypost_db::SkillId)> = Vec::new();
    for s in careers::SKILLS {
        let form = SkillForm {
            slug: s.slug.to_owned(),
            name: s.name.to_owned(),
            category: SkillCategory::parse(s.category)
                .ok_or_else(|| demo_fault("category", s.category))?,
            description: s.description.to_owned(),
            updated_at: now,
        };
        let saved = q::save_skill(conn, None, &form, &[], now)
            .await?
            .ok_or_else(|| demo_fault("skill", s.slug))?;
        skills.push((s.slug, saved.id));
    }
    let skill = |slug: &str| {
        skills
            .iter()
            .find(|(s, _)| *s == slug)
            .map(|(_, id)| *id)
            .ok_or_else(|| demo_fault("skill", slug))
    };
    // A relation is listed once, on either side; each skill is saved with
    // all of its own, so that no later save drops an earlier one.
    for s in careers::SKILLS {
        let mut related = Vec::new();
        for other in careers::SKILLS {
            if s.related.contains(&other.slug) || other.related.contains(&s.slug) {
                related.push(skill(other.slug)?);
            }
        }
        if related.is_empty() {
            continue;
        }
        let form = SkillForm {
            slug: s.slug.to_owned(),
            name: s.name.to_owned(),
            category: SkillCategory::parse(s.category)
                .ok_or_else(|| demo_fault("category", s.category))?,
            description: s.description.to_owned(),
            updated_at: now,
        };
        q::save_skill(conn, Some(skill(s.slug)?), &form, &related, now).await?;
    }
    let mut roles: Vec<(&str, waypost_db::RoleId)> = Vec::new();
    for r in careers::ROLES {
        let seniority =
            Seniority::parse(r.seniority).ok_or_else(|| demo_fault("seniority", r.seniority))?;
        let responsibilities = serde_json::to_string(r.responsibilities)
            .map_err(|_| demo_fault("responsibilities", r.slug))?;
        let form = JobRoleForm {
            slug: r.slug.to_owned(),
            title: r.title.to_owned(),
            seniority,
            summary: r.summary.to_owned(),
            responsibilities,
            updated_at: now,
        };
        let required = r
            .requires
            .iter()
            .map(|(s, p)| Ok((skill(s)?, i32::from(*p))))
            .collect::<DomainResult<Vec<_>>>()?;
        let saved = q::save_role(conn, None, &form, &required, now)
            .await?
            .ok_or_else(|| demo_fault("role", r.slug))?;
        roles.push((r.slug, saved.id));
    }
    let role = |slug: &str| {
        roles
            .iter()
            .find(|(s, _)| *s == slug)
            .map(|(_, id)| *id)
            .ok_or_else(|| demo_fault("role", slug))
    };
    for t in careers::TRANSITIONS {
        let form = TransitionForm {
            from_role_id: role(t.from)?,
            to_role_id: role(t.to)?,
            months: i32::try_from(t.months).map_err(|_| demo_fault("months", t.from))?,
            note: t.note.to_owned(),
            updated_at: now,
        };
        q::save_transition(conn, None, &form, now).await?;
    }
    for (g, (author, posts)) in careers::GUIDES.iter().zip(named) {
        let sections: Vec<crate::career::Section> = g
            .sections
            .iter()
            .map(|(heading, markdown)| crate::career::Section {
                heading: (*heading).to_owned(),
                markdown: (*markdown).to_owned(),
                html: crate::render::markdown_to_html(markdown),
            })
            .collect();
        let reasons: Vec<crate::career::Reason> = g
            .reasons
            .iter()
            .map(|(title, text)| crate::career::Reason {
                title: (*title).to_owned(),
                text: (*text).to_owned(),
            })
            .collect();
        let published_at = g.published_at.map(parse_time).transpose()?;
        let form = GuideForm {
            slug: g.slug.to_owned(),
            title: g.title.to_owned(),
            field: g.field.to_owned(),
            summary: g.summary.to_owned(),
            search_text: crate::career::search_text(&sections),
            sections: serde_json::to_string(&sections)
                .map_err(|_| demo_fault("sections", g.slug))?,
            reasons: serde_json::to_string(&reasons).map_err(|_| demo_fault("reasons", g.slug))?,
            status: if published_at.is_some() {
                GuideStatus::Published
            } else {
                GuideStatus::Draft
            },
            author_id: author,
            published_at,
            updated_at: now,
        };
        let mut skills_of = Vec::new();
        for ((slug, importance, note), position) in g.skills.iter().zip(0..) {
            let importance = Importance::parse(importance)
                .ok_or_else(|| demo_fault("importance", importance))?;
            skills_of.push(GuideSkill {
                guide_id: waypost_db::GuideId(0),
                skill_id: skill(slug)?,
                importance,
                note: (*note).to_owned(),
                position,
            });
        }
        let lists = q::GuideLists {
            skills: Some(skills_of),
            roles: Some(
                g.roles
                    .iter()
                    .map(|r| role(r))
                    .collect::<DomainResult<_>>()?,
            ),
            posts: Some(posts),
        };
        q::save_guide(conn, None, &form, &lists, now).await?;
        if form.status == GuideStatus::Published {
            let texts = [form.title.as_str(), &form.summary, &form.search_text];
            crate::search::dictionary::learn(conn, &texts).await?;
        }
    }
    tracing::info!(
        skills = careers::SKILLS.len(),
        roles = careers::ROLES.len(),
        guides = careers::GUIDES.len(),
        "demo career guides loaded"
    );
    Ok(())
}

/// Size of the synthetic benchmark data set.
#[derive(Debug, Clone, Copy)]
pub struct BenchmarkShape {
    pub posts: usize,
    pub authors: usize,
    pub tags: usize,
    pub tags_per_post: usize,
}

impl Default for BenchmarkShape {
    fn default() -> Self {
        BenchmarkShape {
            posts: 10_000,
            authors: 50,
            tags: 200,
            tags_per_post: 5,
        }
    }
}

const BENCH_WORDS: &[&str] = &[
    "server", "query", "index", "latency", "cache", "schema", "deploy", "thread", "request",
    "database", "cursor", "replica", "token", "service", "queue", "metric", "trace", "pool",
];

/// Topics of the benchmark posts and words in each topic's vocabulary.
const BENCH_TOPICS: usize = 40;
const BENCH_TOPIC_WORDS: usize = 60;
const SYLLABLES: &[&str] = &[
    "ba", "ce", "di", "fo", "gu", "ka", "le", "mi", "no", "pu", "ra", "se", "ti", "vo", "zu",
];

/// Word `k` of benchmark topic `topic`: three syllables, distinct for
/// every (topic, k) pair below 15³.
pub fn topic_word(topic: usize, k: usize) -> String {
    let n = topic * BENCH_TOPIC_WORDS + k;
    let len = SYLLABLES.len();
    [n / (len * len), n / len, n]
        .iter()
        .map(|x| SYLLABLES[x % len])
        .collect()
}

/// A deterministic data set: post `i` by author `i % authors`, one post an
/// hour going back from `now`, with `tags_per_post` distinct tags each.
pub fn benchmark_bundle(shape: BenchmarkShape, now: NaiveDateTime) -> ContentBundle {
    let authors = (0..shape.authors)
        .map(|i| AuthorInsertForm {
            slug: format!("author-{i}"),
            name: format!("Author {i}"),
            bio: format!("Writes benchmark post number {i} and friends."),
            avatar_url: None,
            created_at: now,
            updated_at: now,
        })
        .collect();
    let tags = (0..shape.tags)
        .map(|i| TagInsertForm {
            slug: format!("tag-{i}"),
            name: format!("Tag {i}"),
            description: String::new(),
            created_at: now,
        })
        .collect();
    let posts = (0..shape.posts)
        .map(|i| {
            // Two parts in three from the post's topic, one from the words
            // every post uses: search and similar posts see the spread of
            // a real archive, where most words are shared by few posts.
            let topic = i % BENCH_TOPICS;
            let words: Vec<String> = (0..300)
                .map(|w| {
                    if w % 3 == 2 {
                        BENCH_WORDS[(i * 7 + w * 13) % BENCH_WORDS.len()].to_owned()
                    } else {
                        topic_word(topic, (i * 11 + w * 7) % BENCH_TOPIC_WORDS)
                    }
                })
                .collect();
            let body = format!(
                "## Part one\n\n{}\n\n## Part two\n\n{}",
                words[..150].join(" "),
                words[150..].join(" ")
            );
            let hours = i64::try_from(i).unwrap_or(i64::MAX);
            let draft = PostDraft {
                slug: format!("benchmark-post-{i}"),
                title: format!("Benchmark post {i}: {}", BENCH_WORDS[i % BENCH_WORDS.len()]),
                excerpt: None,
                body_markdown: body,
                published_at: Some(now - Duration::hours(hours)),
                author_id: AuthorId(0),
            };
            let tag_slugs = (0..shape.tags_per_post.min(shape.tags))
                .map(|k| format!("tag-{}", (i + k * 41) % shape.tags))
                .collect();
            BundlePost {
                form: post_form(draft, now),
                author_slug: format!("author-{}", i % shape.authors.max(1)),
                tag_slugs,
            }
        })
        .collect();
    ContentBundle {
        authors,
        tags,
        posts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn demo_content_is_consistent() {
        let bundle = demo_bundle(Utc::now().naive_utc()).unwrap();
        let authors: HashSet<_> = bundle.authors.iter().map(|a| a.slug.clone()).collect();
        let tags: HashSet<_> = bundle.tags.iter().map(|t| t.slug.clone()).collect();
        let slugs: HashSet<_> = bundle.posts.iter().map(|p| p.form.slug.clone()).collect();
        assert_eq!(slugs.len(), bundle.posts.len(), "post slugs are unique");
        assert!(bundle.posts.len() >= 12);
        for post in &bundle.posts {
            assert!(authors.contains(&post.author_slug), "{}", post.author_slug);
            for tag in &post.tag_slugs {
                assert!(tags.contains(tag), "{tag}");
            }
            assert!(
                !post.form.body_html.contains("<script"),
                "{}",
                post.form.slug
            );
        }
        let main = bundle
            .posts
            .iter()
            .find(|p| p.form.slug == "exploring-back-end-engineering-as-a-career")
            .unwrap();
        for fact in [
            "Java",
            "Python",
            "Ruby",
            "PHP",
            "Spring",
            "Django",
            "Laravel",
            "MySQL",
            "PostgreSQL",
            "MongoDB",
            "DevOps",
        ] {
            assert!(main.form.body_markdown.contains(fact), "{fact}");
        }
    }

    #[test]
    fn benchmark_bundle_has_the_requested_shape() {
        let shape = BenchmarkShape {
            posts: 300,
            authors: 7,
            tags: 20,
            tags_per_post: 5,
        };
        let bundle = benchmark_bundle(shape, Utc::now().naive_utc());
        assert_eq!(
            (bundle.posts.len(), bundle.authors.len(), bundle.tags.len()),
            (300, 7, 20)
        );
        for post in &bundle.posts {
            let distinct: HashSet<_> = post.tag_slugs.iter().collect();
            assert_eq!(distinct.len(), 5, "tags of a post are distinct");
        }
    }
}
