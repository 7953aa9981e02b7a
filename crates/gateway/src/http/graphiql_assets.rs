//! GraphiQL's scripts and stylesheet, vendored by
//! `scripts/vendor-graphiql.sh` and built into the binary, so that the page
//! works on a machine with no internet and loads nothing from another host.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::state::AppState;

/// One vendored file, served at [`Asset::path`].
pub(crate) struct Asset {
    /// `name@version`, as pinned in the vendoring script.
    pub package: &'static str,
    pub file: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The vendored file `$file` of `$package`, built in.
macro_rules! asset {
    ($package:literal, $file:literal, $content_type:expr) => {
        Asset {
            package: $package,
            file: $file,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../../assets/graphiql/", $file)),
        }
    };
}

/// Everything the GraphiQL page loads; `assets/graphiql/MANIFEST` says
/// where each file came from.
pub(crate) const ASSETS: [Asset; 5] = [
    asset!("react@18.3.1", "react.production.min.js", JAVASCRIPT),
    asset!(
        "react-dom@18.3.1",
        "react-dom.production.min.js",
        JAVASCRIPT
    ),
    asset!("graphiql@3.8.3", "graphiql.min.js", JAVASCRIPT),
    asset!("graphiql@3.8.3", "graphiql.min.css", CSS),
    asset!("graphql-ws@5.16.0", "graphql-ws.min.js", JAVASCRIPT),
];

impl Asset {
    /// Where the page loads it from. The path names the package's version,
    /// so a browser may keep the file for good: a new version is a new path.
    pub(crate) fn path(&self) -> String {
        format!("/graphiql/{}/{}", self.package, self.file)
    }
}

/// A vendored file, when GraphiQL is served at all (like the page, not
/// when introspection is off).
pub(crate) async fn graphiql_asset(
    State(state): State<AppState>,
    Path((package, file)): Path<(String, String)>,
) -> Response {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.package == package && asset.file == file);
    match asset {
        Some(asset) if state.limits.introspection => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(asset.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            asset.bytes,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table and the vendoring script's manifest name the same files,
    /// and each built-in file is the one the manifest hashed.
    #[test]
    fn assets_match_the_manifest() {
        let manifest = include_str!("../../assets/graphiql/MANIFEST");
        let listed: Vec<(String, String, String)> = manifest
            .lines()
            .filter_map(|line| line.strip_prefix("file "))
            .map(|line| {
                let fields: Vec<&str> = line.split(' ').collect();
                assert_eq!(fields.len(), 3, "{line}");
                (fields[0].into(), fields[1].into(), fields[2].into())
            })
            .collect();
        assert_eq!(listed.len(), ASSETS.len());
        for asset in &ASSETS {
            let text = std::str::from_utf8(asset.bytes).expect("the assets are text");
            let digest = waypost_domain::persisted::document_hash(text);
            assert!(
                listed.contains(&(asset.package.into(), asset.file.into(), digest)),
                "{} {} is not the file the manifest lists",
                asset.package,
                asset.file
            );
        }
    }
}
