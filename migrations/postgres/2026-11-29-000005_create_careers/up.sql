-- Career-path guides: skills, roles, the transitions between roles, and the
-- guides that tie them to posts. A guide's sections and reasons, and a role's
-- responsibilities, are always read whole with their parent, so they are kept
-- as JSON text beside it rather than in tables of their own.
CREATE TABLE skills (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT COLLATE "C" NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('language', 'framework', 'database', 'practice', 'concept', 'tool')),
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX skills_category_idx ON skills (category, slug);

-- Relations go both ways; each is stored in both directions.
CREATE TABLE skill_relations (
    skill_id BIGINT NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    related_id BIGINT NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    PRIMARY KEY (skill_id, related_id),
    CHECK (skill_id <> related_id)
);

CREATE TABLE roles (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT COLLATE "C" NOT NULL UNIQUE,
    title TEXT NOT NULL,
    seniority TEXT NOT NULL CHECK (seniority IN ('entry', 'mid', 'senior', 'lead', 'principal')),
    summary TEXT NOT NULL DEFAULT '',
    responsibilities TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE role_skills (
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    skill_id BIGINT NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    proficiency INTEGER NOT NULL CHECK (proficiency BETWEEN 1 AND 5),
    PRIMARY KEY (role_id, skill_id)
);
CREATE INDEX role_skills_skill_idx ON role_skills (skill_id, role_id);

-- The roles form a directed graph, cycles allowed.
CREATE TABLE transitions (
    id BIGSERIAL PRIMARY KEY,
    from_role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    to_role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    months INTEGER NOT NULL CHECK (months > 0),
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (from_role_id <> to_role_id)
);
CREATE UNIQUE INDEX transitions_pair_key ON transitions (from_role_id, to_role_id);
CREATE INDEX transitions_to_idx ON transitions (to_role_id, from_role_id);

CREATE TABLE guides (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT COLLATE "C" NOT NULL UNIQUE,
    title TEXT NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    -- [{"heading", "markdown", "html"}], in reading order.
    sections TEXT NOT NULL DEFAULT '[]',
    -- [{"title", "text"}], in order.
    reasons TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    author_id BIGINT NOT NULL REFERENCES authors (id) ON DELETE RESTRICT,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (status <> 'published' OR published_at IS NOT NULL)
);
CREATE INDEX guides_status_published_at_idx ON guides (status, published_at, id);
CREATE INDEX guides_field_idx ON guides (field, status, published_at, id);

CREATE TABLE guide_skills (
    guide_id BIGINT NOT NULL REFERENCES guides (id) ON DELETE CASCADE,
    skill_id BIGINT NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    importance TEXT NOT NULL CHECK (importance IN ('essential', 'advantageous', 'optional')),
    note TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL,
    PRIMARY KEY (guide_id, skill_id)
);
CREATE INDEX guide_skills_skill_idx ON guide_skills (skill_id, guide_id);

CREATE TABLE guide_roles (
    guide_id BIGINT NOT NULL REFERENCES guides (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (guide_id, role_id)
);
CREATE INDEX guide_roles_role_idx ON guide_roles (role_id, guide_id);

CREATE TABLE guide_posts (
    guide_id BIGINT NOT NULL REFERENCES guides (id) ON DELETE CASCADE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (guide_id, post_id)
);
CREATE INDEX guide_posts_post_idx ON guide_posts (post_id, guide_id);
