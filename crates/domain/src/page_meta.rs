//! What a post's page shows besides its content: a featured image and the
//! text search engines and link previews show. Stored with the post as one
//! JSON document (`posts.page_meta`), written only from a checked value.

use serde::{Deserialize, Serialize};

use crate::fields::{is_web_address, quoted};
use crate::{FieldError, UserErrorCode};

const MAX_ALT_CHARS: usize = 300;
const MAX_SEO_TITLE_CHARS: usize = 200;
const MAX_SEO_DESCRIPTION_CHARS: usize = 500;
/// Pixels; no screen or print needs more, and a typo (an extra zero) is
/// caught.
const MAX_IMAGE_SIDE: i32 = 20_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featured_image: Option<FeaturedImage>,
    /// In place of the title, for search engines and link previews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seo_title: Option<String>,
    /// In place of the excerpt, for search engines and link previews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seo_description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeaturedImage {
    /// An http or https address.
    pub url: String,
    /// What the image shows, for those who cannot see it.
    pub alt: String,
    /// Pixels, so that a page reserves the image's space before it loads;
    /// both or neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i32>,
}

/// An edit of a page's metadata: `None` keeps a part, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PageMetaChanges {
    pub featured_image: Option<Option<FeaturedImage>>,
    pub seo_title: Option<Option<String>>,
    pub seo_description: Option<Option<String>>,
}

impl PageMetaChanges {
    pub fn is_empty(&self) -> bool {
        self.featured_image.is_none() && self.seo_title.is_none() && self.seo_description.is_none()
    }
}

impl PageMeta {
    /// What the stored document says; one that does not read (it always
    /// does: only `stored` writes it) counts as none, and is logged.
    pub fn read(stored: Option<&str>) -> PageMeta {
        match stored.map(serde_json::from_str::<PageMeta>) {
            None => PageMeta::default(),
            Some(Ok(meta)) => meta,
            Some(Err(err)) => {
                tracing::error!(error = %err, "unreadable page metadata; shown as none");
                PageMeta::default()
            }
        }
    }

    /// The document to store; `None` when nothing is set.
    pub fn stored(&self) -> Option<String> {
        if *self == PageMeta::default() {
            return None;
        }
        serde_json::to_string(self).ok()
    }

    /// This metadata with `changes` applied, each part checked; what is
    /// wrong goes to `errors`. Empty texts clear their part.
    pub fn changed(&self, changes: PageMetaChanges, errors: &mut Vec<FieldError>) -> PageMeta {
        let text = |field: &'static str,
                    change: Option<Option<String>>,
                    current: &Option<String>,
                    max: usize,
                    errors: &mut Vec<FieldError>| match change {
            None => current.clone(),
            Some(value) => {
                let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
                if let Some(v) = &value {
                    errors.extend(FieldError::check_max_length(field, v, max));
                }
                value
            }
        };
        PageMeta {
            seo_title: text(
                "seoTitle",
                changes.seo_title,
                &self.seo_title,
                MAX_SEO_TITLE_CHARS,
                errors,
            ),
            seo_description: text(
                "seoDescription",
                changes.seo_description,
                &self.seo_description,
                MAX_SEO_DESCRIPTION_CHARS,
                errors,
            ),
            featured_image: match changes.featured_image {
                None => self.featured_image.clone(),
                Some(None) => None,
                Some(Some(image)) => Some(checked_image(image, errors)),
            },
        }
    }
}

fn checked_image(image: FeaturedImage, errors: &mut Vec<FieldError>) -> FeaturedImage {
    let url = image.url.trim().to_owned();
    if !is_web_address(&url) {
        errors.push(FieldError::invalid_format(
            "featuredImage.url",
            format!("use an http or https address, not {}", quoted(&url)),
        ));
    }
    let alt = image.alt.trim().to_owned();
    errors.extend(FieldError::check_length(
        "featuredImage.alt",
        &alt,
        MAX_ALT_CHARS,
    ));
    match (image.width, image.height) {
        (None, None) => {}
        (Some(w), Some(h))
            if (1..=MAX_IMAGE_SIDE).contains(&w) && (1..=MAX_IMAGE_SIDE).contains(&h) => {}
        (Some(_), Some(_)) => errors.push(FieldError::invalid(
            "featuredImage.width",
            format!("width and height run from 1 to {MAX_IMAGE_SIDE} pixels"),
        )),
        _ => errors.push(FieldError::new(
            UserErrorCode::Required,
            Some("featuredImage.height"),
            "give both the width and the height, or neither",
        )),
    }
    FeaturedImage {
        url,
        alt,
        width: image.width,
        height: image.height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(url: &str, alt: &str, size: Option<(i32, i32)>) -> FeaturedImage {
        FeaturedImage {
            url: url.to_owned(),
            alt: alt.to_owned(),
            width: size.map(|s| s.0),
            height: size.map(|s| s.1),
        }
    }

    #[test]
    fn metadata_round_trips_and_clears() {
        let mut errors = Vec::new();
        let set = PageMeta::default().changed(
            PageMetaChanges {
                featured_image: Some(Some(image(
                    "https://e.example/a.png",
                    " A cat ",
                    Some((800, 600)),
                ))),
                seo_title: Some(Some("  Short title ".into())),
                seo_description: Some(Some(String::new())),
            },
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(set.seo_title.as_deref(), Some("Short title"));
        assert_eq!(set.seo_description, None, "empty clears");
        assert_eq!(
            set.featured_image.as_ref().map(|i| i.alt.as_str()),
            Some("A cat")
        );
        let stored = set.stored();
        assert_eq!(PageMeta::read(stored.as_deref()), set);
        let cleared = set.changed(
            PageMetaChanges {
                featured_image: Some(None),
                seo_title: Some(None),
                ..PageMetaChanges::default()
            },
            &mut errors,
        );
        assert_eq!(cleared.stored(), None);
        assert_eq!(PageMeta::read(Some("not json")), PageMeta::default());
    }

    #[test]
    fn bad_images_are_refused_field_by_field() {
        let cases = [
            (
                image("javascript:alert(1)", "a", None),
                "featuredImage.url",
                UserErrorCode::InvalidFormat,
            ),
            (
                image("https://e.example/a.png", "  ", None),
                "featuredImage.alt",
                UserErrorCode::Required,
            ),
            (
                image("https://e.example/a.png", "a", Some((0, 10))),
                "featuredImage.width",
                UserErrorCode::Invalid,
            ),
        ];
        for (bad, field, code) in cases {
            let mut errors = Vec::new();
            PageMeta::default().changed(
                PageMetaChanges {
                    featured_image: Some(Some(bad)),
                    ..PageMetaChanges::default()
                },
                &mut errors,
            );
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!((errors[0].field, errors[0].code), (Some(field), code));
        }
        let mut errors = Vec::new();
        let half = FeaturedImage {
            width: Some(10),
            ..image("https://e.example/a.png", "a", None)
        };
        PageMeta::default().changed(
            PageMetaChanges {
                featured_image: Some(Some(half)),
                ..PageMetaChanges::default()
            },
            &mut errors,
        );
        assert_eq!(errors[0].code, UserErrorCode::Required);
    }
}
