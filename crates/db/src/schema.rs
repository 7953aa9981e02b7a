//! The diesel schema shared by both backends (ids `BigInt`, times UTC `Timestamp`).

diesel::table! {
    authors (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        bio -> Text,
        avatar_url -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
        excerpt -> Text,
        body_markdown -> Text,
        body_html -> Text,
        reading_time_minutes -> Integer,
        status -> Text,
        author_id -> BigInt,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        comments_open -> Bool,
        comment_count -> BigInt,
        page_meta -> Nullable<Text>,
    }
}

diesel::table! {
    post_tags (post_id, tag_id) {
        post_id -> BigInt,
        tag_id -> BigInt,
    }
}

diesel::joinable!(posts -> authors (author_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(post_tags -> tags (tag_id));

diesel::allow_tables_to_appear_in_same_query!(authors, tags, posts, post_tags);

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        author_id -> Nullable<BigInt>,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> BigInt,
        email -> Text,
        failed_at -> Timestamp,
    }
}

diesel::joinable!(users -> authors (author_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(users, sessions, authors);

diesel::table! {
    post_revisions (id) {
        id -> BigInt,
        post_id -> BigInt,
        version -> BigInt,
        title -> Text,
        excerpt -> Text,
        body_markdown -> Text,
        edited_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_slugs (slug) {
        slug -> Text,
        post_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(post_revisions -> posts (post_id));
diesel::joinable!(post_slugs -> posts (post_id));

diesel::allow_tables_to_appear_in_same_query!(post_revisions, post_slugs, posts, users);

diesel::table! {
    comments (id) {
        id -> BigInt,
        post_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        depth -> Integer,
        author_name -> Text,
        author_email -> Text,
        author_url -> Nullable<Text>,
        body_markdown -> Text,
        body_html -> Text,
        body_fingerprint -> Text,
        status -> Text,
        receipt_hash -> Text,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        vouched -> Bool,
    }
}

diesel::joinable!(comments -> posts (post_id));

diesel::allow_tables_to_appear_in_same_query!(comments, posts);

diesel::table! {
    skills (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        category -> Text,
        description -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    skill_relations (skill_id, related_id) {
        skill_id -> BigInt,
        related_id -> BigInt,
    }
}

diesel::table! {
    roles (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
        seniority -> Text,
        summary -> Text,
        responsibilities -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    role_skills (role_id, skill_id) {
        role_id -> BigInt,
        skill_id -> BigInt,
        proficiency -> Integer,
    }
}

diesel::table! {
    transitions (id) {
        id -> BigInt,
        from_role_id -> BigInt,
        to_role_id -> BigInt,
        months -> Integer,
        note -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    guides (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
        field -> Text,
        summary -> Text,
        sections -> Text,
        reasons -> Text,
        search_text -> Text,
        status -> Text,
        author_id -> BigInt,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    guide_skills (guide_id, skill_id) {
        guide_id -> BigInt,
        skill_id -> BigInt,
        importance -> Text,
        note -> Text,
        position -> Integer,
    }
}

diesel::table! {
    guide_roles (guide_id, role_id) {
        guide_id -> BigInt,
        role_id -> BigInt,
        position -> Integer,
    }
}

diesel::table! {
    guide_posts (guide_id, post_id) {
        guide_id -> BigInt,
        post_id -> BigInt,
        position -> Integer,
    }
}

diesel::joinable!(role_skills -> roles (role_id));
diesel::joinable!(role_skills -> skills (skill_id));
diesel::joinable!(guide_skills -> guides (guide_id));
diesel::joinable!(guide_skills -> skills (skill_id));
diesel::joinable!(guide_roles -> guides (guide_id));
diesel::joinable!(guide_roles -> roles (role_id));
diesel::joinable!(guide_posts -> guides (guide_id));
diesel::joinable!(guide_posts -> posts (post_id));
diesel::joinable!(guides -> authors (author_id));

diesel::allow_tables_to_appear_in_same_query!(
    skills,
    skill_relations,
    roles,
    role_skills,
    transitions,
    guides,
    guide_skills,
    guide_roles,
    guide_posts,
);
diesel::allow_tables_to_appear_in_same_query!(guide_posts, posts);
diesel::allow_tables_to_appear_in_same_query!(guides, authors);

diesel::table! {
    post_terms (post_id, term) {
        post_id -> BigInt,
        term -> Text,
        weight -> Double,
        forms -> Text,
    }
}

diesel::table! {
    post_neighbours (post_id, similar_id) {
        post_id -> BigInt,
        similar_id -> BigInt,
        score -> Double,
        shared_terms -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(post_terms, post_neighbours, posts);

diesel::table! {
    persisted_queries (hash) {
        hash -> Text,
        query -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    trusted_documents (hash) {
        hash -> Text,
        document -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    imported_items (source, kind, source_id) {
        source -> Text,
        kind -> Text,
        source_id -> Text,
        target_id -> BigInt,
    }
}
