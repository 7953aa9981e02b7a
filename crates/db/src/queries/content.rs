//! Bulk content loading (demo content, benchmark data) in one transaction,
//! so a failed load leaves nothing behind.

use std::collections::HashMap;

use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::DbResult;
use crate::ids::{AuthorId, TagId};
use crate::models::{AuthorInsertForm, PostInsertForm, TagInsertForm};
use crate::pool::{ClaimWrites, DbConn, with_conn};
use crate::queries::tag::TagPost;
use crate::schema::{authors, posts, tags};

/// A post to insert, naming its author and tags by slug.
#[derive(Debug, Clone)]
pub struct BundlePost {
    pub form: PostInsertForm,
    pub author_slug: String,
    pub tag_slugs: Vec<String>,
}

/// Authors, tags and posts that go in together.
#[derive(Debug, Clone, Default)]
pub struct ContentBundle {
    pub authors: Vec<AuthorInsertForm>,
    pub tags: Vec<TagInsertForm>,
    pub posts: Vec<BundlePost>,
}

/// How many rows of each kind a bundle inserted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BundleCounts {
    pub authors: usize,
    pub tags: usize,
    pub posts: usize,
}

/// Inserts the bundle in one transaction. A post naming an unknown author or
/// tag slug fails the whole bundle.
pub async fn insert_bundle(conn: &mut DbConn, bundle: ContentBundle) -> DbResult<BundleCounts> {
    // Authors, tags and posts go in one by one, as each post needs the ids
    // they were given; inside one transaction each insert is cheap on both
    // backends. A post's tags go in together.
    let counts = with_conn!(conn, |c| {
        let bundle = bundle.clone();
        c.transaction::<_, diesel::result::Error, _>(async |c| {
            c.claim_writes().await?;
            let mut author_ids: HashMap<String, AuthorId> = HashMap::new();
            for form in &bundle.authors {
                let id: AuthorId = diesel::insert_into(authors::table)
                    .values(form)
                    .returning(authors::id)
                    .get_result(c)
                    .await?;
                author_ids.insert(form.slug.clone(), id);
            }
            let mut tag_ids: HashMap<String, TagId> = HashMap::new();
            for form in &bundle.tags {
                let id: TagId = diesel::insert_into(tags::table)
                    .values(form)
                    .returning(tags::id)
                    .get_result(c)
                    .await?;
                tag_ids.insert(form.slug.clone(), id);
            }
            for post in &bundle.posts {
                let mut form = post.form.clone();
                if let Some(id) = author_ids.get(&post.author_slug) {
                    form.author_id = *id;
                }
                let post_id = diesel::insert_into(posts::table)
                    .values(&form)
                    .returning(posts::id)
                    .get_result(c)
                    .await?;
                let post_tags = post
                    .tag_slugs
                    .iter()
                    .map(|slug| tag_ids.get(slug).copied())
                    .collect::<Option<Vec<TagId>>>()
                    .ok_or(diesel::result::Error::NotFound)?;
                c.tag_post(post_id, &post_tags).await?;
            }
            Ok(BundleCounts {
                authors: bundle.authors.len(),
                tags: bundle.tags.len(),
                posts: bundle.posts.len(),
            })
        })
        .await
    })?;
    Ok(counts)
}
