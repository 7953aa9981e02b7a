//! Demo content loaded into an empty database: three authors, a handful of
//! tags and a year's worth of posts, including one draft.
//!
//! The posts are spread across 2026 so that ordering, pagination and tag
//! filtering have something realistic to show. The security post carries raw
//! HTML on purpose, so the demo exercises the sanitizer as well as the
//! Markdown renderer.

/// A person who writes posts.
pub struct DemoAuthor {
    pub slug: &'static str,
    pub name: &'static str,
    pub bio: &'static str,
    pub avatar_url: Option<&'static str>,
}

/// A topic that posts can be filed under.
pub struct DemoTag {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

/// A blog post, published or draft.
pub struct DemoPost {
    pub slug: &'static str,
    pub title: &'static str,
    /// None: derived from the body.
    pub excerpt: Option<&'static str>,
    /// Author slug.
    pub author: &'static str,
    /// Tag slugs.
    pub tags: &'static [&'static str],
    /// RFC 3339 UTC, e.g. "2026-03-02T09:00:00Z"; None for a draft.
    pub published_at: Option<&'static str>,
    /// Markdown.
    pub body: &'static str,
}

pub const AUTHORS: &[DemoAuthor] = &[
    DemoAuthor {
        slug: "amara-okafor",
        name: "Amara Okafor",
        bio: "Full-stack developer turned mentor. Writes about careers in software and the habits that help people grow into them.",
        avatar_url: Some("https://example.com/avatars/amara-okafor.png"),
    },
    DemoAuthor {
        slug: "tomas-lindqvist",
        name: "Tomas Lindqvist",
        bio: "Back-end engineer who has spent a decade designing APIs and worrying about the ways they can be abused.",
        avatar_url: Some("https://example.com/avatars/tomas-lindqvist.png"),
    },
    DemoAuthor {
        slug: "priya-raman",
        name: "Priya Raman",
        bio: "Platform engineer. Happiest when a database is fast, a deploy is boring and a dashboard explains itself.",
        avatar_url: None,
    },
];

pub const TAGS: &[DemoTag] = &[
    DemoTag {
        slug: "backend",
        name: "Back end",
        description: "Server-side code, services and the systems behind an application.",
    },
    DemoTag {
        slug: "frontend",
        name: "Front end",
        description: "Everything that runs in the browser and shapes what users see.",
    },
    DemoTag {
        slug: "careers",
        name: "Careers",
        description: "Advice on getting into software engineering and growing once you are there.",
    },
    DemoTag {
        slug: "databases",
        name: "Databases",
        description: "Storing, querying and evolving data without losing sleep.",
    },
    DemoTag {
        slug: "security",
        name: "Security",
        description: "Keeping applications and the people who use them safe.",
    },
    DemoTag {
        slug: "devops",
        name: "DevOps",
        description: "Building, shipping and running software in production.",
    },
    DemoTag {
        slug: "apis",
        name: "APIs",
        description: "Designing interfaces that other programs can rely on.",
    },
    DemoTag {
        slug: "python",
        name: "Python",
        description: "Python as a language for web services and tooling.",
    },
];

pub const POSTS: &[DemoPost] = &[
    DemoPost {
        slug: "postgresql-indexing-basics",
        title: "PostgreSQL Indexing Basics",
        excerpt: Some(
            "What an index really costs, when a B-tree helps, and how to check that PostgreSQL is actually using it.",
        ),
        author: "priya-raman",
        tags: &["databases", "backend"],
        published_at: Some("2026-01-13T09:00:00Z"),
        body: r#"An index is a trade: reads get faster, writes get a little slower and the table takes more disk. Most of the time the trade is worth it, but only if the index matches the queries you really run.

## Start with the query

Pick a slow query from your logs and ask PostgreSQL how it plans to run it:

```sql
EXPLAIN ANALYZE
SELECT id, title FROM posts
WHERE author_id = 42
ORDER BY published_at DESC
LIMIT 10;
```

If the plan shows a sequential scan over a large table, an index on `(author_id, published_at)` lets the database jump straight to the right rows *and* read them in order.

## A few rules of thumb

- Put the column you filter on with equality first, and the column you sort or range over second.
- Partial indexes are great for skewed data, such as indexing only rows where `deleted_at IS NULL`.
- Every index must be updated on every write, so drop the ones nobody uses. The `pg_stat_user_indexes` view tells you which ones those are.

Measure before and after. An index you cannot show is helping is just extra weight."#,
    },
    DemoPost {
        slug: "designing-apis-people-enjoy-using",
        title: "Designing APIs People Enjoy Using",
        excerpt: None,
        author: "tomas-lindqvist",
        tags: &["apis", "backend"],
        published_at: Some("2026-02-03T09:00:00Z"),
        body: r#"A good API feels obvious in hindsight. Getting there takes deliberate choices, and most of them are about being predictable rather than clever.

Name things after what they are in your domain, not after the tables that store them. Clients should not need to know that a "post" is three joins behind the scenes.

Be consistent everywhere. If one endpoint returns timestamps in RFC 3339 and another returns Unix seconds, every client author has to learn both. Pick one convention for dates, casing, pagination and errors, then apply it without exceptions.

Make errors useful. A response that says *what* went wrong, *which* field caused it and *whether* retrying could help saves hours of guesswork on the other side.

Finally, treat the schema as a promise. Adding a field is cheap; removing or renaming one breaks someone. Deprecate first, watch the usage drop, and only then remove it."#,
    },
    DemoPost {
        slug: "python-on-the-back-end",
        title: "Python on the Back End",
        excerpt: Some(
            "Why Python keeps showing up in server-side stacks, and where it is not the right tool.",
        ),
        author: "amara-okafor",
        tags: &["python", "backend"],
        published_at: Some("2026-02-24T09:00:00Z"),
        body: r#"Python is often the first language people learn, and plenty of them never need to leave it to build serious web services.

Its strengths on the server are easy to list:

1. **Readable code.** New team members can follow a Django view or a FastAPI handler on their first day.
2. **Batteries included.** Frameworks such as [Django](https://www.djangoproject.com/) ship with an ORM, migrations, authentication and an admin site.
3. **A huge ecosystem.** Whatever you need to talk to, someone has probably written a client library for it.

It is not perfect. CPU-heavy work can be slow, and the dynamic type system lets mistakes slip through unless you lean on type hints and a checker. Many teams handle this by keeping Python for the parts of the system that change often and moving hot paths into a faster language once profiling shows they matter.

If you are starting out in back-end work, Python is a friendly place to learn the fundamentals that carry over to every other stack."#,
    },
    DemoPost {
        slug: "securing-web-apps-from-input-to-output",
        title: "Securing Web Apps from Input to Output",
        excerpt: Some(
            "Validate what comes in, escape what goes out, and never trust user-supplied HTML.",
        ),
        author: "tomas-lindqvist",
        tags: &["security", "backend"],
        published_at: Some("2026-03-17T09:00:00Z"),
        body: r#"Most web vulnerabilities come down to one mistake: treating data from a user as if it were code you wrote yourself.

## Validate on the way in

Check lengths, formats and ranges at the edge of your system, and reject anything that does not fit. Use parameterised queries everywhere so that a stray quote can never change the meaning of your SQL.

## Sanitize on the way out

User content that ends up in a page has to be made safe before the browser sees it. Waypost renders post bodies from Markdown, and Markdown allows raw HTML, so the rendered output is passed through a sanitizer that keeps only a short list of safe tags and attributes.

For example, a comment containing a script tag is rendered harmless. Suppose someone slipped this into a post:

<script>alert(1)</script>
<a href="javascript:alert(1)" onclick="x()">click</a>

Waypost strips the script element entirely, and the link keeps its text but loses both the `javascript:` URL and the `onclick` handler. What reaches the reader is the word "click" and nothing that can run.

## Defence in depth

Sanitizing is one layer. Add a Content Security Policy, mark session cookies `HttpOnly` and `Secure`, and keep dependencies patched. No single measure is enough on its own."#,
    },
    DemoPost {
        slug: "a-ci-cd-pipeline-you-can-trust",
        title: "A CI/CD Pipeline You Can Trust",
        excerpt: None,
        author: "priya-raman",
        tags: &["devops"],
        published_at: Some("2026-04-07T09:00:00Z"),
        body: r#"A pipeline earns trust when a green build reliably means "safe to ship" and a red one always points at a real problem.

Keep the fast checks first. Formatting, linting and unit tests should finish in a few minutes so that people wait for them instead of working around them. Slower integration tests can run in parallel once the quick ones pass.

Build the artifact once and promote that same artifact from staging to production. Rebuilding for each environment invites "it worked in staging" surprises.

Flaky tests are the fastest way to destroy confidence. When one appears, quarantine it and fix it within days, not months, or people will learn to click "retry" without reading the failure.

Finally, make rolling back as easy as rolling forward. A deploy you can undo in one step is a deploy you are not afraid to make on a Tuesday afternoon."#,
    },
    DemoPost {
        slug: "caching-without-regret",
        title: "Caching Without Regret",
        excerpt: Some(
            "Caches make slow things fast and correct things wrong. A few habits keep the second part under control.",
        ),
        author: "amara-okafor",
        tags: &["backend", "databases"],
        published_at: Some("2026-04-28T09:00:00Z"),
        body: r#"There is an old joke that the two hard problems in computing are naming things and cache invalidation. The joke survives because it is true.

Before adding a cache, make sure the slow path really is slow and that you have measured it. Sometimes a missing database index is the whole story.

When a cache is the right answer:

- Decide how stale the data may be, and set an expiry that matches. A home page can be a minute out of date; an account balance cannot.
- Use keys that include everything the result depends on, such as the user, the locale and the version of the data.
- Plan for the moment the cache is cold or unavailable. If every request hits the database at once after a restart, you have built a thundering herd.

Treat the cache as an optimisation, never as the source of truth, and it will stay a friend rather than a mystery."#,
    },
    DemoPost {
        slug: "observability-logs-metrics-and-traces",
        title: "Observability: Logs, Metrics and Traces",
        excerpt: None,
        author: "priya-raman",
        tags: &["devops", "backend"],
        published_at: Some("2026-05-19T09:00:00Z"),
        body: r#"When something breaks in production, the question is never "is it broken?" but "why, and since when?" Observability is about being able to answer that without deploying new code.

**Metrics** tell you that something is wrong. Request rate, error rate and latency per endpoint cover a surprising number of incidents.

**Logs** tell you what happened. Structured logs with a request ID on every line turn a wall of text into something you can filter and search.

**Traces** tell you where the time went. A single trace that follows a request through the gateway, the service and the database will often point straight at the slow query.

Start small: one dashboard with the three key metrics, request IDs in your logs, and tracing on your busiest path. Grow from there as real incidents show you what you were missing."#,
    },
    DemoPost {
        slug: "front-end-engineering-a-career-guide",
        title: "Front-End Engineering: A Career Guide",
        excerpt: Some(
            "What front-end engineers actually do, the skills that matter, and where the role can lead.",
        ),
        author: "amara-okafor",
        tags: &["frontend", "careers"],
        published_at: Some("2026-06-02T09:00:00Z"),
        body: r#"If you enjoy seeing your work the moment you save a file, front-end engineering might be the career for you. It is the part of software development closest to the people who use it, and that makes it both demanding and deeply satisfying.

## What the job involves

Front-end engineers build the parts of an application that run in the browser: layouts, forms, navigation, animations and everything that responds when someone clicks or types. They turn designs into working interfaces and make sure those interfaces stay fast, accessible and consistent across devices and screen sizes.

## Skills worth building

- **HTML, CSS and JavaScript.** These are the foundations, and it pays to know them well before reaching for a framework.
- **A component framework.** React, Vue, Svelte and Angular all share similar ideas about components and state, so learning one makes the others easier.
- **Accessibility.** Semantic markup, keyboard navigation and good contrast are not extras; they decide whether everyone can use what you build.
- **Performance.** Knowing how to keep bundles small and pages responsive on a cheap phone over a slow network sets strong engineers apart.
- **Working with APIs.** Almost every interface talks to a back end, so understanding HTTP, JSON and how to handle errors gracefully is essential.

## Why it is a good career

Every company with a website or an app needs people who can build interfaces that feel right. The feedback loop is short, the work is visible, and you collaborate closely with designers, product managers and back-end engineers, which gives you a broad view of how software gets made.

## Where it can lead

With experience, front-end engineers move into senior and staff roles, become specialists in design systems, accessibility or web performance, or grow into technical leadership. Some move across the stack entirely, and the habits you pick up on the front end, such as caring about the user and sweating the details, travel well.

Whichever way you go, start by building small projects and putting them online. Nothing teaches faster than shipping something real."#,
    },
    DemoPost {
        slug: "exploring-back-end-engineering-as-a-career",
        title: "Exploring Back-End Engineering as a Career",
        excerpt: Some(
            "What makes back-end engineering a rewarding career path: what the work involves, the skills you need and where it can take you.",
        ),
        author: "amara-okafor",
        tags: &["backend", "careers"],
        published_at: Some("2026-06-16T09:00:00Z"),
        body: r#"Thinking about a career in technology and not sure where to begin? This post is for you. We are going to take a close look at back-end engineering: what the work involves, why it makes a strong career choice, which skills you will need and how far it can take you once you have some experience behind you. By the end you should have a clear picture of why so many companies are searching for people who do this job well.

Many developers I meet find back-end work intimidating. They imagine endless servers, cryptic configuration files and databases that only a wizard could understand. I don't think that picture is accurate, and clearing up that misconception is the whole reason this post exists.

## Understanding back-end engineering

Back-end engineering is the work of building and maintaining the server side of a web application. It covers everything a visitor never sees directly: the logic that runs when a form is submitted, the code that decides how quickly a page can load and the systems that store, fetch and protect data. When building services that are dependable and able to grow with demand, back-end engineers reach for languages and frameworks built around Java, Python, Ruby and PHP.

Put simply, the back end is the engine room of every web application. The front end may be what people look at, but the back end is what makes it actually work.

## Why choose back-end engineering

1. **It sits at the heart of web development.** Back-end engineers lay the foundations and infrastructure that applications stand on. They write the business logic, the algorithms and the data-handling systems that let everything run smoothly. As more and more businesses depend on software to operate, demand for capable back-end engineers keeps rising.
2. **It rewards problem-solving and logical thinking.** The job suits a mind that enjoys puzzles. In a single week you might speed up a sluggish database query, work out how to keep sensitive data stored safely or choose an efficient algorithm for a heavy workload. Because there is always a fresh problem to untangle, the work rarely becomes dull.
3. **You get to work on scalability and performance.** Back-end engineers build systems that keep serving requests when traffic spikes and stay fast under heavy load. Knowing how to design an architecture that scales, and how to find and remove performance bottlenecks, is a skill the industry values highly.
4. **You never stop learning.** Technology changes constantly, and the back end changes with it. Staying effective means picking up new tools, frameworks and industry practices as they appear. That steady learning keeps your skills in demand and keeps the job interesting year after year.

## Skills you will need

You don't have to master everything at once, but these are the areas that come up again and again.

1. **Programming languages.** You need to be proficient in at least one language, for example Java, Python, Ruby or PHP; this part is essential. Knowing a framework built on top of it, such as Spring, Django or Laravel, gives you a real advantage.
2. **Databases.** Much of your time will be spent working with data, whether in relational databases like MySQL and PostgreSQL or in document stores like MongoDB. A solid grasp of SQL and of database design principles is what lets you store and retrieve that data efficiently.
3. **Web services and APIs.** A lot of back-end work means connecting applications to outside services and building APIs so that different systems can talk to one another reliably. Experience designing and implementing RESTful APIs is a big plus.
4. **Security fundamentals.** Protecting sensitive data is part of the job description. You need a firm understanding of security concepts and good practices so you can keep vulnerabilities out of the applications you build.

## Where it can take you

Back-end engineering leaves plenty of room to grow. Once you have built up experience and expertise, these are a few of the directions we think are well worth considering:

- **Senior back-end developer:** take charge of demanding back-end projects, mentor junior developers and have a real say in architectural decisions.
- **DevOps engineer:** pair your back-end skills with know-how in managing infrastructure and automating deployments, so that applications reach users smoothly and reliably.
- **Technical lead or architect:** own the design and implementation of large back-end systems, making sure they scale, perform well and stay secure.

## Wrapping up

Back-end engineering is a rewarding path for anyone who wants to build the backbone of the web. As organisations lean ever more heavily on technology, they need solutions that are robust and able to scale, and back-end engineers are the people who deliver them. Learn the core skills, keep up with new technology as it arrives, and you can go a long way in back-end engineering while helping to push web development forward.

Still weighing up the other side of the stack? In [our last post](/posts/front-end-engineering-a-career-guide) we covered front-end engineering in depth, so give it a read."#,
    },
    DemoPost {
        slug: "pagination-cursors-versus-offsets",
        title: "Pagination: Cursors Versus Offsets",
        excerpt: None,
        author: "tomas-lindqvist",
        tags: &["apis", "databases"],
        published_at: Some("2026-07-07T09:00:00Z"),
        body: r#"Sooner or later every list endpoint needs pagination, and the first design most of us reach for is `LIMIT` and `OFFSET`. It works, until it doesn't.

Offsets have two problems. The database still has to walk past every skipped row, so page 500 is much slower than page 1. And if new items arrive while someone is paging, rows shift between pages, so readers see duplicates or miss items entirely.

Cursor pagination fixes both. Instead of "skip 40 rows", the client says "give me the next 20 items after this one". The server encodes the sort key of the last item, for example its publication time plus its ID as a tie-breaker, into an opaque cursor. The next query becomes a simple range scan that an index can serve directly.

The cost is that clients can no longer jump to an arbitrary page number. For feeds, timelines and infinite scroll, that is rarely a loss, and the stable, fast results are worth it."#,
    },
    DemoPost {
        slug: "database-migrations-without-downtime",
        title: "Database Migrations Without Downtime",
        excerpt: Some(
            "Expand, migrate, contract: a simple pattern for changing a schema while the application keeps running.",
        ),
        author: "priya-raman",
        tags: &["databases", "devops"],
        published_at: Some("2026-08-04T09:00:00Z"),
        body: r#"Changing a schema is easy when nobody is using the database. In production, old and new versions of your code run side by side during every deploy, so each migration has to work with both.

The pattern that keeps this safe is **expand, migrate, contract**:

1. **Expand.** Add the new column or table without removing anything. Make it nullable or give it a default so existing code keeps working.
2. **Migrate.** Deploy code that writes to both the old and new shapes, then backfill existing rows in small batches to avoid long locks.
3. **Contract.** Once every reader uses the new shape, remove the old column in a later release.

It takes more deploys than a single `ALTER TABLE`, but each step is small, reversible and boring. Boring is exactly what you want from a migration."#,
    },
    DemoPost {
        slug: "rate-limiting-public-apis",
        title: "Rate Limiting Public APIs",
        excerpt: None,
        author: "tomas-lindqvist",
        tags: &["apis", "security"],
        published_at: Some("2026-09-01T09:00:00Z"),
        body: r#"Any endpoint reachable from the internet will eventually be called far more often than you planned, whether by a buggy client, an over-eager script or someone trying to guess passwords. A rate limiter decides how much is too much.

The token bucket is the usual starting point. Each client has a bucket that refills at a steady rate, and every request takes a token. Short bursts are allowed, sustained floods are not.

A few practical points:

- Limit by something meaningful: an API key or account when you have one, the IP address when you don't.
- Use stricter limits on expensive or sensitive operations such as login, search and password resets.
- Answer with `429 Too Many Requests` and a `Retry-After` header so well-behaved clients can back off gracefully.

Rate limiting will not stop a determined attacker alone, but it turns many small disasters into minor log entries."#,
    },
    DemoPost {
        slug: "notes-on-graphql-schema-design",
        title: "Notes on GraphQL Schema Design",
        excerpt: None,
        author: "tomas-lindqvist",
        tags: &["apis", "backend"],
        published_at: None,
        body: r#"Work in progress: a few notes on designing a GraphQL schema that ages well.

- Model the schema around what clients need to display, not around database tables.
- Prefer specific mutation inputs over generic "update anything" mutations.
- Make fields nullable when they can fail independently, so one broken resolver does not blank out a whole response.
- Use connections for lists that might grow, even if they are small today.

- Give every object a stable, globally unique ID so clients can cache and refetch it.
- Keep naming consistent: verbs for mutations, nouns for types, and the same casing everywhere.

The biggest lesson so far is that a schema is much harder to change than the code behind it. Once a field ships, some client somewhere will depend on it, so it is worth a short review before anything new goes public.

Still to write: error handling, versioning by deprecation, and query cost limits."#,
    },
];
