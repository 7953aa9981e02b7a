//! Demo content for structured career-path guides: the skills a field of work
//! asks for, the roles it leads to and the usual moves between those roles.
//!
//! The back-end guide covers the same ground as the career article in
//! `content.rs`; the front-end guide is its companion. Roles and transitions
//! form a small directed graph, with a cycle (leads who go back to hands-on
//! work) and more than one route between some roles, so that a path planner
//! has real choices to make.

/// A skill a guide teaches or a role requires.
pub struct DemoSkill {
    pub slug: &'static str,
    pub name: &'static str,
    /// One of: "language", "framework", "database", "practice", "concept", "tool".
    pub category: &'static str,
    pub description: &'static str,
    /// Slugs of related skills (each relation listed once, on either side).
    pub related: &'static [&'static str],
}

/// A job a career leads to.
pub struct DemoRole {
    pub slug: &'static str,
    pub title: &'static str,
    /// One of: "entry", "mid", "senior", "lead", "principal".
    pub seniority: &'static str,
    pub summary: &'static str,
    pub responsibilities: &'static [&'static str],
    /// (skill slug, required proficiency 1..=5)
    pub requires: &'static [(&'static str, u8)],
}

/// A typical move from one role to another.
pub struct DemoTransition {
    pub from: &'static str,
    pub to: &'static str,
    /// Typical time the move takes, in months.
    pub months: u32,
    pub note: &'static str,
}

/// A structured career guide.
pub struct DemoGuide {
    pub slug: &'static str,
    pub title: &'static str,
    /// The field of work, e.g. "Back-end engineering".
    pub field: &'static str,
    pub summary: &'static str,
    /// Author slug (from content.rs AUTHORS).
    pub author: &'static str,
    /// RFC 3339 UTC; None for a draft.
    pub published_at: Option<&'static str>,
    /// (heading, Markdown body), in reading order.
    pub sections: &'static [(&'static str, &'static str)],
    /// (title, text), in order.
    pub reasons: &'static [(&'static str, &'static str)],
    /// (skill slug, importance: "essential" | "advantageous" | "optional", note)
    pub skills: &'static [(&'static str, &'static str, &'static str)],
    /// Role slugs the guide leads to, in order.
    pub roles: &'static [&'static str],
    /// Slugs of related published posts from content.rs.
    pub related_posts: &'static [&'static str],
}

pub const SKILLS: &[DemoSkill] = &[
    // Server-side languages.
    DemoSkill {
        slug: "python",
        name: "Python",
        category: "language",
        description: "A general-purpose language prized for readable code, used widely for web services, scripting and data work.",
        related: &[],
    },
    DemoSkill {
        slug: "java",
        name: "Java",
        category: "language",
        description: "A statically typed language on the JVM, common in large organisations and long-lived server systems.",
        related: &[],
    },
    DemoSkill {
        slug: "ruby",
        name: "Ruby",
        category: "language",
        description: "An expressive dynamic language, best known on the web through the Ruby on Rails framework.",
        related: &[],
    },
    DemoSkill {
        slug: "php",
        name: "PHP",
        category: "language",
        description: "A language made for the web that still powers a large share of sites, from small blogs to big platforms.",
        related: &[],
    },
    // Server-side frameworks.
    DemoSkill {
        slug: "spring",
        name: "Spring",
        category: "framework",
        description: "The leading Java framework for services, with modules for dependency injection, data access and security.",
        related: &["java"],
    },
    DemoSkill {
        slug: "django",
        name: "Django",
        category: "framework",
        description: "A batteries-included Python web framework with its own database layer, schema migrations, user accounts and admin pages.",
        related: &["python"],
    },
    DemoSkill {
        slug: "laravel",
        name: "Laravel",
        category: "framework",
        description: "A PHP framework with expressive routing, an ORM and job queues, built for getting web apps running quickly.",
        related: &["php"],
    },
    // Data.
    DemoSkill {
        slug: "sql",
        name: "SQL",
        category: "language",
        description: "The query language of relational databases: selecting, joining, aggregating and changing data.",
        related: &["database-design"],
    },
    DemoSkill {
        slug: "database-design",
        name: "Database design",
        category: "concept",
        description: "Shaping tables, keys, constraints and indexes so that data stays correct and queries stay fast.",
        related: &[],
    },
    DemoSkill {
        slug: "postgresql",
        name: "PostgreSQL",
        category: "database",
        description: "An open-source relational database known for standards compliance, rich data types and extensibility.",
        related: &["sql"],
    },
    DemoSkill {
        slug: "mysql",
        name: "MySQL",
        category: "database",
        description: "A popular open-source relational database, for years the default in web hosting stacks.",
        related: &["sql"],
    },
    DemoSkill {
        slug: "mongodb",
        name: "MongoDB",
        category: "database",
        description: "A document database storing flexible JSON-like records, handy when data does not fit neat tables.",
        related: &["database-design"],
    },
    // The web and its interfaces.
    DemoSkill {
        slug: "http-fundamentals",
        name: "HTTP fundamentals",
        category: "concept",
        description: "How requests, responses, methods, headers, status codes and cookies work between clients and servers.",
        related: &[],
    },
    DemoSkill {
        slug: "restful-api-design",
        name: "RESTful API design",
        category: "practice",
        description: "Designing HTTP interfaces around resources, with predictable URLs, methods, status codes and errors.",
        related: &["http-fundamentals"],
    },
    DemoSkill {
        slug: "security-fundamentals",
        name: "Security fundamentals",
        category: "concept",
        description: "Input validation, authentication, authorisation, handling secrets and the common classes of vulnerability.",
        related: &["http-fundamentals"],
    },
    // Building systems that grow.
    DemoSkill {
        slug: "algorithms-and-data-structures",
        name: "Algorithms and data structures",
        category: "concept",
        description: "Choosing the right structure and algorithm for a job, and reasoning about how cost grows with input size.",
        related: &[],
    },
    DemoSkill {
        slug: "caching",
        name: "Caching",
        category: "concept",
        description: "Keeping copies of expensive results close at hand, and deciding when they have to be thrown away.",
        related: &["http-fundamentals"],
    },
    DemoSkill {
        slug: "scalable-system-design",
        name: "Scalable system design",
        category: "concept",
        description: "Building systems that keep up as load grows: stateless services, queues, replication and partitioning.",
        related: &[
            "software-architecture",
            "caching",
            "algorithms-and-data-structures",
        ],
    },
    DemoSkill {
        slug: "software-architecture",
        name: "Software architecture",
        category: "concept",
        description: "Dividing a system into parts with clear responsibilities, and recording the trade-offs behind the split.",
        related: &[],
    },
    // Everyday engineering practice.
    DemoSkill {
        slug: "git",
        name: "Git",
        category: "tool",
        description: "Distributed version control: branches, commits, merges and reviewing one another's changes.",
        related: &["ci-cd"],
    },
    DemoSkill {
        slug: "automated-testing",
        name: "Automated testing",
        category: "practice",
        description: "Unit, integration and end-to-end tests that catch regressions before users run into them.",
        related: &["ci-cd"],
    },
    DemoSkill {
        slug: "mentoring",
        name: "Mentoring",
        category: "practice",
        description: "Helping other engineers grow through pairing, thoughtful code review, feedback and shared context.",
        related: &[],
    },
    // Operations.
    DemoSkill {
        slug: "ci-cd",
        name: "CI/CD",
        category: "practice",
        description: "Pipelines that build, test and deploy every change automatically and the same way every time.",
        related: &["containers"],
    },
    DemoSkill {
        slug: "containers",
        name: "Containers",
        category: "tool",
        description: "Packaging an application and its dependencies into images, such as Docker images, that run alike everywhere.",
        related: &["linux", "infrastructure-as-code"],
    },
    DemoSkill {
        slug: "infrastructure-as-code",
        name: "Infrastructure as code",
        category: "practice",
        description: "Describing servers, networks and managed services in versioned files instead of configuring them by hand.",
        related: &[],
    },
    DemoSkill {
        slug: "linux",
        name: "Linux",
        category: "tool",
        description: "The operating system most servers run: shells, processes, permissions, networking and system logs.",
        related: &[],
    },
    DemoSkill {
        slug: "observability",
        name: "Observability",
        category: "practice",
        description: "Metrics, structured logs and traces that explain what a running system is doing, and why.",
        related: &["scalable-system-design"],
    },
    // The browser.
    DemoSkill {
        slug: "html",
        name: "HTML",
        category: "language",
        description: "The markup that gives a page its structure and meaning, from headings and lists to forms.",
        related: &[],
    },
    DemoSkill {
        slug: "css",
        name: "CSS",
        category: "language",
        description: "The language of layout and presentation: the cascade, flexbox, grid and custom properties.",
        related: &["html"],
    },
    DemoSkill {
        slug: "javascript",
        name: "JavaScript",
        category: "language",
        description: "The language of the browser, driving interactivity and data fetching, and most front-end tooling besides.",
        related: &[],
    },
    DemoSkill {
        slug: "typescript",
        name: "TypeScript",
        category: "language",
        description: "JavaScript with static types, which catches whole classes of mistakes before the code ever runs.",
        related: &["javascript"],
    },
    DemoSkill {
        slug: "react",
        name: "React",
        category: "framework",
        description: "A library for composing interfaces out of small components that render from state.",
        related: &["javascript", "typescript"],
    },
    DemoSkill {
        slug: "accessibility",
        name: "Accessibility",
        category: "practice",
        description: "Making interfaces usable by everyone: semantic markup, keyboard support, contrast and screen-reader testing.",
        related: &["html"],
    },
    DemoSkill {
        slug: "responsive-design",
        name: "Responsive design",
        category: "practice",
        description: "Layouts that adapt gracefully to any screen, from a small phone to a wide desktop monitor.",
        related: &["css"],
    },
    DemoSkill {
        slug: "web-performance",
        name: "Web performance",
        category: "practice",
        description: "Keeping pages quick to load and to respond: lean bundles, efficient rendering and measured budgets.",
        related: &["javascript", "caching"],
    },
];

pub const ROLES: &[DemoRole] = &[
    DemoRole {
        slug: "back-end-developer",
        title: "Back-end developer",
        seniority: "entry",
        summary: "Builds and maintains server-side features, such as endpoints, business rules and the queries behind them, usually inside an established codebase.",
        responsibilities: &[
            "Implement API endpoints and the business logic behind them",
            "Write and tune queries, and add schema migrations with review",
            "Cover new code with automated tests and fix the defects they reveal",
        ],
        requires: &[
            ("python", 3),
            ("sql", 3),
            ("database-design", 2),
            ("http-fundamentals", 3),
            ("restful-api-design", 2),
            ("security-fundamentals", 2),
            ("git", 3),
            ("automated-testing", 2),
        ],
    },
    DemoRole {
        slug: "senior-back-end-developer",
        title: "Senior back-end developer",
        seniority: "senior",
        summary: "Owns demanding back-end projects from design to production, coaches less experienced developers and has a real voice in architecture.",
        responsibilities: &[
            "Lead complex back-end projects from proposal to rollout",
            "Mentor junior developers through pairing and code review",
            "Contribute to architectural decisions and the technical roadmap",
        ],
        requires: &[
            ("python", 4),
            ("sql", 4),
            ("database-design", 4),
            ("restful-api-design", 4),
            ("security-fundamentals", 4),
            ("scalable-system-design", 3),
            ("caching", 3),
            ("mentoring", 3),
        ],
    },
    DemoRole {
        slug: "devops-engineer",
        title: "DevOps engineer",
        seniority: "senior",
        summary: "Pairs development experience with infrastructure and delivery automation, so that software reaches users smoothly and stays healthy once it is there.",
        responsibilities: &[
            "Build and maintain the pipelines that test and deploy every change",
            "Manage infrastructure as code and keep environments reproducible",
            "Set up monitoring and alerting, and take part in incident response",
        ],
        requires: &[
            ("ci-cd", 4),
            ("containers", 4),
            ("infrastructure-as-code", 3),
            ("linux", 4),
            ("observability", 4),
            ("python", 3),
            ("security-fundamentals", 3),
            ("git", 4),
        ],
    },
    DemoRole {
        slug: "technical-lead",
        title: "Technical lead / architect",
        seniority: "lead",
        summary: "Shapes the design of large systems and guides the engineers who build them, keeping scalability, performance and security in view throughout.",
        responsibilities: &[
            "Design large-scale systems and document the trade-offs behind them",
            "Set technical direction and review significant changes",
            "Make sure systems meet their scalability, performance and security goals",
            "Grow the engineers on the team",
        ],
        requires: &[
            ("software-architecture", 5),
            ("scalable-system-design", 5),
            ("security-fundamentals", 4),
            ("database-design", 4),
            ("restful-api-design", 4),
            ("caching", 4),
            ("observability", 3),
            ("mentoring", 4),
        ],
    },
    DemoRole {
        slug: "principal-engineer",
        title: "Principal engineer",
        seniority: "principal",
        summary: "Sets technical strategy across several teams and takes on the problems nobody else has managed to pin down.",
        responsibilities: &[
            "Define long-term architecture across multiple systems and teams",
            "Lead the response to the hardest technical problems and incidents",
            "Develop the next generation of technical leads",
        ],
        requires: &[
            ("software-architecture", 5),
            ("scalable-system-design", 5),
            ("security-fundamentals", 5),
            ("algorithms-and-data-structures", 4),
            ("database-design", 4),
            ("restful-api-design", 4),
            ("observability", 4),
            ("mentoring", 5),
        ],
    },
    DemoRole {
        slug: "front-end-developer",
        title: "Front-end developer",
        seniority: "entry",
        summary: "Turns designs into working, accessible interfaces in the browser and connects them to the APIs behind them.",
        responsibilities: &[
            "Build pages and components from designs",
            "Connect the interface to back-end APIs, handling loading and error states",
            "Check that features work with a keyboard, with a screen reader and on small screens",
        ],
        requires: &[
            ("html", 3),
            ("css", 3),
            ("javascript", 3),
            ("react", 2),
            ("accessibility", 2),
            ("responsive-design", 3),
            ("http-fundamentals", 2),
            ("git", 3),
        ],
    },
    DemoRole {
        slug: "senior-front-end-developer",
        title: "Senior front-end developer",
        seniority: "senior",
        summary: "Owns the architecture of a front-end codebase, keeps it fast and accessible, and coaches the developers who work in it.",
        responsibilities: &[
            "Shape component architecture, state management and shared design-system pieces",
            "Set performance and accessibility budgets and hold the line on them",
            "Mentor developers and review front-end changes",
        ],
        requires: &[
            ("javascript", 5),
            ("typescript", 4),
            ("react", 4),
            ("css", 4),
            ("accessibility", 4),
            ("web-performance", 4),
            ("automated-testing", 3),
            ("mentoring", 3),
        ],
    },
];

pub const TRANSITIONS: &[DemoTransition] = &[
    DemoTransition {
        from: "back-end-developer",
        to: "senior-back-end-developer",
        months: 30,
        note: "The usual step up: own larger projects end to end and start reviewing and mentoring.",
    },
    DemoTransition {
        from: "back-end-developer",
        to: "devops-engineer",
        months: 42,
        note: "Possible straight from a junior role, but learning infrastructure, pipelines and on-call duty from scratch takes longer.",
    },
    DemoTransition {
        from: "senior-back-end-developer",
        to: "technical-lead",
        months: 24,
        note: "Take on design ownership for a whole system and for the people who build it.",
    },
    DemoTransition {
        from: "senior-back-end-developer",
        to: "devops-engineer",
        months: 9,
        note: "A sideways step for seniors who enjoy deployment, infrastructure and keeping production healthy.",
    },
    DemoTransition {
        from: "devops-engineer",
        to: "technical-lead",
        months: 30,
        note: "Platform experience makes for leads who design with operations in mind from the start.",
    },
    DemoTransition {
        from: "technical-lead",
        to: "senior-back-end-developer",
        months: 3,
        note: "Back to hands-on work: some leads return to writing code full time, and settle in quickly.",
    },
    DemoTransition {
        from: "technical-lead",
        to: "principal-engineer",
        months: 36,
        note: "Broaden from one system to the technical strategy of several teams.",
    },
    DemoTransition {
        from: "front-end-developer",
        to: "senior-front-end-developer",
        months: 30,
        note: "Grow from building components to owning the architecture, speed and accessibility of the whole front end.",
    },
    DemoTransition {
        from: "front-end-developer",
        to: "back-end-developer",
        months: 9,
        note: "Early on, switching sides of the stack is mostly a matter of learning a server language and SQL.",
    },
    DemoTransition {
        from: "senior-front-end-developer",
        to: "technical-lead",
        months: 24,
        note: "Lead a product area across the stack, leaning on back-end colleagues for server-side depth.",
    },
    DemoTransition {
        from: "senior-front-end-developer",
        to: "senior-back-end-developer",
        months: 12,
        note: "A cross move: engineering habits carry over, but databases, APIs and server security need about a year of focused work.",
    },
];

pub const GUIDES: &[DemoGuide] = &[
    DemoGuide {
        slug: "back-end-engineering",
        title: "Back-end engineering",
        field: "Back-end engineering",
        summary: "What back-end engineers do, which skills to build first, and the roles the work can lead to, from senior developer to DevOps and technical leadership.",
        author: "amara-okafor",
        published_at: Some("2026-06-23T09:00:00Z"),
        sections: &[
            (
                "What back-end engineering is",
                r#"Back-end engineers build and maintain the code that runs on a web application's servers. It is the part nobody sees, yet it decides what an application can do, how quickly it answers and what happens to the data people hand over.

A typical week might include:

- writing the logic behind a new API endpoint,
- reshaping a database table or speeding up a slow query,
- making sure sensitive records are stored and handled safely.

The work happens in languages such as Java, Python, Ruby and PHP, usually with a framework on top. If the front end is the shop window, the back end is the machinery behind it that keeps everything running.

The field has a reputation for being hard to get into. It does not deserve it: the fundamentals can be learned one at a time, and this guide puts them in a sensible order."#,
            ),
            (
                "The skills that matter",
                r#"The skills fall into four groups. Nobody expects all of them on day one.

1. **A language and a framework.** Get properly comfortable with one language. Python and Java are the most common starting points, with Ruby and PHP as solid alternatives. Knowing a framework built on your language, such as Django, Spring or Laravel, puts you ahead.
2. **Data.** Nearly every back-end task touches a database, whether relational like MySQL and PostgreSQL or document-oriented like MongoDB. SQL and sound database design are what keep storage and retrieval efficient, so treat them as non-negotiable.
3. **APIs and web services.** Back ends constantly talk to other systems, calling external services and exposing interfaces of their own. Being able to design and build a clean RESTful API is a real advantage.
4. **Security.** You will be trusted with other people's data, and a firm grasp of security principles is what keeps vulnerabilities out of your code. [Securing Web Apps from Input to Output](/posts/securing-web-apps-from-input-to-output) is a good place to start."#,
            ),
            (
                "How the career grows",
                r#"Experience opens several doors. Three of the most common are:

- **Senior back-end developer:** run the hardest back-end projects, coach junior colleagues and help steer the architecture.
- **DevOps engineer:** add infrastructure management and deployment automation to your back-end skills, and own the road from commit to production.
- **Technical lead or architect:** design large back-end systems and answer for how well they scale, how fast they run and how safe they are.

None of these is a one-way street. Leads often return to hands-on senior work for a while, and time spent in DevOps is a strong grounding for architecture later on."#,
            ),
            (
                "Keep reading",
                r#"This guide is the structured companion to [Exploring Back-End Engineering as a Career](/posts/exploring-back-end-engineering-as-a-career). For a closer look at individual skills, try:

- [Python on the Back End](/posts/python-on-the-back-end)
- [PostgreSQL Indexing Basics](/posts/postgresql-indexing-basics)
- [Designing APIs People Enjoy Using](/posts/designing-apis-people-enjoy-using)
- [Caching Without Regret](/posts/caching-without-regret)

If the browser side appeals more, the front-end engineering guide covers that path."#,
            ),
        ],
        reasons: &[
            (
                "A central part of every web application",
                "Everything an application does with its data passes through the back end: the business rules, the algorithms and the storage that make features work. The more organisations run on software, the more they need people who can build that foundation well.",
            ),
            (
                "Problems worth thinking about",
                "The job is a steady stream of puzzles: a query that must get faster, data that has to stay protected, an algorithm that needs to cope with ten times the input. If you like reasoning a problem through step by step, the work stays absorbing.",
            ),
            (
                "Building for scale and speed",
                "Back-end engineers make systems that stay responsive when traffic surges. Designing architectures that grow with demand and hunting down performance bottlenecks are skills the whole industry prizes.",
            ),
            (
                "A career of continuous learning",
                "Languages, frameworks and good practice keep moving, and back-end engineers move with them. Keeping up is part of the job, and it keeps both your skills and your curiosity fresh.",
            ),
        ],
        skills: &[
            (
                "python",
                "essential",
                "You need one language learned deeply. Python is marked essential as one of the two most common first choices; Java is the other, and either one is enough to start.",
            ),
            (
                "java",
                "essential",
                "The other common first choice, especially in larger companies. Learn Python or Java well; you do not need both at once.",
            ),
            (
                "php",
                "advantageous",
                "A perfectly good main language that still runs much of the web. Marked advantageous rather than essential only because this guide builds on Python or Java.",
            ),
            (
                "ruby",
                "optional",
                "Pleasant to write and with a strong web tradition. Worth learning if a team you want to join uses it; otherwise optional.",
            ),
            (
                "django",
                "advantageous",
                "The natural next step if your main language is Python.",
            ),
            (
                "spring",
                "advantageous",
                "The natural next step if your main language is Java.",
            ),
            (
                "laravel",
                "advantageous",
                "The natural next step if you work in PHP.",
            ),
            (
                "sql",
                "essential",
                "Needed whichever database you end up with, even when an ORM writes most of the queries.",
            ),
            (
                "database-design",
                "essential",
                "Good schemas keep storage and retrieval efficient; poor ones haunt a project for years.",
            ),
            (
                "postgresql",
                "advantageous",
                "A strong default relational database to learn on.",
            ),
            (
                "mysql",
                "advantageous",
                "Common in hosting stacks and older applications; most of what you know from PostgreSQL carries over.",
            ),
            (
                "mongodb",
                "optional",
                "Learn it when a project needs flexible documents; relational skills come first.",
            ),
            (
                "http-fundamentals",
                "essential",
                "Every request your code handles arrives over HTTP, so know its methods, status codes and headers.",
            ),
            (
                "restful-api-design",
                "advantageous",
                "Counted as a bonus for a first job, but most back-end roles expect it within the first year or so.",
            ),
            (
                "security-fundamentals",
                "essential",
                "You are trusted with other people's data; validation, authentication and the common attacks are part of the job.",
            ),
            (
                "algorithms-and-data-structures",
                "advantageous",
                "Helps you pick efficient approaches once data volumes grow.",
            ),
            (
                "caching",
                "advantageous",
                "The first tool for performance under heavy load, and a source of subtle bugs when stale copies outlive the data they mirror.",
            ),
            (
                "scalable-system-design",
                "advantageous",
                "Matters more with every step up: designing for heavy traffic is what senior and lead roles are judged on.",
            ),
            (
                "git",
                "essential",
                "All professional work flows through version control and code review.",
            ),
            (
                "automated-testing",
                "advantageous",
                "Tests let you change server code with confidence instead of crossed fingers.",
            ),
        ],
        roles: &[
            "back-end-developer",
            "senior-back-end-developer",
            "devops-engineer",
            "technical-lead",
        ],
        related_posts: &[
            "exploring-back-end-engineering-as-a-career",
            "python-on-the-back-end",
            "postgresql-indexing-basics",
            "designing-apis-people-enjoy-using",
            "securing-web-apps-from-input-to-output",
            "caching-without-regret",
            "a-ci-cd-pipeline-you-can-trust",
        ],
    },
    DemoGuide {
        slug: "front-end-engineering",
        title: "Front-end engineering",
        field: "Front-end engineering",
        summary: "What front-end engineers build, the skills that set good ones apart, and where the work can take you, including across the stack.",
        author: "amara-okafor",
        published_at: Some("2026-06-09T09:00:00Z"),
        sections: &[
            (
                "What front-end engineering is",
                r#"Front-end engineers build everything that runs in the browser: page layouts, forms, navigation and the interactions that respond to each click and keystroke. They take a design and make it real, then keep it quick, accessible and consistent on whatever device someone happens to use.

It is the part of software closest to the people using it, which is both its hardest demand and its biggest reward."#,
            ),
            (
                "The skills that matter",
                r#"1. **The web platform.** HTML for structure, CSS for layout and JavaScript for behaviour. Learn them properly before leaning on a framework.
2. **A component framework.** React is the most widely used, and TypeScript on top of it catches mistakes early. The ideas transfer to Vue, Svelte and Angular.
3. **Accessibility and responsive design.** Semantic markup, keyboard support, good contrast and layouts that adapt to any screen mean nobody is locked out of your work.
4. **Performance.** Lean bundles and fast rendering matter most for someone on a cheap phone with a weak signal.
5. **Talking to the back end.** HTTP, JSON and graceful error handling. [Designing APIs People Enjoy Using](/posts/designing-apis-people-enjoy-using) shows the view from the other side."#,
            ),
            (
                "How the career grows",
                r#"- **Senior front-end developer:** own the architecture of a front-end codebase, its speed and its accessibility, and coach the people working in it.
- **Technical lead:** lead a product area across the whole stack.
- **Across the stack:** plenty of front-end engineers move to back-end work, and the habit of caring about users and details goes with them. [Exploring Back-End Engineering as a Career](/posts/exploring-back-end-engineering-as-a-career) describes what is waiting on the other side.

Wherever you aim, shipping small projects of your own will teach you more than any course. The original [career guide](/posts/front-end-engineering-a-career-guide) has more on getting started."#,
            ),
        ],
        reasons: &[
            (
                "Work you can see",
                "What you build is what people look at and touch. Few jobs in software let you show a friend the result of an afternoon's work.",
            ),
            (
                "A short feedback loop",
                "Save a file and the change is on screen a moment later. Fast iteration makes learning quick and experiments cheap.",
            ),
            (
                "Demand in every industry",
                "Shops, banks, hospitals and charities all run on interfaces that have to feel right, so front-end skills are wanted almost everywhere.",
            ),
            (
                "A broad view of product work",
                "Sitting between design, product and the back-end team, front-end engineers see how all the pieces of a product fit together.",
            ),
        ],
        skills: &[
            (
                "html",
                "essential",
                "Semantic structure is the base that accessibility and search visibility build on.",
            ),
            (
                "css",
                "essential",
                "Layout with flexbox and grid, and enough of the cascade to stop fighting it.",
            ),
            (
                "javascript",
                "essential",
                "Know the language itself well, not just one framework's way of using it.",
            ),
            (
                "typescript",
                "advantageous",
                "Most larger front-end codebases use it; pick it up once JavaScript feels comfortable.",
            ),
            (
                "react",
                "advantageous",
                "The component framework you will meet most often, and its ideas transfer to the rest.",
            ),
            (
                "accessibility",
                "essential",
                "Not an add-on: without it, some of your users simply cannot get in.",
            ),
            (
                "responsive-design",
                "essential",
                "Interfaces have to work from a small phone to a wide monitor.",
            ),
            (
                "web-performance",
                "advantageous",
                "What sets strong engineers apart, above all for people on slow devices and networks.",
            ),
            (
                "http-fundamentals",
                "essential",
                "Almost every interface fetches data, so understand requests, status codes and caching headers.",
            ),
            (
                "restful-api-design",
                "optional",
                "Useful for reviewing the APIs you consume, and a head start on a later move across the stack.",
            ),
            (
                "git",
                "essential",
                "Every team works through branches and reviewed changes.",
            ),
            (
                "automated-testing",
                "advantageous",
                "Component and end-to-end tests keep large refactors safe.",
            ),
        ],
        roles: &[
            "front-end-developer",
            "senior-front-end-developer",
            "technical-lead",
        ],
        related_posts: &[
            "front-end-engineering-a-career-guide",
            "designing-apis-people-enjoy-using",
            "exploring-back-end-engineering-as-a-career",
        ],
    },
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::content::{AUTHORS, POSTS};
    use super::*;
    use std::collections::HashSet;

    const CATEGORIES: &[&str] = &[
        "language",
        "framework",
        "database",
        "practice",
        "concept",
        "tool",
    ];
    const SENIORITIES: &[&str] = &["entry", "mid", "senior", "lead", "principal"];
    const IMPORTANCES: &[&str] = &["essential", "advantageous", "optional"];

    fn is_slug(s: &str) -> bool {
        !s.is_empty()
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--")
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }

    fn skill_exists(slug: &str) -> bool {
        SKILLS.iter().any(|s| s.slug == slug)
    }

    fn role(slug: &str) -> &'static DemoRole {
        ROLES
            .iter()
            .find(|r| r.slug == slug)
            .unwrap_or_else(|| panic!("unknown role {slug}"))
    }

    fn rank(seniority: &str) -> usize {
        SENIORITIES
            .iter()
            .position(|s| *s == seniority)
            .unwrap_or_else(|| panic!("unknown seniority {seniority}"))
    }

    fn total_proficiency(role: &DemoRole) -> u32 {
        role.requires.iter().map(|(_, p)| u32::from(*p)).sum()
    }

    fn published_post_exists(slug: &str) -> bool {
        POSTS
            .iter()
            .any(|p| p.slug == slug && p.published_at.is_some())
    }

    /// Simple paths (no role visited twice) from `from` to `to`.
    fn routes(from: &'static str, to: &str, seen: &mut Vec<&'static str>) -> usize {
        if from == to {
            return 1;
        }
        seen.push(from);
        let mut count = 0;
        for t in TRANSITIONS.iter().filter(|t| t.from == from) {
            if !seen.contains(&t.to) {
                count += routes(t.to, to, seen);
            }
        }
        seen.pop();
        count
    }

    fn assert_unique<'a>(what: &str, items: impl IntoIterator<Item = &'a str>) {
        let mut seen = HashSet::new();
        for item in items {
            assert!(is_slug(item), "{what}: {item:?} is not a slug");
            assert!(seen.insert(item), "{what}: duplicate {item:?}");
        }
    }

    #[test]
    fn careers_slugs_are_unique_and_well_formed() {
        assert_unique("skill", SKILLS.iter().map(|s| s.slug));
        assert_unique("role", ROLES.iter().map(|r| r.slug));
        assert_unique("guide", GUIDES.iter().map(|g| g.slug));
    }

    #[test]
    fn careers_skills_are_categorised_and_related_skills_exist() {
        let mut pairs = HashSet::new();
        for skill in SKILLS {
            assert!(!skill.name.is_empty() && !skill.description.is_empty());
            assert!(
                CATEGORIES.contains(&skill.category),
                "{}: category {:?}",
                skill.slug,
                skill.category
            );
            for other in skill.related {
                assert!(skill_exists(other), "{} -> unknown {other}", skill.slug);
                assert_ne!(skill.slug, *other, "a skill is not related to itself");
                let pair = if skill.slug < *other {
                    (skill.slug, *other)
                } else {
                    (*other, skill.slug)
                };
                assert!(pairs.insert(pair), "relation {pair:?} listed twice");
            }
        }
    }

    #[test]
    fn careers_roles_require_known_skills() {
        for role in ROLES {
            assert!(
                SENIORITIES.contains(&role.seniority),
                "{}: seniority {:?}",
                role.slug,
                role.seniority
            );
            assert!(!role.title.is_empty() && !role.summary.is_empty());
            assert!(
                (2..=4).contains(&role.responsibilities.len()),
                "{}",
                role.slug
            );
            assert!((3..=8).contains(&role.requires.len()), "{}", role.slug);
            let mut seen = HashSet::new();
            for (skill, level) in role.requires {
                assert!(
                    skill_exists(skill),
                    "{} requires unknown {skill}",
                    role.slug
                );
                assert!(seen.insert(*skill), "{} lists {skill} twice", role.slug);
                assert!((1..=5).contains(level), "{}: {skill} at {level}", role.slug);
            }
        }
        assert!((6..=8).contains(&ROLES.len()));
    }

    #[test]
    fn careers_transitions_connect_known_roles() {
        let mut seen = HashSet::new();
        for t in TRANSITIONS {
            role(t.from);
            role(t.to);
            assert_ne!(t.from, t.to);
            assert!(t.months > 0, "{} -> {}", t.from, t.to);
            assert!(!t.note.is_empty());
            assert!(seen.insert((t.from, t.to)), "{} -> {} twice", t.from, t.to);
        }
    }

    #[test]
    fn careers_promotions_ask_for_more() {
        for t in TRANSITIONS {
            let (from, to) = (role(t.from), role(t.to));
            if rank(to.seniority) > rank(from.seniority) {
                assert!(
                    total_proficiency(to) > total_proficiency(from),
                    "{} should demand more than {}",
                    to.slug,
                    from.slug
                );
            }
        }
    }

    #[test]
    fn careers_role_graph_has_choices_and_a_cycle() {
        assert!(routes("back-end-developer", "technical-lead", &mut Vec::new()) >= 2);
        assert!(routes("front-end-developer", "technical-lead", &mut Vec::new()) >= 2);
        // Some move can be undone by a chain of moves leading back.
        assert!(
            TRANSITIONS
                .iter()
                .any(|t| routes(t.to, t.from, &mut Vec::new()) > 0),
            "no cycle"
        );
        // Every role is part of some move.
        for role in ROLES {
            assert!(
                TRANSITIONS
                    .iter()
                    .any(|t| t.from == role.slug || t.to == role.slug),
                "{} is isolated",
                role.slug
            );
        }
    }

    #[test]
    fn careers_guides_reference_known_content() {
        for guide in GUIDES {
            assert!(
                AUTHORS.iter().any(|a| a.slug == guide.author),
                "{}: author {}",
                guide.slug,
                guide.author
            );
            if let Some(at) = guide.published_at {
                assert!(at.ends_with('Z'), "{at}");
                chrono::DateTime::parse_from_rfc3339(at).unwrap();
            }
            assert!(!guide.title.is_empty() && !guide.field.is_empty());
            assert!(!guide.summary.is_empty());
            assert!(!guide.sections.is_empty() && !guide.reasons.is_empty());

            let mut skills = HashSet::new();
            for (skill, importance, note) in guide.skills {
                assert!(skill_exists(skill), "{}: unknown skill {skill}", guide.slug);
                assert!(skills.insert(*skill), "{}: {skill} twice", guide.slug);
                assert!(
                    IMPORTANCES.contains(importance),
                    "{}: {skill} is {importance:?}",
                    guide.slug
                );
                assert!(!note.is_empty());
            }
            assert_unique("guide role", guide.roles.iter().copied());
            for r in guide.roles {
                role(r);
            }
            assert_unique("related post", guide.related_posts.iter().copied());
            for post in guide.related_posts {
                assert!(published_post_exists(post), "{}: post {post}", guide.slug);
            }

            let texts = guide
                .sections
                .iter()
                .chain(guide.reasons)
                .flat_map(|(a, b)| [*a, *b]);
            for text in texts {
                assert!(!text.trim().is_empty(), "{}: empty text", guide.slug);
                assert!(!text.contains('<'), "{}: raw HTML in {text:?}", guide.slug);
                let mut rest = text;
                while let Some(i) = rest.find("](/posts/") {
                    let tail = &rest[i + "](/posts/".len()..];
                    let end = tail.find(')').expect("link is closed");
                    let slug = &tail[..end];
                    assert!(
                        published_post_exists(slug),
                        "{}: link to {slug}",
                        guide.slug
                    );
                    rest = &tail[end..];
                }
            }
        }
    }

    #[test]
    fn careers_back_end_guide_follows_the_source() {
        let guide = GUIDES
            .iter()
            .find(|g| g.slug == "back-end-engineering")
            .expect("back-end guide");
        assert_eq!(guide.field, "Back-end engineering");
        assert!(guide.published_at.is_some());
        assert_eq!(guide.reasons.len(), 4);
        assert!((3..=4).contains(&guide.sections.len()));
        // The issue's guide page: 20 skills, each with its related skills.
        assert_eq!(guide.skills.len(), 20);
        let importance = |slug: &str| {
            guide
                .skills
                .iter()
                .find(|(s, _, _)| *s == slug)
                .map(|(_, i, _)| *i)
                .unwrap_or_else(|| panic!("{slug} missing from the back-end guide"))
        };
        for slug in [
            "python",
            "java",
            "sql",
            "database-design",
            "security-fundamentals",
        ] {
            assert_eq!(importance(slug), "essential", "{slug}");
        }
        for slug in [
            "ruby",
            "php",
            "spring",
            "django",
            "laravel",
            "mysql",
            "postgresql",
            "mongodb",
            "restful-api-design",
        ] {
            importance(slug);
        }
        assert_eq!(
            guide.roles,
            [
                "back-end-developer",
                "senior-back-end-developer",
                "devops-engineer",
                "technical-lead"
            ]
        );
        let front = GUIDES
            .iter()
            .find(|g| g.slug == "front-end-engineering")
            .expect("front-end guide");
        assert!(front.published_at.is_some());
        assert!((3..=4).contains(&front.reasons.len()));
    }
}
